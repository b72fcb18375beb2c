/* entry.S: every way into and out of the kernel, and the context switch.
 *
 * Interrupts and exceptions: one small stub per vector pushes (error code, vector) so every
 * trap has the same struct trapframe (kernel.h), then alltraps saves the rest and calls
 * trap(tf). System calls come in two ways: `int 0x80` (an ordinary trap, back out with IRET)
 * and SYSENTER (fast: no frame from the CPU, so sysenter_entry builds one, back with SYSEXIT). */

/* Vectors 8, 10-14 and 17 push an error code; the others get a 0 so the frame is the same. */
.macro VEC n
        .globl vec\n
vec\n:
        .if (\n != 8) && (\n < 10 || \n > 14) && (\n != 17)
        push $0
        .endif
        push $\n
        jmp alltraps
.endm

        .text
        VEC 0
        VEC 1
        VEC 2
        VEC 3
        VEC 4
        VEC 5
        VEC 6
        VEC 7
        VEC 8
        VEC 9
        VEC 10
        VEC 11
        VEC 12
        VEC 13
        VEC 14
        VEC 15
        VEC 16
        VEC 17
        VEC 18
        VEC 19
        .irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
        VEC \n
        .endr
        VEC 128

/* The IDT is filled from this table (trap.c): vector number, stub address. */
        .section .rodata
        .globl vector_table
vector_table:
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,128
        .long \n, vec\n
        .endr
        .long -1, 0

        .text
alltraps:
        push %ds
        push %es
        push %fs
        push %gs
        pusha
        mov $0x10, %ax                 /* KERNEL_DS: the user's selectors may be anything */
        mov %ax, %ds
        mov %ax, %es
        push %esp                      /* trap(struct trapframe *tf) */
        call trap
        add $4, %esp
        /* A new process starts here too (proc.c forkret returns into trapret). */
        .globl trapret
trapret:
        popa
        pop %gs
        pop %fs
        pop %es
        pop %ds
        add $8, %esp                   /* vector and error code */
        iret

/* SYSENTER: CS/SS come from IA32_SYSENTER_CS, EIP and ESP from the MSRs; nothing is pushed
 * and IF is cleared. The MSR ESP points at a tiny stack that is never used: we load the
 * current process's kernel stack from the TSS (the same one an interrupt would use).
 * User convention (user/ustart.S): EAX = call number, EBX/ESI/EDI = arguments,
 * ECX = user ESP, EDX = where to continue; ECX and EDX are not preserved. */
        .globl sysenter_entry
sysenter_entry:
        mov %ss:tss_esp0_slot, %esp
        push $0x23                     /* USER_DS: a frame like int 0x80's */
        push %ecx                      /* user ESP */
        push $0x202                    /* EFLAGS with IF=1 */
        push $0x1B                     /* USER_CS */
        push %edx                      /* user EIP */
        push $0
        push $0x80
        push %ds
        push %es
        push %fs
        push %gs
        pusha
        mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %es
        push %esp
        call trap
        add $4, %esp
        popa
        pop %gs
        pop %fs
        pop %es
        pop %ds
        add $8, %esp
        mov 0(%esp), %edx              /* EIP (exec may have changed it) */
        mov 12(%esp), %ecx             /* user ESP */
        sti                            /* takes effect after SYSEXIT: no interrupt in between */
        sysexit

/* swtch(&old->ctx, new_ctx): save the callee-saved registers on this stack, remember the
 * stack pointer in *old, and continue on the other stack where it left off. */
        .globl swtch
swtch:
        mov 4(%esp), %eax
        mov 8(%esp), %edx
        push %ebp
        push %ebx
        push %esi
        push %edi
        mov %esp, (%eax)
        mov %edx, %esp
        pop %edi
        pop %esi
        pop %ebx
        pop %ebp
        ret

/* int rdmsr_safe(uint32_t msr, uint64_t *value): 0, or -1 if RDMSR faulted (#GP: the MSR
 * does not exist here). trap.c resumes a #GP at rdmsr_safe_insn at rdmsr_safe_fail. */
        .globl rdmsr_safe, rdmsr_safe_insn, rdmsr_safe_fail
rdmsr_safe:
        mov 4(%esp), %ecx
rdmsr_safe_insn:
        rdmsr
        mov 8(%esp), %ecx
        mov %eax, (%ecx)
        mov %edx, 4(%ecx)
        xor %eax, %eax
        ret
rdmsr_safe_fail:
        mov $-1, %eax
        ret
