/* smp: application processors start as on a real MP system, and interrupts reach each CPU.
 *
 * The BSP reads the CPU count from fw_cfg (as QEMU's and vmlab's firmware interface gives it),
 * enables its local APIC, copies the AP start-up code below 1 MiB and sends INIT, STARTUP,
 * STARTUP to all other processors (Intel MP specification, B.4). Each AP enters protected mode,
 * records its APIC ID and reports in, then sends a fixed IPI to the BSP (vector 0x40 + its ID). Then the IOAPIC routes
 * the PIT's interrupt (ISA IRQ 0 = IOAPIC pin 2) to the last AP, which counts the ticks.
 * Checks: every AP reported exactly once with a distinct APIC ID, the BSP got one IPI from each,
 * CPUID/APIC_BASE describe BSP and APs correctly, and the routed timer interrupts arrive. */
#include "smp_guest.h"

#define VEC_IPI 0x40
#define VEC_TIMER 0x50

static volatile uint32_t reported, ipis, ap_timer_ticks, ap_bad_base;
static volatile uint32_t ap_ids[MAX_CPUS];
static volatile uint32_t go_ipi, ipi_mask;
static struct {
  uint16_t limit;
  uint32_t base;
} __attribute__((packed)) idtr;

static uint16_t fw_cfg_cpu_count(void) {
  outw(0x510, 0x0005); /* FW_CFG_NB_CPUS */
  uint16_t lo = inb(0x511);
  return (uint16_t)(lo | (inb(0x511) << 8));
}


/* Each AP uses its own vector (VEC_IPI + APIC ID): IPIs of one vector that arrive before the
 * BSP takes the first would merge in the IRR bit, as on real hardware. */
static int on_ipi(struct frame *f) {
  ipi_mask |= 1u << (f->vector - VEC_IPI);
  ipis++;
  lapic_eoi();
  return 1;
}

static int on_timer(struct frame *f) {
  (void)f;
  ap_timer_ticks++;
  lapic_eoi();
  return 1;
}

/* Runs on each AP, on its own stack, with interrupts off. */
void ap_main(uint32_t slot) {
  __asm__ volatile("lidt %0" ::"m"(idtr));
  uint64_t base = rdmsr(0x1B);
  /* An AP's APIC_BASE: enabled, default address, BSP flag clear. */
  if ((base & 0xFFFFF900u) != 0xFEE00800u) ap_bad_base++;
  lapic_enable();
  uint32_t id = lapic_read(0x20) >> 24;
  if (slot < MAX_CPUS) ap_ids[slot] = id;
  __sync_fetch_and_add(&reported, 1);
  while (!go_ipi) __asm__ volatile("pause");
  send_ipi(0, VEC_IPI + id); /* fixed, physical destination APIC 0 (the BSP) */
  __asm__ volatile("sti");
  for (;;) __asm__ volatile("hlt");
}

static void pit_start_1khz(void) {
  outb(0x43, 0x34); /* channel 0, lobyte/hibyte, mode 2 */
  outb(0x40, 1193 & 0xFF);
  outb(0x40, 1193 >> 8);
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  uint32_t r[4];
  cpuid(1, 0, r);
  CHECK(r[3] & (1u << 9)); /* APIC present */
  CHECK((r[1] >> 24) == 0); /* initial APIC ID of the BSP */
  uint64_t base = rdmsr(0x1B);
  CHECK((base & 0xFFFFF900u) == 0xFEE00900u); /* enabled, BSP, default base */

  uint32_t ncpus = fw_cfg_cpu_count();
  uint32_t want = rt_cmdline_u32("cpus", ncpus);
  printf("fw_cfg says %u CPUs\n", ncpus);
  CHECK(ncpus == want);
  CHECK(ncpus >= 2 && ncpus <= MAX_CPUS);
  if (ncpus < 2 || ncpus > MAX_CPUS) rt_finish();

  lapic_enable();
  CHECK((lapic_read(0x20) >> 24) == 0);
  CHECK((lapic_read(0x30) & 0xFF) >= 0x10); /* integrated APIC */
  __asm__ volatile("sidt %0" : "=m"(idtr));
  for (int v = 1; v < MAX_CPUS; ++v) rt_set_handler(VEC_IPI + v, on_ipi);
  rt_set_handler(VEC_TIMER, on_timer);
  start_aps();
  for (uint32_t i = 0; i < 2000000 && reported < ncpus - 1; ++i) __asm__ volatile("pause");
  printf("%u application processors reported in\n", reported);
  CHECK(reported == ncpus - 1);
  CHECK(ap_bad_base == 0);
  uint32_t seen = 0;
  for (uint32_t s = 0; s < ncpus - 1 && s < MAX_CPUS; ++s) {
    printf("cpu slot %u: APIC ID %u\n", s, ap_ids[s]);
    if (ap_ids[s] >= 1 && ap_ids[s] < ncpus) seen |= 1u << ap_ids[s];
  }
  CHECK(seen == ((1u << ncpus) - 2)); /* IDs 1..n-1, each once */

  /* Each AP sends the BSP one fixed IPI. */
  __asm__ volatile("sti");
  go_ipi = 1;
  for (uint32_t i = 0; i < 2000000 && ipis < ncpus - 1; ++i) __asm__ volatile("pause");
  printf("BSP got %u IPIs\n", ipis);
  CHECK(ipis == ncpus - 1);
  CHECK(ipi_mask == ((1u << ncpus) - 2));

  /* The IOAPIC: 24 pins; the PIT (ISA IRQ 0, pin 2) routed to the last AP. */
  uint32_t ver = ioapic_read(0x01);
  CHECK(((ver >> 16) & 0xFF) == 23);
  uint32_t target = ncpus - 1;
  ioapic_write(0x10 + 2 * 2 + 1, target << 24);
  ioapic_write(0x10 + 2 * 2, VEC_TIMER); /* fixed, physical, edge, active high, unmasked */
  pit_start_1khz();
  for (uint32_t i = 0; i < 5000000 && ap_timer_ticks < 5; ++i) __asm__ volatile("pause");
  ioapic_write(0x10 + 2 * 2, 0x10000 | VEC_TIMER); /* mask again */
  printf("AP %u counted %s timer interrupts\n", target, ap_timer_ticks >= 5 ? "at least 5" : "too few");
  CHECK(ap_timer_ticks >= 5);
  rt_finish();
}
