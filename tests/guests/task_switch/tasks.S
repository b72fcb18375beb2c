/* Task bodies for guest_task_switch. Each task runs from its own TSS; when switched to again it
 * resumes after the instruction that left it, so each body loops. */
#define FN(name) .globl name; name:
#define SEL_MAIN 0x28
#define SEL_B 0x30
#define SEL_C 0x38
        .text
/* main task: JMP to task B (B jumps back), CALL task C (C returns with IRET). */
FN(jmp_to_b)    ljmp $SEL_B, $0
FN(after_jmp_b) ret
FN(call_c)      lcall $SEL_C, $0
                ret

FN(task_b)      str %ax
                movzwl %ax, %eax
                mov %eax, b_tr
                pushfl
                popl b_eflags
                ljmp $SEL_MAIN, $0              /* back to the main task */
FN(b_after_jmp) jmp task_b

FN(task_c)      str %ax
                movzwl %ax, %eax
                mov %eax, c_tr
                pushfl
                popl c_eflags
                iret                            /* NT = 1: back to the linked (main) task */
FN(c_after_iret) jmp task_c

/* #DF handler task (task gate in IDT[8]): the error code is on its stack. */
FN(task_d)      popl d_error
                str %ax
                movzwl %ax, %eax
                mov %eax, d_tr
                pushfl
                popl d_eflags
                call df_task_body               /* C: redirects the interrupted task */
                iret
                jmp task_d

/* Where the interrupted main task resumes after the #DF task: unwind to rt_catch. */
FN(df_resume)   pushl $8
                call rt_longjmp

        .data
        .globl b_tr, b_eflags, c_tr, c_eflags, d_error, d_tr, d_eflags
b_tr: .long 0
b_eflags: .long 0
c_tr: .long 0
c_eflags: .long 0
d_error: .long 0xffff
d_tr: .long 0
d_eflags: .long 0
