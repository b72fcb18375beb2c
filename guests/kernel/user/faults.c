/* faults.c: misbehaving on purpose. Each child does one thing a user program may not do; the
 * kernel must kill it with a message and keep running (the parent reports what it saw):
 *   hlt            a privileged instruction: #GP
 *   read 0x100000  the kernel's memory (mapped, but supervisor-only): #PF, protection
 *   1 / 0          a divide error with no handler registered: #DE */
#include "ulib.h"

static void do_privileged(void) { __asm__ volatile("hlt"); }
static void do_kernel_memory(void) { (void)*(volatile uint32_t *)0x00100000; }
static void do_divide(void) {
    /* In assembly: C calls dividing by zero undefined, and the compiler may drop it. */
    __asm__ volatile("xor %%ecx, %%ecx\n\tmov $1, %%eax\n\txor %%edx, %%edx\n\tdiv %%ecx"
                     : : : "eax", "ecx", "edx");
}

int main(const char *arg) {
    (void)arg;
    static const struct { const char *what; void (*fn)(void); } tests[] = {
        { "privileged instruction", do_privileged },
        { "kernel memory", do_kernel_memory },
        { "divide by zero", do_divide },
    };
    int killed = 0;
    for (int i = 0; i < 3; i++) {
        printf("faults: child tries: %s\n", tests[i].what);
        int pid = fork();
        if (pid == 0) {
            tests[i].fn();
            printf("faults: %s was NOT stopped\n", tests[i].what);
            exit(0);
        }
        int status;
        wait(&status);
        if (status == -1) killed++;
    }
    printf("faults: %d of 3 children killed, the kernel is still running\n", killed);
    return killed == 3 ? 0 : 1;
}
