/* sh.c: a tiny shell. Built-in commands: help, ps, mem, poweroff; any other word runs the
 * program of that name (fork, exec, wait) with the rest of the line as its argument.
 * Its argument (from the kernel command line) is a list of commands separated by ';' to run
 * before reading from the console. */
#include "ulib.h"

static void banner(void) {
    char technique[16];
    int r = sys(SYS_SYSINFO, (int)technique, 0, 0);
    if ((r & 0xFF) == 0xFF)
        printf("vmlab shell - not on vmlab (no vmlab CPUID signature)\n");
    else
        printf("vmlab shell - vmlab reports technique: %s (id %d)\n", technique, r & 0xFF);
    printf("type 'help' for commands\n");
}

static void run(char *line) {
    while (*line == ' ') line++;
    char *arg = line;
    while (*arg && *arg != ' ') arg++;
    if (*arg) *arg++ = 0;
    while (*arg == ' ') arg++;
    if (!*line) return;
    if (!strcmp(line, "help")) {
        printf("built in: help ps mem poweroff\n"
               "programs: bench [quick|full]  forktest  faults  hello [text]\n");
    } else if (!strcmp(line, "ps")) {
        sys(SYS_PS, 0, 0, 0);
    } else if (!strcmp(line, "mem")) {
        uint32_t m[3];
        sys(SYS_MEMINFO, (int)m, 0, 0);
        printf("memory: %u KiB total, %u KiB free, kernel image %u KiB\n", m[0] * 4, m[1] * 4, m[2] / 1024);
    } else if (!strcmp(line, "poweroff")) {
        sys(SYS_POWEROFF, 0, 0, 0);
    } else {
        int pid = fork();
        if (pid == 0) {
            exec(line, arg);
            printf("sh: %s: no such program\n", line);
            exit(127);
        }
        int status, w;
        do w = wait(&status); while (w != pid && w != -1);   /* skip adopted orphans */
        if (status != 0) printf("sh: %s exited with %d\n", line, status);
    }
}

int main(const char *script) {
    banner();
    char line[128];
    strlcpy(line, script, sizeof line);
    for (char *cmd = line; *cmd;) {   /* the script: commands separated by ';' */
        char *end = cmd;
        while (*end && *end != ';') end++;
        char more = *end;
        *end = 0;
        printf("$ %s\n", cmd);
        run(cmd);
        cmd = more ? end + 1 : end;
    }
    for (;;) {
        printf("$ ");
        if (readline(line, sizeof line) >= 0) run(line);
    }
}
