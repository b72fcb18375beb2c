/* syscall.h: system call numbers, shared by the kernel and the user programs.
 * Calling convention (int 0x80 and SYSENTER alike): EAX = number, EBX, ESI, EDI = arguments,
 * result in EAX (negative = error). */
#pragma once
#define SYS_NULL        0   /* ()                     does nothing: the syscall benchmark */
#define SYS_WRITE       1   /* (buf, len)             to the console */
#define SYS_READ        2   /* (buf, len)             one line from the console */
#define SYS_FORK        3   /* ()                     child pid, 0 in the child */
#define SYS_EXEC        4   /* (name, arg)            run an embedded program */
#define SYS_EXIT        5   /* (code) */
#define SYS_WAIT        6   /* (&status)              pid of a finished child, -1 if none */
#define SYS_GETPID      7
#define SYS_PS          8   /* ()                     print the process table */
#define SYS_MEMINFO     9   /* (uint32_t out[3])      total pages, free pages, kernel bytes */
#define SYS_POWEROFF   10
#define SYS_DE_HANDLER 11   /* (fn)                   run fn(fault_eip) on a divide error */
#define SYS_DE_RETURN  12   /* (eip)                  leave the handler, continue at eip */
#define SYS_CLOCK      13   /* (uint64_t out[3])      host ns (or TSC), guest insns, exits */
#define SYS_KBENCH     14   /* (which, iters, out[3]) a kernel-mode benchmark: deltas */
#define SYS_SYSINFO    15   /* (char name[16])        technique id (-1: not vmlab); flags */
#define SYS_UNMAP      16   /* (addr, len)            give user pages back */
#define SYS_CMDLINE    17   /* (buf, len)             the kernel command line */

/* SYS_KBENCH benchmarks */
#define KB_IN     0   /* inb from the PIC's mask register (port 0x21): no side effect */
#define KB_TPRWR  1   /* write the local APIC task priority register */
#define KB_PTEMOD 2   /* change a PTE and INVLPG it */

/* SYS_SYSINFO flags (returned in the high bits of the result) */
#define SI_HOST_NS 0x100   /* SYS_CLOCK out[0] is host ns, not TSC ticks */
#define SI_INSNS   0x200   /* out[1] is valid */
#define SI_EXITS   0x400   /* out[2] is valid */
