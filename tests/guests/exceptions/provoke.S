/* Code that provokes each exception. Every function is called through rt_catch (ring 0) or
 * rt_catch_user (ring 3); the label *_site marks the instruction whose address the CPU must
 * save (faults), *_after the next instruction (traps). */
#define FN(name) .globl name; name:

        .text
FN(do_de)       xor %ecx, %ecx
                mov $1, %eax
                xor %edx, %edx
FN(de_site)     div %ecx
                ret

/* TF set by POPF: the trap comes after the instruction that *follows* POPF (that one starts
 * with TF=1), so the saved EIP is the instruction after the NOP. */
FN(do_db_tf)    pushfl
                orl $0x100, (%esp)
                popfl
                nop
FN(db_tf_after) nop
                ret

FN(do_icebp)    .byte 0xf1                      /* INT1 / ICEBP: #DB, trap */
FN(icebp_after) ret

FN(do_bp)       int3
FN(bp_after)    ret

FN(do_of)       mov $0x7fffffff, %eax
                add $1, %eax                    /* OF = 1 */
                into
FN(of_after)    ret

FN(do_br)       mov $5, %eax
FN(br_site)     bound %eax, bounds              /* 5 outside [0, 3] */
                ret

FN(do_ud2)      nop
FN(ud2_site)    ud2
                ret

FN(do_ud_ff)    nop
FN(ud_ff_site)  .byte 0xff, 0xff                /* FF /7: reserved in group 5 */
                ret

FN(do_ud_lock)  nop
FN(ud_lock_site) .byte 0xf0, 0x90               /* LOCK NOP: LOCK on a non-memory op */
                ret

FN(do_nm_esc)   nop
FN(nm_esc_site) .byte 0xdb, 0xe3                /* FNINIT with CR0.EM = 1 */
                ret

FN(do_nm_wait)  nop
FN(nm_wait_site) .byte 0x9b                     /* WAIT with CR0.TS = CR0.MP = 1 */
                ret

FN(do_ts)       nop
FN(ts_site)     ljmp $0x30, $0                  /* TSS descriptor with limit < 0x67 */
                ret

FN(do_np)       mov $0x38, %eax
FN(np_site)     mov %ax, %fs                    /* data segment, P = 0 */
                ret

FN(do_ss_limit) mov $0x40, %eax                 /* stack segment, base 0, limit 4 MiB - 1 */
                mov %ax, %ss
FN(ss_limit_site) mov 0x1000000(%esp), %eax     /* 16 MiB above ESP: beyond the limit */
                ret

FN(do_ss_np)    mov $0x48, %eax
FN(ss_np_site)  mov %ax, %ss                    /* stack segment, P = 0 */
                ret

FN(do_gp_gdt_limit) mov $0x1000, %eax
FN(gp_gdt_limit_site) mov %ax, %ds              /* index 512: beyond the GDT limit */
                ret

FN(do_gp_exec_only) mov $0x50, %eax
FN(gp_exec_only_site) mov %ax, %ds              /* execute-only code segment into DS */
                ret

FN(do_gp_ro_write) mov $0x58, %eax
                mov %ax, %fs                    /* read-only data segment */
FN(gp_ro_write_site) movl $1, %fs:scratch
                ret

FN(do_gp_jmp_data) nop
FN(gp_jmp_data_site) ljmp $0x10, $0             /* far JMP to a data segment */
                ret

FN(do_gp_ss_rpl) mov $0x23, %eax
FN(gp_ss_rpl_site) mov %ax, %ss                 /* SS with RPL/DPL 3 at CPL 0 */
                ret

FN(do_gp_cr4)   mov %cr4, %eax
                or $0x8000, %eax                /* CR4 bit 15: reserved */
FN(gp_cr4_site) mov %eax, %cr4
                ret

/* Ring 3 code below (entered through rt_catch_user). */
FN(do_user_hlt) nop
FN(user_hlt_site) hlt
                ret

FN(do_user_int) nop
FN(user_int_site) int $0x31                     /* gate DPL 0 < CPL 3 */
                ret

FN(do_user_cli) nop
FN(user_cli_site) cli                           /* IOPL 0 < CPL 3 */
                ret

FN(do_pf_read)  mov $0x40000010, %eax
FN(pf_read_site) mov (%eax), %ecx               /* not present */
                ret

FN(do_pf_write) mov $0x40000020, %eax
FN(pf_write_site) movl $7, (%eax)               /* not present, write */
                ret

FN(do_user_pf_ro) mov $0x40001008, %eax
FN(user_pf_ro_site) movl $7, (%eax)             /* user write to a read-only user page */
                ret

FN(do_user_pf_sup) mov $0x40002004, %eax
FN(user_pf_sup_site) mov (%eax), %ecx           /* user read of a supervisor page */
                ret

FN(do_user_ac)  mov %esp, %eax
                sub $63, %eax                   /* misaligned, inside the user stack */
FN(user_ac_site) mov (%eax), %ecx               /* CR0.AM = EFLAGS.AC = 1 at CPL 3 */
                ret

        .data
        .align 8
bounds: .long 0, 3
        .globl scratch
scratch: .long 0

        .text
FN(do_np_gate)  nop
FN(np_gate_site) int $0x42                      /* IDT gate 0x42 not present */
                ret
