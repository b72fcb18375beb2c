/* Interrupt/exception entry stubs, the common trap path, and the "catch" helpers.
 *
 * Every one of the 256 vectors has a 16-byte stub at rt_stubs + 16*vector. Vectors for which
 * the CPU pushes an error code (8, 10-14, 17, 21, 29, 30) push only the vector; the others push
 * a dummy 0 first, so the C side always sees the same `struct frame` (guests/lib/rt.h).
 * Note: a software INT n to an error-code vector pushes no error code; tests avoid that.
 *
 * rt_catch(fn) runs fn() with a recovery point armed: if an exception reaches the default
 * handler, the stack and callee-saved registers are restored and rt_catch returns the vector
 * (setjmp/longjmp, but written once here so C code never "returns twice").
 * rt_catch_user(fn, eflags) does the same but enters fn at CPL 3 through IRET; fn ends with
 * `int $0x30` (the runtime puts a trampoline doing that as fn's return address). */
#define KDATA 0x10
#define UCODE 0x1B
#define UDATA 0x23

        .text
        .altmacro
        .macro stub n
        .align 16
        .if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
        .else
        pushl $0
        .endif
        pushl $\n
        jmp rt_trap_common
        .endm

        .align 16
        .globl rt_stubs
rt_stubs:
        .set vec, 0
        .rept 256
        stub %vec
        .set vec, vec + 1
        .endr
        .noaltmacro

/* Builds struct frame: [gs fs es ds][pushal][vector error][eip cs eflags (esp ss) (v86 segs)]. */
rt_trap_common:
        pushal
        push %ds
        push %es
        push %fs
        push %gs
        mov $KDATA, %ax                /* from ring 3 / V86 the data segments are user's or null */
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %fs
        mov %ax, %gs
        cld
        push %esp
        call rt_dispatch               /* returns only to resume the interrupted code */
        add $4, %esp
        .globl rt_trap_return
rt_trap_return:
        pop %gs
        pop %fs
        pop %es
        pop %ds
        popal
        add $8, %esp
        iret

/* The jump buffer of the one armed recovery point. */
        .data
        .align 4
        .globl rt_jb_armed
rt_jb_armed: .long 0
rt_jb_eip:   .long 0
rt_jb_esp:   .long 0
rt_jb_ebx:   .long 0
rt_jb_esi:   .long 0
rt_jb_edi:   .long 0
rt_jb_ebp:   .long 0
        .text

/* int rt_catch(void (*fn)(void)): returns -1 if fn returned, else the vector that stopped it. */
        .globl rt_catch
rt_catch:
        mov 4(%esp), %ecx
        call save_jb
        call *%ecx
        movl $0, rt_jb_armed
        mov $-1, %eax
        jmp restore_jb

/* int rt_catch_user(void (*fn)(void), uint32_t eflags): runs fn at CPL 3 (flat user segments,
 * stack rt_user_stack_top). Returns the vector that brought control back: 0x30 when fn ended
 * normally (its return address is rt_user_exit, which does int $0x30). */
        .globl rt_catch_user
rt_catch_user:
        mov 4(%esp), %ecx
        mov 8(%esp), %edx
        call save_jb
        mov $rt_user_stack_top, %eax
        movl $rt_user_exit, -4(%eax)   /* fn's return address */
        sub $4, %eax
        pushl $UDATA                   /* SS */
        pushl %eax                     /* ESP */
        pushl %edx                     /* EFLAGS */
        pushl $UCODE                   /* CS */
        pushl %ecx                     /* EIP */
        mov $UDATA, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %fs
        mov %ax, %gs
        iret

        .globl rt_user_exit
rt_user_exit:
        int $0x30
        ud2

/* save_jb: called from rt_catch*, records the caller's return point (rt_catch's own). */
save_jb:
        mov 4(%esp), %eax              /* rt_catch's return address */
        mov %eax, rt_jb_eip
        lea 8(%esp), %eax              /* ESP after rt_catch returns */
        mov %eax, rt_jb_esp
        mov %ebx, rt_jb_ebx
        mov %esi, rt_jb_esi
        mov %edi, rt_jb_edi
        mov %ebp, rt_jb_ebp
        movl $1, rt_jb_armed
        ret

/* void rt_longjmp(int vector): back to the armed rt_catch, which returns `vector`. */
        .globl rt_longjmp
rt_longjmp:
        mov 4(%esp), %eax
        movl $0, rt_jb_armed
restore_jb:
        mov $KDATA, %cx
        mov %cx, %ss
        mov rt_jb_esp, %esp
        mov %cx, %ds
        mov %cx, %es
        mov %cx, %fs
        mov %cx, %gs
        pushl $0x2                     /* clean EFLAGS: IF=TF=AC=NT=0, IOPL=0 */
        popfl
        mov rt_jb_ebx, %ebx
        mov rt_jb_esi, %esi
        mov rt_jb_edi, %edi
        mov rt_jb_ebp, %ebp
        jmp *rt_jb_eip
