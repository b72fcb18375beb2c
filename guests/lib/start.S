/* Multiboot v1 header and entry point of every vmlab guest.
 *
 * The loader (vmlab or QEMU -kernel) enters _start in flat 32-bit protected mode, paging off,
 * IF=0, EAX=0x2BADB002, EBX=physical address of the multiboot info. We zero .bss ourselves
 * (a loader need not), switch to our own stack, and call rt_start(magic, info) in C, which
 * installs the runtime's GDT/IDT/TSS and then runs guest_main(). */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000000   /* ELF kernel: the loader uses the ELF program headers */

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
        mov %eax, %esi                 /* keep magic and info across the bss clear */
        mov %ebx, %ebp
        mov $__bss_start, %edi
        mov $__bss_end, %ecx
        sub %edi, %ecx
        xor %eax, %eax
        rep stosb
        mov $rt_boot_stack_top, %esp
        push %ebp                      /* info */
        push %esi                      /* magic */
        call rt_start                  /* never returns */
1:      hlt
        jmp 1b

        .bss
        .align 16
        .globl rt_boot_stack_top
        .space 32768
rt_boot_stack_top:
