/* guest_v86: virtual-8086 mode and a small monitor (SDM vol. 3B ch. 20).
 *  - IRET with EFLAGS.VM = 1 enters V86 (CS:IP = 0x0700:xxxx, real-mode addressing);
 *  - with IOPL 3, INT n goes through the IDT (DPL-3 gate) to ring 0: the CPU pushes the V86
 *    segment registers and loads null into DS/ES/FS/GS;
 *  - with IOPL < 3, INT n and CLI raise #GP(0) to the monitor, which emulates them and
 *    resumes; IN/OUT are checked against the TSS I/O bitmap (allowed port: no trap; denied:
 *    #GP(0), emulated); HLT raises #GP(0) and ends the run. */
#include "rt.h"

#define BLOB_LINEAR 0x7000u
extern const uint8_t v86_blob[], v86_blob_end[];
extern const uint32_t v86_a_off, v86_b_off, v86_resa_off, v86_res1_off, v86_res2_off;
extern uint32_t v86_eflags, v86_ip;
extern void enter_v86(void);

static volatile uint32_t a_vm, a_cs, a_ip, a_ax, a_ds, a_gs, a_v86_ds, a_ss, a_esp;
static volatile uint32_t gp_count, gp_bad_error, saw_int41, saw_in71, saw_cli, saw_hlt;

static int int40_handler(struct frame *f) {
  a_vm = f->eflags & EFL_VM, a_cs = f->cs, a_ip = f->eip, a_ax = f->eax & 0xFFFF;
  a_ds = f->ds, a_gs = f->gs, a_v86_ds = f->v86_ds, a_ss = f->ss, a_esp = f->esp;
  return 0; /* back to the monitor (rt_catch) */
}

/* The monitor: emulate the few sensitive instructions phase B uses. */
static int gp_monitor(struct frame *f) {
  if (!(f->eflags & EFL_VM)) return 0;
  gp_count++;
  if (f->error != 0) gp_bad_error++;
  const uint8_t *ip = (const uint8_t *)((f->cs << 4) + (f->eip & 0xFFFF));
  switch (ip[0]) {
    case 0xCD: /* INT imm8: pretend the "BIOS" returned AX = 0x4141 */
      if (ip[1] == 0x41) saw_int41++;
      f->eax = (f->eax & ~0xFFFFu) | 0x4141;
      f->eip += 2;
      return 1;
    case 0xE4: /* IN AL, imm8 */
      if (ip[1] == 0x71) saw_in71++;
      f->eax = (f->eax & ~0xFFu) | 0x5A;
      f->eip += 2;
      return 1;
    case 0xFA: /* CLI: the monitor keeps a virtual IF; nothing to do here */
      saw_cli++;
      f->eip += 1;
      return 1;
    case 0xF4: /* HLT: the V86 program is done */
      saw_hlt++;
      return 0;
    default:
      printf("monitor: unexpected #GP at %04x:%04x opcode 0x%02x\n", f->cs, f->eip, ip[0]);
      return 0;
  }
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  printf("guest_v86: virtual-8086 mode under a ring-0 monitor\n");
  memcpy((void *)BLOB_LINEAR, v86_blob, (size_t)(v86_blob_end - v86_blob));
  rt_idt_default(0x40, 3);
  rt_set_handler(0x40, int40_handler);
  rt_set_handler(VEC_GP, gp_monitor);
  rt_tss.iomap[0x80 / 8] &= (uint8_t)~(1u << (0x80 % 8)); /* port 0x80 allowed, 0x71 denied */

  v86_eflags = 0x2 | EFL_VM | EFL_IOPL(3);
  v86_ip = v86_a_off;
  int v = rt_catch(enter_v86);
  int ok = CHECK(v == 0x40) && CHECK(a_vm) && CHECK(a_cs == 0x0700) && CHECK(a_ax == 0x2345) &&
           CHECK(*(volatile uint16_t *)(BLOB_LINEAR + v86_resa_off) == 0x2345) &&
           CHECK(a_ds == 0 && a_gs == 0) && CHECK(a_v86_ds == 0x0700) && CHECK(a_ss == 0x0800) &&
           CHECK(a_esp == 0x1000);
  printf("%s IOPL 3: V86 code ran (AX=0x%x), INT 0x40 reached ring 0 from %04x:%04x with VM=1, "
         "DS/GS nulled (0x%x/0x%x), V86 DS 0x%x saved\n", ok ? "ok" : "FAIL", a_ax, a_cs, a_ip,
         a_ds, a_gs, a_v86_ds);

  v86_eflags = 0x2 | EFL_VM; /* IOPL 0 */
  v86_ip = v86_b_off;
  v = rt_catch(enter_v86);
  ok = CHECK(v == VEC_GP) && CHECK(saw_hlt == 1) && CHECK(saw_int41 == 1) && CHECK(saw_in71 == 1) &&
       CHECK(saw_cli == 1) && CHECK(gp_count == 4) && CHECK(gp_bad_error == 0) &&
       CHECK(*(volatile uint16_t *)(BLOB_LINEAR + v86_res1_off) == 0x4141) &&
       CHECK(*(volatile uint8_t *)(BLOB_LINEAR + v86_res2_off) == 0x5A);
  printf("%s IOPL 0: INT 0x41, IN 0x71 (denied), CLI, HLT each raised #GP(0) to the monitor "
         "(%u in all); OUT 0x80 (allowed) did not\n", ok ? "ok" : "FAIL", gp_count);
}
