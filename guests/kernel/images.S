/* images.S: the user programs, linked on their own (user/user.ld) and embedded here as ELF
 * files; user_images[] is the table exec looks names up in. The build puts the folder with
 * the programs (<name>.elf) on the assembler's include path (CMakeLists.txt). */
.macro IMAGE name
        .section .rodata
        .align 4
image_\name\()_start:
        .incbin "\name\().elf"
image_\name\()_end:
        .section .rodata
image_\name\()_str:
        .asciz "\name"
.endm

        .irp n, sh, bench, forktest, faults, hello
        IMAGE \n
        .endr

        .section .rodata
        .align 4
        .globl user_images
user_images:
        .irp n, sh, bench, forktest, faults, hello
        .long image_\n\()_str, image_\n\()_start, image_\n\()_end
        .endr
        .long 0, 0, 0
