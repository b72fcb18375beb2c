/* Ring-3 callers and ring-0 targets for guest_privilege. */
#define FN(name) .globl name; name:
#define CALL_GATE_SEL 0x33                      /* GDT slot 6, RPL 3 */
        .text
/* Ring 3: call through the call gate with two parameters, then record FS, CS, SS, ESP. */
FN(u_call_gate) mov %esp, u_esp_before
                pushl $0x1111                   /* first parameter */
                pushl $0x2222                   /* second parameter */
                lcall $CALL_GATE_SEL, $0
FN(u_after_call) mov %esp, u_esp_after
                mov %fs, u_fs_after
                mov %cs, u_cs
                mov %ss, u_ss
                ret

/* Ring 0, entered through the call gate: the CPU switched to SS0:ESP0 and copied 2 dwords. */
FN(gate_target) mov %esp, gt_esp
                mov %ss, gt_ss
                mov %cs, gt_cs_now
                mov 0(%esp), %eax
                mov %eax, gt_ret_eip
                mov 4(%esp), %eax
                mov %eax, gt_ret_cs
                mov 8(%esp), %eax
                mov %eax, gt_p0
                mov 12(%esp), %eax
                mov %eax, gt_p1
                mov 16(%esp), %eax
                mov %eax, gt_user_esp
                mov 20(%esp), %eax
                mov %eax, gt_user_ss
                mov $0x10, %ax                  /* DPL-0 data in FS: must be nulled on RET */
                mov %ax, %fs
                lret $8                         /* pops the 2 parameters from both stacks */

/* Ring 3: INT 0x40 (interrupt gate) / INT 0x41 (trap gate), then record FS and ESP. */
FN(u_int40)     mov %esp, u_esp_before
                int $0x40
                mov %esp, u_esp_after
                mov %fs, u_fs_after
                ret
FN(u_int41)     mov %esp, u_esp_before
                int $0x41
                mov %esp, u_esp_after
                mov %fs, u_fs_after
                ret

        .data
        .globl u_esp_before, u_esp_after, u_fs_after, u_cs, u_ss, gt_esp, gt_ss, gt_cs_now
        .globl gt_ret_eip, gt_ret_cs, gt_p0, gt_p1, gt_user_esp, gt_user_ss
u_esp_before: .long 0
u_esp_after: .long 0
u_fs_after: .long 0xffff
u_cs: .long 0
u_ss: .long 0
gt_esp: .long 0
gt_ss: .long 0
gt_cs_now: .long 0
gt_ret_eip: .long 0
gt_ret_cs: .long 0
gt_p0: .long 0
gt_p1: .long 0
gt_user_esp: .long 0
gt_user_ss: .long 0
