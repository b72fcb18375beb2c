/* Real-mode-style code run in virtual-8086 mode by guest_v86, and the IRET that enters it.
 * The blob is copied to linear 0x7000 and runs with CS = DS = 0x0700, SS:SP = 0x0800:0x1000. */
#define FN(name) .globl name; name:
        .text
/* enter_v86: IRET with EFLAGS.VM = 1 (v86_eflags), CS:IP = 0x0700:v86_ip. */
FN(enter_v86)   pushl $0                        /* GS */
                pushl $0                        /* FS */
                pushl $0x0700                   /* DS */
                pushl $0x0700                   /* ES */
                pushl $0x0800                   /* SS */
                pushl $0x1000                   /* ESP */
                pushl v86_eflags
                pushl $0x0700                   /* CS */
                pushl v86_ip
                iret

        .data
        .globl v86_eflags, v86_ip
v86_eflags: .long 0
v86_ip: .long 0

        .section .rodata
        .globl v86_blob, v86_blob_end, v86_a_off, v86_b_off, v86_res1_off, v86_res2_off
        .globl v86_resa_off
        .code16
v86_blob:
/* Phase A, IOPL 3: compute, store, then INT 0x40 goes through the IDT to ring 0. */
v86_a:          mov %cs, %bx
                mov %bx, %ds
                mov $0x1234, %ax
                add $0x1111, %ax
                mov %ax, (resa - v86_blob)
                int $0x40
                jmp .
/* Phase B, IOPL 0: INT n, a denied IN and CLI trap to the monitor (#GP(0)), an allowed OUT
 * does not, HLT ends the run. */
v86_b:          mov %cs, %bx
                mov %bx, %ds
                xor %ax, %ax
                int $0x41
                mov %ax, (res1 - v86_blob)
                outb %al, $0x80
                inb $0x71, %al
                mov %al, (res2 - v86_blob)
                cli
                hlt
                jmp .
resa:           .word 0
res1:           .word 0
res2:           .byte 0
v86_blob_end:
        .code32
        .align 4
v86_a_off:      .long v86_a - v86_blob
v86_b_off:      .long v86_b - v86_blob
v86_resa_off:   .long resa - v86_blob
v86_res1_off:   .long res1 - v86_blob
v86_res2_off:   .long res2 - v86_blob
