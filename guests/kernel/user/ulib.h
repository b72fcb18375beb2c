/* ulib.h: the user programs' tiny C library: system call wrappers and printf. */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include "../syscall.h"

int sys_int80(int n, int a, int b, int c);
int sys_sysenter(int n, int a, int b, int c);
static inline int sys(int n, int a, int b, int c) { return sys_int80(n, a, b, c); }

static inline int write(const char *s, size_t n) { return sys(SYS_WRITE, (int)s, (int)n, 0); }
static inline int readline(char *buf, size_t n) { return sys(SYS_READ, (int)buf, (int)n, 0); }
static inline int fork(void) { return sys(SYS_FORK, 0, 0, 0); }
static inline int exec(const char *name, const char *arg) { return sys(SYS_EXEC, (int)name, (int)arg, 0); }
static inline void exit(int code) { sys(SYS_EXIT, code, 0, 0); for (;;) {} }
static inline int wait(int *status) { return sys(SYS_WAIT, (int)status, 0, 0); }
static inline int getpid(void) { return sys(SYS_GETPID, 0, 0, 0); }

int printf(const char *fmt, ...);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
void strlcpy(char *d, const char *s, size_t n);
int snprintf(char *buf, size_t n, const char *fmt, ...);
int vsnprintf(char *buf, size_t n, const char *fmt, __builtin_va_list ap);
