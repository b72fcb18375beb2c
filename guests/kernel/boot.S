/* boot.S: the multiboot header and the first instructions.
 *
 * A multiboot loader (vmlab -kernel, QEMU -kernel, GRUB) loads kernel.elf at 1 MiB and jumps
 * to _start in 32-bit protected mode with paging off, interrupts off, EAX = 0x2BADB002 and
 * EBX = the physical address of the multiboot information. A boot-sector loader can do the
 * same later: load the ELF's segments, set up flat segments, put the info in EBX and jump.
 * We zero .bss (a loader need not), take our own stack, and call kmain(magic, info). */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003   /* page-aligned modules, give us the memory map */

        .section .multiboot, "a"
        .align 4
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)

        .section .text.entry, "ax"
        .globl _start
_start:
        cli
        cld
        mov %eax, %esi                 /* keep magic and info across the .bss clear */
        mov %ebx, %ebp
        mov $__bss_start, %edi
        mov $__bss_end, %ecx
        sub %edi, %ecx
        xor %eax, %eax
        rep stosb
        mov $boot_stack_top, %esp      /* the scheduler keeps running on this stack */
        push %ebp
        push %esi
        call kmain                     /* never returns */
1:      hlt
        jmp 1b

        .bss
        .align 16
        .space 16384
        .globl boot_stack_top
boot_stack_top:
