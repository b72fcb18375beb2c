/* syscall.c: the system call table. Arguments arrive in the trapframe (EBX, ESI, EDI) of
 * either entry path; every user pointer is checked to lie in user space before use (the
 * kernel may then touch it directly: page faults there are demand-zero like the user's own). */
#include "kernel.h"
#include "syscall.h"
#include "x86.h"

/* Copies a user string into dst (at most n-1 characters); -1 if it leaves user space. */
static int user_string(char *dst, uint32_t src, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!user_range_ok(src + i, 1)) return -1;
        dst[i] = ((const char *)src)[i];
        if (!dst[i]) return 0;
    }
    dst[n - 1] = 0;
    return 0;
}

int32_t syscall_dispatch(struct trapframe *tf) {
    uint32_t a = tf->ebx, b = tf->esi, c = tf->edi;
    switch (tf->eax) {
    case SYS_NULL: return 0;
    case SYS_WRITE:
        if (!user_range_ok(a, b)) return -1;
        console_write((const char *)a, b);
        return (int32_t)b;
    case SYS_READ:
        if (!user_range_ok(a, b) || b == 0) return -1;
        return console_read_line((char *)a, b);
    case SYS_FORK: return proc_fork();
    case SYS_EXEC: {
        char name[16], arg[128];
        if (user_string(name, a, sizeof name) < 0 || user_string(arg, b, sizeof arg) < 0) return -1;
        return proc_exec(name, arg);
    }
    case SYS_EXIT: proc_exit((int)a);
    case SYS_WAIT: {
        int status;
        if (a && !user_range_ok(a, 4)) return -1;
        int pid = proc_wait(&status);
        if (pid > 0 && a) *(int *)a = status;
        return pid;
    }
    case SYS_GETPID: return current->pid;
    case SYS_PS: proc_list(); return 0;
    case SYS_MEMINFO:
        if (!user_range_ok(a, 12)) return -1;
        ((uint32_t *)a)[0] = pages_total();
        ((uint32_t *)a)[1] = pages_free();
        ((uint32_t *)a)[2] = kernel_end_phys - 0x100000;
        return 0;
    case SYS_POWEROFF: power_off();
    case SYS_DE_HANDLER:
        if (a && !user_range_ok(a, 1)) return -1;
        current->de_handler = a;
        return 0;
    case SYS_DE_RETURN:
        if (!current->in_handler || !user_range_ok(a, 1)) return -1;
        *tf = current->saved_tf;           /* the state at the fault ... */
        tf->eip = a;                       /* ... continuing where the handler says */
        current->in_handler = 0;
        return (int32_t)tf->eax;           /* the saved EAX goes back unchanged */
    case SYS_CLOCK:
        if (!user_range_ok(a, 24)) return -1;
        clock_sample((uint64_t *)a);
        return 0;
    case SYS_KBENCH:
        if (!user_range_ok(c, 24)) return -1;
        return kbench_run((int)a, b, (uint64_t *)c);
    case SYS_SYSINFO: {
        if (!user_range_ok(a, 16)) return -1;
        const char *t = vmlab_technique();
        strlcpy((char *)a, t ? t : "", 16);
        uint64_t s[3];
        clock_sample(s);
        int32_t flags = (clock_is_host_ns() ? SI_HOST_NS : 0) | (s[1] != ~0ull ? SI_INSNS : 0) |
                        (s[2] != ~0ull ? SI_EXITS : 0);
        return flags | (vmlab_technique_id() & 0xFF);
    }
    case SYS_UNMAP:
        if (!user_range_ok(a, b)) return -1;
        unmap_user_range(current, a, b);
        return 0;
    case SYS_CMDLINE:
        if (!user_range_ok(a, b) || b == 0) return -1;
        strlcpy((char *)a, boot_cmdline, b);
        return 0;
    default:
        return -1;
    }
}
