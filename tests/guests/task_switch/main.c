/* guest_task_switch: hardware task switching (SDM vol. 3A ch. 7).
 *  - JMP to a TSS: TR changes, the old task is no longer busy, no back link;
 *  - CALL to a TSS: the new task runs with NT = 1 and a back link, IRET returns to the caller,
 *    which stays busy throughout; the returning task's busy bit and saved NT are cleared;
 *  - a task gate in the IDT for #DF: the fault switches to the handler task, which gets the
 *    error code on its stack. */
#include "rt.h"

#define SEL_B 0x30
#define SEL_C 0x38
#define SEL_D 0x40
extern void jmp_to_b(void), call_c(void), task_b(void), task_c(void), task_d(void), df_resume(void);
extern char after_jmp_b[], b_after_jmp[], c_after_iret[];
extern volatile uint32_t b_tr, b_eflags, c_tr, c_eflags, d_error, d_tr, d_eflags;

static struct tss32 tss_b, tss_c, tss_d;
static uint8_t stack_b[4096], stack_c[4096], stack_d[4096];
static volatile uint32_t d_link, d_main_eip;

static void init_task(struct tss32 *t, void (*entry)(void), uint8_t *stack, size_t size) {
  memset(t, 0, sizeof *t);
  t->eip = (uint32_t)entry;
  t->esp = (uint32_t)(stack + size);
  t->eflags = 0x2;
  t->cs = SEL_KCODE;
  t->ss = t->ds = t->es = t->fs = t->gs = SEL_KDATA;
  t->cr3 = read_cr3();
  t->iomap_base = sizeof *t; /* no bitmap (beyond the limit) */
}

static int busy(uint16_t sel) { return ((rt_gdt[sel / 8] >> 40) & 0xF) == 0xB; }

void df_task_body(void) {
  d_link = tss_d.link;
  d_main_eip = rt_tss.tss.eip;             /* where the main task was interrupted */
  rt_tss.tss.eip = (uint32_t)df_resume;  /* resume it somewhere safe instead */
}

static void do_de_fault(void) {
  __asm__ volatile("xor %%ecx, %%ecx\n div %%ecx" ::"a"(1), "d"(0) : "ecx");
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  printf("guest_task_switch: JMP/CALL to a TSS, IRET with NT, task gate for #DF\n");
  init_task(&tss_b, task_b, stack_b, sizeof stack_b);
  init_task(&tss_c, task_c, stack_c, sizeof stack_c);
  init_task(&tss_d, task_d, stack_d, sizeof stack_d);
  rt_gdt_set(SEL_B / 8, rt_seg_desc((uint32_t)&tss_b, sizeof tss_b - 1, ACC_TSS32, 0));
  rt_gdt_set(SEL_C / 8, rt_seg_desc((uint32_t)&tss_c, sizeof tss_c - 1, ACC_TSS32, 0));
  rt_gdt_set(SEL_D / 8, rt_seg_desc((uint32_t)&tss_d, sizeof tss_d - 1, ACC_TSS32, 0));

  int v = rt_catch(jmp_to_b);
  int ok = CHECK(v == RT_NO_TRAP) && CHECK(b_tr == SEL_B) && CHECK((b_eflags & EFL_NT) == 0) &&
           CHECK(read_tr() == SEL_TSS) && CHECK(busy(SEL_TSS)) && CHECK(!busy(SEL_B)) &&
           CHECK(tss_b.eip == (uint32_t)b_after_jmp) && CHECK(rt_tss.tss.eip == (uint32_t)after_jmp_b) &&
           CHECK(tss_b.link == 0);
  printf("%s JMP to TSS 0x30 and back: TR in task 0x%x, B saved EIP 0x%x, busy A %d B %d\n",
         ok ? "ok" : "FAIL", b_tr, tss_b.eip, busy(SEL_TSS), busy(SEL_B));

  v = rt_catch(call_c);
  ok = CHECK(v == RT_NO_TRAP) && CHECK(c_tr == SEL_C) && CHECK(c_eflags & EFL_NT) &&
       CHECK(tss_c.link == SEL_TSS) && CHECK(!busy(SEL_C)) && CHECK(busy(SEL_TSS)) &&
       CHECK((tss_c.eflags & EFL_NT) == 0) && CHECK(tss_c.eip == (uint32_t)c_after_iret) &&
       CHECK((read_eflags() & EFL_NT) == 0);
  printf("%s CALL to TSS 0x38, IRET back: NT in task %d, back link 0x%x, C busy after %d\n",
         ok ? "ok" : "FAIL", (c_eflags & EFL_NT) != 0, tss_c.link, busy(SEL_C));

  /* #DE through a not-present gate -> #DF -> task gate -> task D. */
  uint64_t saved_de = rt_idt[VEC_DE], saved_df = rt_idt[VEC_DF];
  rt_idt[VEC_DE] &= ~((uint64_t)ACC_P << 40);
  rt_idt_set(VEC_DF, rt_gate_desc(0, SEL_D, GATE_TASK, 0));
  v = rt_catch(do_de_fault);
  rt_idt[VEC_DE] = saved_de;
  rt_idt[VEC_DF] = saved_df;
  ok = CHECK(v == VEC_DF) && CHECK(d_error == 0) && CHECK(d_tr == SEL_D) &&
       CHECK(d_eflags & EFL_NT) && CHECK(d_link == SEL_TSS) && CHECK(!busy(SEL_D)) &&
       CHECK(read_tr() == SEL_TSS);
  printf("%s #DF through a task gate: handler task 0x%x, error code %u, back link 0x%x, "
         "interrupted EIP 0x%x\n", ok ? "ok" : "FAIL", d_tr, d_error, d_link, d_main_eip);
}
