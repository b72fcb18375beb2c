/* main.c: kmain, the kernel's C entry point, and the boot command line.
 *
 * Order matters: console first (so we can complain), then segments and traps, then memory,
 * then devices that interrupt, and finally the first process: the shell.
 *
 * Command line (multiboot, vmlab/QEMU -append):
 *   script=CMD;CMD;...   the shell runs these first (everything after "script=" counts,
 *                        spaces included, so put it last), e.g. script=ps;forktest;poweroff
 *   bench=quick|full     run every benchmark, then power off (= script=bench quick;poweroff) */
#include "kernel.h"
#include "x86.h"

char boot_cmdline[256];

struct multiboot_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

const char *cmdline_get(const char *key) {
    size_t n = strlen(key);
    for (const char *p = boot_cmdline; *p; p++)
        if ((p == boot_cmdline || p[-1] == ' ') && !strncmp(p, key, n) && p[n] == '=') return p + n + 1;
    return 0;
}

void kmain(uint32_t magic, const struct multiboot_info *mb) {
    /* Take what we need from the multiboot info before the page allocator may reuse it. */
    uint32_t ram_end = 16u << 20;   /* a guess when the loader says nothing */
    if (magic == 0x2BADB002) {
        if (mb->flags & 1) ram_end = 0x100000 + mb->mem_upper * 1024;
        if (mb->flags & 4) strlcpy(boot_cmdline, (const char *)mb->cmdline, sizeof boot_cmdline);
    }
    console_init();
    gdt_init();
    idt_init();
    pic_init();
    paging_init(ram_end);
    vmlab_detect();
    printk("vmlab teaching kernel: %u KiB free, ", pages_free() * 4);
    if (vmlab_technique())
        printk("running on vmlab, technique %s (id %d)\n", vmlab_technique(), vmlab_technique_id());
    else
        printk("not running on vmlab (benchmarks count TSC ticks)\n");
    if (boot_cmdline[0]) printk("command line: %s\n", boot_cmdline);

    pit_init(100);
    kbd_init();
    pic_unmask(IRQ_COM1);   /* a byte already waiting is read by the first console read */

    char arg[128] = "";
    const char *v;
    if ((v = cmdline_get("script")) != 0) {
        strlcpy(arg, v, sizeof arg);
    } else if ((v = cmdline_get("bench")) != 0) {
        snprintf(arg, sizeof arg, "bench %s;poweroff", strncmp(v, "full", 4) ? "quick" : "full");
    }
    if (!proc_spawn("sh", arg)) panic("cannot start the shell");
    scheduler();
}
