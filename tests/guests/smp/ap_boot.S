/* The application processors' first instructions. A STARTUP IPI starts an AP in real mode at
 * vector * 0x1000 (CS = vector << 8, IP = 0); the BSP copies this code to AP_BOOT_ADDR first.
 * It enters flat 32-bit protected mode with its own small GDT (same selectors as the runtime's:
 * 0x08 code, 0x10 data), takes a stack slot with LOCK XADD and calls ap_main(slot) through an
 * absolute address, because this copy does not run where it was linked. */
#define AP_BOOT_ADDR 0x8000
#define REL(sym) (AP_BOOT_ADDR + (sym) - ap_boot_start)

  .text
  .globl ap_boot_start, ap_boot_end
  .code16
ap_boot_start:
  cli
  movw %cs, %ax
  movw %ax, %ds
  lgdtl (ap_gdtr - ap_boot_start)
  movl %cr0, %eax
  orl $1, %eax
  movl %eax, %cr0
  ljmpl $0x08, $REL(ap_pm32)

  .code32
ap_pm32:
  movw $0x10, %ax
  movw %ax, %ds
  movw %ax, %es
  movw %ax, %ss
  movw %ax, %fs
  movw %ax, %gs
  movl $1, %eax
  lock xaddl %eax, ap_next_slot   /* eax = this AP's slot, 0.. */
  movl %eax, %ebx
  incl %eax
  shll $12, %eax
  leal ap_stacks(%eax), %esp      /* top of 4 KiB stack number `slot` */
  pushl %ebx
  movl $ap_main, %eax
  call *%eax
1:
  cli
  hlt
  jmp 1b

  .p2align 3
ap_gdt:
  .quad 0
  .quad 0x00CF9A000000FFFF        /* 0x08: flat 32-bit code, DPL 0 */
  .quad 0x00CF92000000FFFF        /* 0x10: flat data, DPL 0 */
ap_gdtr:
  .word ap_gdtr - ap_gdt - 1
  .long REL(ap_gdt)
ap_boot_end:
