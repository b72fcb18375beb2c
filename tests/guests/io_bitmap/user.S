/* Ring-3 code for guest_io_bitmap; *_site labels mark the instruction expected to fault. */
#define FN(name) .globl name; name:
        .text
FN(u_out80)     mov $0x12, %al
FN(u_out80_site) outb %al, $0x80
                ret
FN(u_in80)      nop
FN(u_in80_site) inb $0x80, %al
                ret
FN(u_out80_dx)  mov $0x80, %dx
FN(u_out80_dx_site) outb %al, (%dx)
                ret
FN(u_out81)     nop
FN(u_out81_site) outb %al, $0x81
                ret
FN(u_outw80)    nop
FN(u_outw80_site) outw %ax, $0x80                /* ports 0x80 and 0x81: 0x81 denied */
                ret
FN(u_inl7c)     nop
FN(u_inl7c_site) inl $0x7c, %eax                 /* ports 0x7c-0x7f: all allowed */
                ret
