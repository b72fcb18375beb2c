/* What the SMP test guests share (tests/guests/smp, tests/kvm/guest_smp_pingpong): the local
 * APIC and IOAPIC registers, fixed IPIs, the AP stacks ap_boot.S takes, and the MP start-up
 * sequence. Each guest defines ap_main(slot), which ap_boot.S calls on the AP's own stack. */
#pragma once
#include "rt.h"

#define AP_BOOT_ADDR 0x8000
#define LAPIC_BASE 0xFEE00000u
#define IOAPIC_BASE 0xFEC00000u
#define MAX_CPUS 8

extern char ap_boot_start[], ap_boot_end[];
volatile uint32_t ap_next_slot;
uint8_t ap_stacks[(MAX_CPUS + 1) * 4096] __attribute__((aligned(4096)));

static inline uint32_t lapic_read(uint32_t reg) { return *(volatile uint32_t *)(LAPIC_BASE + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(LAPIC_BASE + reg) = v; }
static inline void lapic_enable(void) { lapic_write(0xF0, 0x100 | 0xFF); } /* SVR: enabled, spurious 0xFF */
static inline void lapic_eoi(void) { lapic_write(0xB0, 0); }

static inline uint32_t ioapic_read(uint32_t reg) {
  *(volatile uint32_t *)IOAPIC_BASE = reg;
  return *(volatile uint32_t *)(IOAPIC_BASE + 0x10);
}
static inline void ioapic_write(uint32_t reg, uint32_t v) {
  *(volatile uint32_t *)IOAPIC_BASE = reg;
  *(volatile uint32_t *)(IOAPIC_BASE + 0x10) = v;
}

static inline void send_ipi(uint32_t dest_apic_id, uint32_t low) {
  lapic_write(0x310, dest_apic_id << 24);
  lapic_write(0x300, low);
}

static inline void spin(uint32_t n) {
  for (volatile uint32_t i = 0; i < n; ++i) __asm__ volatile("pause");
}

/* Copies ap_boot.S below 1 MiB and sends INIT, then STARTUP twice, to all processors but this
 * one (Intel MP specification, B.4). An AP that already started ignores the second STARTUP. */
static inline void start_aps(void) {
  memcpy((void *)AP_BOOT_ADDR, ap_boot_start, (size_t)(ap_boot_end - ap_boot_start));
  send_ipi(0, 0x000C4500);
  spin(20000);
  send_ipi(0, 0x000C4600 | (AP_BOOT_ADDR >> 12));
  spin(2000);
  send_ipi(0, 0x000C4600 | (AP_BOOT_ADDR >> 12));
}
