/* smp_pingpong: two vCPUs that must run at the same time to be quick (issue 7, vCPU threads).
 *
 * The BSP starts the first AP (INIT, STARTUP, STARTUP; the AP code is tests/guests/smp's) and
 * times two exchanges with the PIT (1 kHz, routed by the IOAPIC to the BSP):
 *   1. memory ping-pong: the BSP makes `ball` odd and spins until the AP, spinning too, makes it
 *      even. Each round trip needs both CPUs running: one host thread running them in turn
 *      pays a time slice (>= 1 ms) per hand-over, vCPU threads pay a few microseconds.
 *   2. HLT wake-up: the AP waits in STI; HLT; the BSP sends it a fixed IPI and spins until the
 *      AP's handler has counted it. On threads the halted AP is woken at once; in turn it waits
 *      for the spinning BSP's slice to end.
 * Both must complete correctly on any loop; with `limit_ms=N` on the command line each phase must
 * also finish within N ms (the vCPU-thread test sets it; the round-robin test does not). */
#include "smp_guest.h"

#define VEC_PONG 0x41
#define VEC_TIMER 0x50
#define GIVE_UP_MS 20000u /* a phase that takes this long has lost its partner */

static volatile uint32_t ticks, ball, pongs, ap_ready, phase2;
static struct {
  uint16_t limit;
  uint32_t base;
} __attribute__((packed)) idtr;

static int on_timer(struct frame *f) {
  (void)f;
  ticks++;
  lapic_eoi();
  return 1;
}
static int on_pong(struct frame *f) {
  (void)f;
  pongs++;
  lapic_eoi();
  return 1;
}

/* The first AP plays; any other AP just waits. */
void ap_main(uint32_t slot) {
  __asm__ volatile("lidt %0" ::"m"(idtr));
  lapic_enable();
  if (slot != 0)
    for (;;) __asm__ volatile("cli; hlt");
  ap_ready = 1;
  for (;;) {
    uint32_t b = ball;
    if (phase2) break;
    if (b & 1) ball = b + 1;
  }
  __asm__ volatile("sti");
  for (;;) __asm__ volatile("hlt");
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  const uint32_t rounds = rt_cmdline_u32("rounds", 500);
  const uint32_t limit_ms = rt_cmdline_u32("limit_ms", 0);
  lapic_enable();
  __asm__ volatile("sidt %0" : "=m"(idtr));
  rt_set_handler(VEC_TIMER, on_timer);
  rt_set_handler(VEC_PONG, on_pong);
  start_aps();

  /* PIT channel 0 at ~1 kHz, IOAPIC pin 2 -> the BSP (APIC ID 0), fixed. */
  ioapic_write(0x10 + 2 * 2 + 1, 0);
  ioapic_write(0x10 + 2 * 2, VEC_TIMER);
  outb(0x43, 0x34);
  outb(0x40, 1193 & 0xFF);
  outb(0x40, 1193 >> 8);
  __asm__ volatile("sti");
  while (!ap_ready && ticks < GIVE_UP_MS) __asm__ volatile("pause");
  CHECK(ap_ready);
  if (!ap_ready) rt_finish();

  uint32_t t0 = ticks, done = 0;
  for (uint32_t k = 0; k < rounds; ++k) {
    ball = 2 * k + 1;
    while (ball != 2 * k + 2 && ticks - t0 < GIVE_UP_MS) {
    }
    if (ball != 2 * k + 2) break;
    ++done;
  }
  const uint32_t ms1 = ticks - t0;
  printf("memory ping-pong: %u of %u round trips in %u ms\n", done, rounds, ms1);
  CHECK(done == rounds);

  phase2 = 1;
  spin(20000); /* let the AP reach its HLT loop */
  t0 = ticks;
  done = 0;
  for (uint32_t k = 0; k < rounds; ++k) {
    send_ipi(1, VEC_PONG); /* fixed, physical destination APIC 1 */
    while (pongs != k + 1 && ticks - t0 < GIVE_UP_MS) __asm__ volatile("pause");
    if (pongs != k + 1) break;
    ++done;
  }
  const uint32_t ms2 = ticks - t0;
  printf("IPI wake-up from HLT: %u of %u in %u ms\n", done, rounds, ms2);
  CHECK(done == rounds);
  if (limit_ms) {
    printf("limit: %u ms per phase\n", limit_ms);
    CHECK(ms1 <= limit_ms);
    CHECK(ms2 <= limit_ms);
  }
  rt_finish();
}
