/* lib.c: the bits of a C library the kernel and the user programs both need (they are compiled
 * into each separately): string functions and a small vsnprintf.
 * vsnprintf understands %d %u %x %s %c %p and %llu/%lld/%llx, with a width and 0 or - flags. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void *memset(void *d, int c, size_t n) {
    uint8_t *p = d;
    while (n--) *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n) {
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--) *p++ = *q++;
    return d;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

int strncmp(const char *a, const char *b, size_t n) {
    for (; n; n--, a++, b++) {
        if (*a != *b) return (uint8_t)*a - (uint8_t)*b;
        if (!*a) return 0;
    }
    return 0;
}

int strcmp(const char *a, const char *b) { return strncmp(a, b, (size_t)-1); }

void strlcpy(char *d, const char *s, size_t n) {
    if (!n) return;
    while (--n && *s) *d++ = *s++;
    *d = 0;
}

struct out { char *buf; size_t n, len; };

static void put(struct out *o, char c) {
    if (o->len + 1 < o->n) o->buf[o->len] = c;
    o->len++;
}

static void number(struct out *o, uint64_t v, int neg, unsigned base, int width, char pad, int left) {
    char tmp[24];
    int i = 0;
    do { tmp[i++] = "0123456789abcdef"[v % base]; v /= base; } while (v);
    if (neg) tmp[i++] = '-';
    int fill = width > i ? width - i : 0;
    if (!left) while (fill-- > 0) put(o, pad);
    while (i) put(o, tmp[--i]);
    if (left) while (fill-- > 0) put(o, ' ');
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap) {
    struct out o = { buf, n, 0 };
    for (; *fmt; fmt++) {
        if (*fmt != '%') { put(&o, *fmt); continue; }
        fmt++;
        int left = 0, width = 0, longlong = 0;
        char pad = ' ';
        if (*fmt == '-') { left = 1; fmt++; }
        if (*fmt == '0') { pad = '0'; fmt++; }
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        if (fmt[0] == 'l' && fmt[1] == 'l') { longlong = 1; fmt += 2; }
        switch (*fmt) {
        case 'd': {
            int64_t v = longlong ? va_arg(ap, int64_t) : va_arg(ap, int);
            number(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, width, pad, left);
            break;
        }
        case 'u': number(&o, longlong ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 0, 10, width, pad, left); break;
        case 'x': number(&o, longlong ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 0, 16, width, pad, left); break;
        case 'p': number(&o, va_arg(ap, uint32_t), 0, 16, 8, '0', 0); break;
        case 'c': put(&o, (char)va_arg(ap, int)); break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            int len = (int)strlen(s);
            if (!left) for (int i = len; i < width; i++) put(&o, ' ');
            while (*s) put(&o, *s++);
            if (left) for (int i = len; i < width; i++) put(&o, ' ');
            break;
        }
        case '%': put(&o, '%'); break;
        default: put(&o, '%'); if (*fmt) put(&o, *fmt); else fmt--; break;
        }
    }
    if (n) buf[o.len < n ? o.len : n - 1] = 0;
    return (int)o.len;
}

int snprintf(char *buf, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}
