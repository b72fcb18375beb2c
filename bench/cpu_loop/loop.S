/* uint32_t cpu_loop(uint32_t n): the cpu_loop benchmark's workload, n even.
 * Executes exactly CPU_LOOP_INSNS(n) = 13*n + n/2 + 18 instructions (count them below):
 *   fixed part: 4 push + 1 mov + 3 xor + test + jz + 3 (result) + 4 pop + ret = 18;
 *   per iteration: mov, and, load, add, xor, store, call, lea, ret, test, jz, [add when ECX
 *   is odd], dec, jnz = 13, +1 on the n/2 iterations with ECX odd.
 * It mixes ALU ops, loads/stores (a 1 KiB table), a call/ret pair and taken/not-taken
 * branches, and returns a checksum so different emulators can be compared. */
        .text
        .globl cpu_loop
cpu_loop:
        push %ebx
        push %esi
        push %edi
        push %ebp
        mov 20(%esp), %ecx
        xor %ebx, %ebx
        xor %edi, %edi
        xor %ebp, %ebp
        test %ecx, %ecx
        jz 3f
1:      mov %ecx, %eax
        and $255, %eax
        mov table(,%eax,4), %edx
        add %edx, %ebx
        xor %ecx, %ebx
        mov %ebx, table(,%eax,4)
        call leaf
        test $1, %cl
        jz 2f
        add $3, %ebp
2:      dec %ecx
        jnz 1b
3:      mov %ebx, %eax
        add %edi, %eax
        add %ebp, %eax
        pop %ebp
        pop %edi
        pop %esi
        pop %ebx
        ret

leaf:   lea 1(%edi), %edi
        ret

        .bss
        .align 4
table:  .space 1024
