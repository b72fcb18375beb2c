/* acpi.c: switching the machine off.
 *
 * ACPI S5 ("soft off") is entered by writing SLP_TYP | SLP_EN to the PM1a control register.
 * A real OS finds the register in the FADT and SLP_TYP in the DSDT's \_S5 package; we know
 * the two machines we run on instead: vmlab puts PM1a_CNT at port 0x604 (docs/devices/acpi_pm.md),
 * QEMU's PIIX4 at 0xB004 (SeaBIOS's PM base 0xB000); both use SLP_TYP 0 for S5. So we write
 * 0x2000 (SLP_EN = bit 13) to each: the emulator exits with status 0.
 * If nothing happened after a while we try QEMU's isa-debug-exit (port 0xF4, exit status 1 in tests) and
 * finally halt with interrupts off. */
#include "kernel.h"
#include "x86.h"

#define PM1A_CNT_VMLAB 0x604
#define PM1A_CNT_QEMU 0xB004
#define SLP_EN (1u << 13)

void power_off(void) {
    printk("kernel: power off\n");
    cli();
    outw(PM1A_CNT_VMLAB, 0 << 10 | SLP_EN);
    outw(PM1A_CNT_QEMU, 0 << 10 | SLP_EN);
    /* QEMU powers off a little later (at its main loop): give it time before the fallback. */
    for (int i = 0; i < 1000000; i++) (void)inb(0x21);
    outb(0xF4, 0);
    printk("kernel: ACPI power-off did not work; halted\n");
    for (;;) hlt();
}
