/* proc.c: processes - creating one from a program image, fork, exec, exit, wait.
 *
 * A process is a slot in a fixed table: its own page directory (user half), a kernel stack,
 * and the saved context of its kernel thread. A process runs in ring 3 until a trap takes it
 * into the kernel on its kernel stack; the trapframe at the top of that stack is its user state.
 *
 * Program images are ELF executables built with the kernel and embedded in it (images.S):
 * exec maps each PT_LOAD segment into fresh zeroed pages and starts at e_entry with the stack
 * at USER_STACK_TOP, the argument string on it. */
#include "kernel.h"
#include "x86.h"

static struct proc procs[NPROC];
static uint8_t kstacks[NPROC][KSTACK_SIZE] __attribute__((aligned(16)));
static int next_pid = 1;
struct proc *current;

struct elf_header {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version, entry, phoff, shoff, flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf_phdr { uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align; };
#define PT_LOAD 1

const struct user_image *find_image(const char *name) {
    for (const struct user_image *im = user_images; im->name; im++)
        if (!strcmp(im->name, name)) return im;
    return 0;
}

/* A free slot with a kernel stack laid out so that the first switch to it runs forkret and
 * then returns to user mode through trapret with *tf. */
static struct proc *proc_alloc(void) {
    struct proc *p = 0;
    for (int i = 0; i < NPROC; i++)
        if (procs[i].state == UNUSED) { p = &procs[i]; break; }
    if (!p) return 0;
    uint8_t *kstack = kstacks[p - procs];
    memset(p, 0, sizeof *p);
    p->pgdir = pgdir_new();
    if (!p->pgdir) return 0;
    p->state = EMBRYO;
    p->pid = next_pid++;
    p->kstack = kstack;
    uint8_t *sp = kstack + KSTACK_SIZE;
    sp -= sizeof(struct trapframe);
    p->tf = (struct trapframe *)sp;
    sp -= 4;
    *(uint32_t *)sp = (uint32_t)trapret;
    sp -= sizeof(struct context);
    p->ctx = (struct context *)sp;
    memset(p->ctx, 0, sizeof *p->ctx);
    extern void forkret(void);
    p->ctx->eip = (uint32_t)forkret;
    return p;
}

static void proc_free(struct proc *p) {
    if (p->pgdir) pgdir_free(p->pgdir);
    p->pgdir = 0;
    p->state = UNUSED;
}

/* Loads image into p's (empty) user space; sets up the user stack with arg; fills *tf. */
static int load_image(struct proc *p, const struct user_image *im, const char *arg, struct trapframe *tf) {
    const struct elf_header *eh = (const void *)im->start;
    uint32_t size = (uint32_t)(im->end - im->start);
    if (size < sizeof *eh || eh->ident[0] != 0x7F || eh->ident[1] != 'E' || eh->phentsize != sizeof(struct elf_phdr))
        return -1;
    uint32_t *saved_cr3;
    __asm__ volatile("mov %%cr3, %0" : "=r"(saved_cr3));
    load_pgdir(p->pgdir);                 /* so we can copy straight to the user addresses */
    for (int i = 0; i < eh->phnum; i++) {
        const struct elf_phdr *ph = (const void *)(im->start + eh->phoff + i * sizeof *ph);
        if (ph->type != PT_LOAD) continue;
        if (!user_range_ok(ph->vaddr, ph->memsz) || ph->filesz > ph->memsz || ph->offset + ph->filesz > size)
            goto bad;
        for (uint32_t a = ph->vaddr & ~(PAGE_SIZE - 1); a < ph->vaddr + ph->memsz; a += PAGE_SIZE)
            if (map_user_page(p, a) < 0) goto bad;
        memcpy((void *)ph->vaddr, im->start + ph->offset, ph->filesz);
    }
    /* Stack: the argument string, then main's argument (a pointer to it), then a fake
     * return address. */
    uint32_t sp = USER_STACK_TOP;
    if (map_user_page(p, sp - PAGE_SIZE) < 0) goto bad;   /* the rest of the stack: demand zero */
    size_t len = strlen(arg) + 1;
    sp = (sp - len) & ~3u;
    memcpy((void *)sp, arg, len);
    uint32_t argp = sp;
    sp -= 8;
    ((uint32_t *)sp)[0] = 0;
    ((uint32_t *)sp)[1] = argp;
    load_pgdir(saved_cr3);
    memset(tf, 0, sizeof *tf);
    tf->cs = USER_CS;
    tf->ds = tf->es = tf->fs = tf->gs = tf->user_ss = USER_DS;
    tf->eflags = 0x202;                   /* IF=1: user code is always interruptible */
    tf->eip = eh->entry;
    tf->user_esp = sp;
    strlcpy(p->name, im->name, sizeof p->name);
    return 0;
bad:
    load_pgdir(saved_cr3);
    return -1;
}

struct proc *proc_spawn(const char *image, const char *arg) {
    const struct user_image *im = find_image(image);
    struct proc *p = im ? proc_alloc() : 0;
    if (!p) return 0;
    if (load_image(p, im, arg, p->tf) < 0) { proc_free(p); return 0; }
    p->state = RUNNABLE;
    return p;
}

int proc_fork(void) {
    struct proc *child = proc_alloc();
    if (!child) return -1;
    if (copy_user_space(child, current) < 0) { proc_free(child); return -1; }
    *child->tf = *current->tf;
    child->tf->eax = 0;                   /* fork returns 0 in the child */
    child->ppid = current->pid;
    child->de_handler = current->de_handler;
    strlcpy(child->name, current->name, sizeof child->name);
    child->state = RUNNABLE;
    return child->pid;
}

/* Replaces the current program. Builds the new address space first, so a failed exec
 * returns -1 to a caller that is still intact. */
int proc_exec(const char *image, const char *arg) {
    char name[16], argbuf[128];
    strlcpy(name, image, sizeof name);    /* copy out of the old user memory before it goes */
    strlcpy(argbuf, arg, sizeof argbuf);
    const struct user_image *im = find_image(name);
    if (!im) return -1;
    uint32_t *new_pd = pgdir_new(), *old_pd = current->pgdir;
    uint32_t old_pages = current->user_pages;
    if (!new_pd) return -1;
    struct trapframe tf;
    current->pgdir = new_pd;
    current->user_pages = 0;
    if (load_image(current, im, argbuf, &tf) < 0) {
        pgdir_free(new_pd);
        current->pgdir = old_pd;
        current->user_pages = old_pages;
        return -1;
    }
    load_pgdir(new_pd);
    pgdir_free(old_pd);
    tf.eax = 0;
    *current->tf = tf;
    current->de_handler = 0;
    current->in_handler = 0;
    return 0;
}

void proc_exit(int code) {
    if (current->pid == 1) {
        printk("kernel: the first process (%s) exited with %d\n", current->name, code);
        power_off();
    }
    for (int i = 0; i < NPROC; i++)       /* orphans go to process 1, which waits for them */
        if (procs[i].state != UNUSED && procs[i].ppid == current->pid) procs[i].ppid = 1;
    current->exit_code = code;
    current->state = ZOMBIE;
    for (int i = 0; i < NPROC; i++)
        if (procs[i].pid == current->ppid) wakeup(&procs[i]);
    wakeup(&procs[0]);                    /* process 1 may have inherited zombies */
    yield();
    panic("a zombie ran");
}

void proc_kill_current(const char *why, struct trapframe *tf) {
    printk("kernel: killed pid %d (%s): %s at eip %p\n", current->pid, current->name, why, tf->eip);
    proc_exit(-1);
}

int proc_wait(int *status) {
    for (;;) {
        int have_children = 0;
        for (int i = 0; i < NPROC; i++) {
            struct proc *p = &procs[i];
            if (p->state == UNUSED || p->ppid != current->pid) continue;
            have_children = 1;
            if (p->state == ZOMBIE) {
                int pid = p->pid;
                if (status) *status = p->exit_code;
                proc_free(p);
                return pid;
            }
        }
        if (!have_children) return -1;
        sleep_on(current);
    }
}

void proc_list(void) {
    static const char *const state[] = { "unused", "embryo", "sleep", "ready", "run", "zombie" };
    printk("  PID  PPID  STATE   PAGES  NAME\n");
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = &procs[i];
        if (p->state == UNUSED) continue;
        printk("%5d %5d  %-7s %5u  %s\n", p->pid, p->ppid, state[p->state], p->user_pages, p->name);
    }
}

struct proc *proc_table(void) { return procs; }
