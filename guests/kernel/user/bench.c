/* bench.c: the virtualization nanobenchmarks (after Adams & Agesen, ASPLOS 2006).
 *
 * Each benchmark repeats one operation `iters` times between two clock samples and reports
 * per operation: host nanoseconds (vmlab's host-time MSR; TSC ticks elsewhere), guest
 * instructions retired and exits to the VMM (vmlab's counters; '-' when unknown). Operations
 * that need ring 0 (in, tprwr, ptemod) run inside the kernel through SYS_KBENCH.
 * Output: a table, and one machine-readable line per benchmark:
 *   nb <name> <ns_per_op> <guest_insns_per_op> <exits_per_op>
 * Usage: bench [quick|full] */
#include "ulib.h"

static int sysinfo;

static void sample(uint64_t s[3]) { sys(SYS_CLOCK, (int)s, 0, 0); }

/* ---- the user-mode operations ---- */
__attribute__((noinline)) static void empty_function(void) { __asm__ volatile(""); }

static void op_syscall_int80(uint32_t n) { for (uint32_t i = 0; i < n; i++) sys_int80(SYS_NULL, 0, 0, 0); }
static void op_syscall_sysenter(uint32_t n) { for (uint32_t i = 0; i < n; i++) sys_sysenter(SYS_NULL, 0, 0, 0); }
static void op_callret(uint32_t n) { for (uint32_t i = 0; i < n; i++) empty_function(); }

#define PGFAULT_BASE 0x60000000u
static void op_pgfault(uint32_t n) {
    for (uint32_t i = 0; i < n; i++) *(volatile uint8_t *)(PGFAULT_BASE + i * 4096u) = 1;
}

/* divzero: divide_once divides by zero; the handler resumes after the DIV. */
extern void divide_once(void);
extern char divide_after[];
__asm__(".text\n"
        "divide_once:\n\t"
        "xor %ecx, %ecx\n\tmov $1, %eax\n\txor %edx, %edx\n\t"
        "div %ecx\n"
        "divide_after:\n\t"
        "ret\n");
static void de_handler(uint32_t fault_eip) {
    (void)fault_eip;
    sys_int80(SYS_DE_RETURN, (int)divide_after, 0, 0);
}
static void op_divzero(uint32_t n) { for (uint32_t i = 0; i < n; i++) divide_once(); }

static void op_forkwait(uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        int pid = fork();
        if (pid == 0) exit(0);
        int w;
        do w = wait(0); while (w != pid && w != -1);
    }
}

static void op_cpuloop(uint32_t n) {
    uint32_t x = 0;
    __asm__ volatile("1:\n\tadd %1, %0\n\tdec %1\n\tjnz 1b" : "+r"(x), "+r"(n));
}

/* ---- running and printing ---- */
struct bench {
    const char *name;
    void (*op)(uint32_t);   /* user mode, or 0 for a kernel benchmark */
    int kernel_which;
    uint32_t quick, full;
};

static const struct bench benches[] = {
    { "syscall_int80",    op_syscall_int80,    0,         2000,   100000 },
    { "syscall_sysenter", op_syscall_sysenter, 0,         2000,   100000 },
    { "in",               0,                   KB_IN,     5000,   200000 },
    { "tprwr",            0,                   KB_TPRWR,  5000,   200000 },
    { "callret",          op_callret,          0,         20000,  2000000 },
    { "pgfault",          op_pgfault,          0,         100,    2000 },
    { "divzero",          op_divzero,          0,         1000,   50000 },
    { "ptemod",           0,                   KB_PTEMOD, 5000,   200000 },
    { "forkwait",         op_forkwait,         0,         20,     1000 },
    { "cpuloop",          op_cpuloop,          0,         100000, 20000000 },
};

/* value / n with `dec` decimals, or "-" when unknown. */
static void ratio(char *buf, size_t size, uint64_t value, uint32_t n, int dec) {
    if (value == ~0ull) { snprintf(buf, size, "-"); return; }
    uint64_t scale = dec == 2 ? 100 : 10;
    uint64_t v = (value * scale + n / 2) / n;
    if (dec == 2) snprintf(buf, size, "%llu.%02llu", v / 100, v % 100);
    else snprintf(buf, size, "%llu.%llu", v / 10, v % 10);
}

int main(const char *arg) {
    int full = !strcmp(arg, "full");
    char technique[16];
    sysinfo = sys(SYS_SYSINFO, (int)technique, 0, 0);
    const char *unit = (sysinfo & SI_HOST_NS) ? "ns" : "tsc";
    printf("nanobenchmarks (%s): technique %s, time in %s\n", full ? "full" : "quick",
           (sysinfo & 0xFF) == 0xFF ? "unknown (not vmlab)" : technique,
           (sysinfo & SI_HOST_NS) ? "host nanoseconds" : "TSC ticks (no vmlab host clock)");
    printf("nb_units %s\n", unit);
    sys(SYS_DE_HANDLER, (int)de_handler, 0, 0);

    char lines[sizeof benches / sizeof benches[0]][96];
    for (unsigned b = 0; b < sizeof benches / sizeof benches[0]; b++) {
        const struct bench *bp = &benches[b];
        lines[b][0] = 0;
        uint32_t n = full ? bp->full : bp->quick;
        uint64_t d[3], s0[3], s1[3];
        if (bp->op) {
            sample(s0);
            bp->op(n);
            sample(s1);
            for (int i = 0; i < 3; i++) d[i] = s0[i] == ~0ull ? ~0ull : s1[i] - s0[i];
            if (bp->op == op_pgfault) sys(SYS_UNMAP, PGFAULT_BASE, n * 4096, 0);
        } else if (sys(SYS_KBENCH, bp->kernel_which, (int)n, (int)d) < 0) {
            printf("bench: %s failed\n", bp->name);
            continue;
        }
        char t[24], ins[24], ex[24];
        ratio(t, sizeof t, d[0], n, 1);
        ratio(ins, sizeof ins, d[1], n, 1);
        ratio(ex, sizeof ex, d[2], n, 2);
        printf("nb %s %s %s %s\n", bp->name, t, ins, ex);
        snprintf(lines[b], sizeof lines[b], "%-18s %9u %12s %10s %9s", bp->name, n, t, ins, ex);
    }
    printf("%-18s %9s %12s %10s %9s\n", "benchmark", "iters", (sysinfo & SI_HOST_NS) ? "ns/op" : "ticks/op",
           "insns/op", "exits/op");
    for (unsigned b = 0; b < sizeof benches / sizeof benches[0]; b++)
        if (lines[b][0]) printf("%s\n", lines[b]);
    printf("bench: done\n");
    return 0;
}
