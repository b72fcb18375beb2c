/* guest_privilege: control transfers between rings.
 *  - IRET from ring 0 to ring 3 (rt_catch_user) lands with CS=0x1B, SS=0x23;
 *  - a 32-bit call gate (DPL 3, 2 parameters) from ring 3 to ring 0: stack switch to
 *    TSS.SS0:ESP0, parameters copied, caller's CS:EIP and SS:ESP pushed; RET far imm16 back;
 *  - INT n through DPL-3 interrupt and trap gates from ring 3 (stack switch, IF cleared only by
 *    the interrupt gate), IRET back;
 *  - on every return to ring 3, data segment registers holding DPL-0 segments become null. */
#include "rt.h"

extern void u_call_gate(void), gate_target(void), u_int40(void), u_int41(void);
extern char u_after_call[];
extern volatile uint32_t u_esp_before, u_esp_after, u_fs_after, u_cs, u_ss, gt_esp, gt_ss,
    gt_cs_now, gt_ret_eip, gt_ret_cs, gt_p0, gt_p1, gt_user_esp, gt_user_ss;

static volatile uint32_t h_cs, h_ss, h_esp, h_frame, h_eflags_inside, h_eflags_saved, h_vector;

static int record_and_load_fs(struct frame *f) {
  h_vector = f->vector;
  h_cs = f->cs, h_ss = f->ss, h_esp = f->esp, h_eflags_saved = f->eflags;
  h_frame = (uint32_t)f;
  h_eflags_inside = read_eflags();
  f->fs = SEL_KDATA; /* IRET to ring 3 must null it */
  return 1;
}

static void test_call_gate(void) {
  rt_gdt_set(6, rt_gate_desc((uint32_t)gate_target, SEL_KCODE, GATE_CALL32 | ACC_DPL(3), 2));
  u_fs_after = 0xffff;
  int v = rt_catch_user(u_call_gate, 0x2);
  int ok = CHECK(v == VEC_USER_EXIT) && CHECK(u_cs == SEL_UCODE) && CHECK(u_ss == SEL_UDATA) &&
           CHECK(gt_cs_now == SEL_KCODE) && CHECK(gt_ss == SEL_KDATA) &&
           CHECK(gt_esp == (uint32_t)rt_kernel_stack_top - 24) &&
           CHECK(gt_ret_eip == (uint32_t)u_after_call) && CHECK(gt_ret_cs == SEL_UCODE) &&
           CHECK(gt_p0 == 0x2222) && CHECK(gt_p1 == 0x1111) &&
           CHECK(gt_user_esp == u_esp_before - 8) && CHECK(gt_user_ss == SEL_UDATA) &&
           CHECK(u_esp_after == u_esp_before) && CHECK(u_fs_after == 0);
  printf("%s call gate ring 3 -> 0 -> 3: ring-0 esp 0x%x ss 0x%x, params 0x%x 0x%x, caller "
         "%x:%x ss:esp %x:%x, FS after RET 0x%x\n", ok ? "ok" : "FAIL", gt_esp, gt_ss, gt_p0,
         gt_p1, gt_ret_cs, gt_ret_eip, gt_user_ss, gt_user_esp, u_fs_after);
}

static void test_int_gate(int vector, uint8_t type, void (*fn)(void), const char *name) {
  rt_idt_set(vector, rt_gate_desc((uint32_t)(rt_stubs + 16 * vector), SEL_KCODE,
                                  (uint8_t)(type | ACC_DPL(3)), 0));
  rt_set_handler(vector, record_and_load_fs);
  u_fs_after = 0xffff;
  h_vector = 0;
  int v = rt_catch_user(fn, 0x2 | EFL_IF); /* IF=1: the PIC is masked, nothing can interrupt */
  int want_if = type == GATE_TRAP32 ? EFL_IF : 0;
  uint32_t frame_top = h_frame + sizeof(struct frame) - 16; /* no V86 segment slots */
  int ok = CHECK(v == VEC_USER_EXIT) && CHECK(h_vector == (uint32_t)vector) &&
           CHECK(h_cs == SEL_UCODE) && CHECK(h_ss == SEL_UDATA) && CHECK(h_esp == u_esp_before) &&
           CHECK(frame_top == (uint32_t)rt_kernel_stack_top) &&
           CHECK((h_eflags_saved & EFL_IF) != 0) && CHECK((h_eflags_inside & EFL_IF) == (uint32_t)want_if) &&
           CHECK(u_esp_after == u_esp_before) && CHECK(u_fs_after == 0);
  printf("%s %s from ring 3: saved ss:esp %x:%x, frame ends at TSS.ESP0, IF inside %u, FS after "
         "IRET 0x%x\n", ok ? "ok" : "FAIL", name, h_ss, h_esp, (h_eflags_inside >> 9) & 1, u_fs_after);
  rt_set_handler(vector, 0);
  rt_idt_default(vector, 0);
}

/* A call gate with DPL 0 cannot be used from ring 3: #GP(gate selector). */
static void test_call_gate_dpl(void) {
  rt_gdt_set(6, rt_gate_desc((uint32_t)gate_target, SEL_KCODE, GATE_CALL32, 2));
  int v = rt_catch_user(u_call_gate, 0x2);
  int ok = CHECK(v == VEC_GP) && CHECK(rt_last.error == 0x30) && CHECK(rt_last.cs == SEL_UCODE);
  printf("%s call gate with DPL 0 from ring 3: vector %d error 0x%x\n", ok ? "ok" : "FAIL", v,
         rt_last.error);
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  printf("guest_privilege: call gates, interrupt/trap gates and IRET across rings\n");
  test_call_gate();
  test_call_gate_dpl();
  test_int_gate(0x40, GATE_INT32, u_int40, "INT 0x40 through an interrupt gate");
  test_int_gate(0x41, GATE_TRAP32, u_int41, "INT 0x41 through a trap gate");
}
