/* ustart.S: user program entry and the two ways to make a system call.
 * The kernel starts _start with the stack holding (0, arg); we call main(const char *arg)
 * and pass its return value to exit. */
        .section .text.entry, "ax"
        .globl _start
_start:
        add $4, %esp                   /* drop the 0 "return address": arg is on top */
        call main
        mov %eax, %ebx                 /* exit(main's result) */
        mov $5, %eax                   /* SYS_EXIT */
        int $0x80
1:      jmp 1b

        .text
/* int sys_int80(int n, int a, int b, int c) */
        .globl sys_int80
sys_int80:
        push %ebx
        push %esi
        push %edi
        mov 16(%esp), %eax
        mov 20(%esp), %ebx
        mov 24(%esp), %esi
        mov 28(%esp), %edi
        int $0x80
        pop %edi
        pop %esi
        pop %ebx
        ret

/* int sys_sysenter(int n, int a, int b, int c): the kernel returns with SYSEXIT to EDX with
 * ESP = ECX, so we hand it our stack pointer and the label to come back to. */
        .globl sys_sysenter
sys_sysenter:
        push %ebx
        push %esi
        push %edi
        push %ebp
        mov 20(%esp), %eax
        mov 24(%esp), %ebx
        mov 28(%esp), %esi
        mov 32(%esp), %edi
        mov %esp, %ecx
        mov $1f, %edx
        sysenter
1:      pop %ebp
        pop %edi
        pop %esi
        pop %ebx
        ret
