/* printf.c: printf for user programs, on top of SYS_WRITE. */
#include <stdarg.h>
#include "ulib.h"

int printf(const char *fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    write(buf, strlen(buf));
    return n;
}
