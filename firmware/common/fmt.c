/*
 * fmt.c - tiny freestanding printf-style formatter.
 *
 * Supports %d %i %u %x %X %p %s %c %%, the '-' and '0' flags, a decimal
 * field width and the h/l/z (32-bit) and ll (64-bit) length modifiers.
 * (int, long and size_t are all 32 bits on both targets.)
 */
#include "tinysim.h"

#define FLAG_LEFT 1u
#define FLAG_ZERO 2u

static void emit_padded(fmt_out_fn out, void *ctx, int *count, const char *s, unsigned len,
                        unsigned width, unsigned flags, int negative)
{
    unsigned total = len + (negative ? 1u : 0u);
    unsigned pad = width > total ? width - total : 0u;

    if (!(flags & FLAG_LEFT) && !(flags & FLAG_ZERO)) {
        for (; pad; pad--, (*count)++)
            out(' ', ctx);
    }
    if (negative) {
        out('-', ctx);
        (*count)++;
    }
    if (!(flags & FLAG_LEFT) && (flags & FLAG_ZERO)) {
        for (; pad; pad--, (*count)++)
            out('0', ctx);
    }
    for (unsigned i = 0; i < len; i++, (*count)++)
        out(s[i], ctx);
    for (; pad; pad--, (*count)++)
        out(' ', ctx);
}

/* v /= 10, returns v % 10, using only 32-bit divisions (no libgcc). */
static uint32_t divmod10_u64(uint64_t *v)
{
    uint32_t hi = (uint32_t)(*v >> 32), lo = (uint32_t)*v;
    uint32_t qhi = hi / 10u, r = hi % 10u;
    uint32_t mid = (r << 16) | (lo >> 16); /* < 10 * 2^16 */
    uint32_t qmid = mid / 10u;
    r = mid % 10u;
    uint32_t low = (r << 16) | (lo & 0xFFFFu);
    uint32_t qlow = low / 10u;
    *v = ((uint64_t)qhi << 32) | (qmid << 16) | qlow;
    return low % 10u;
}

/* Write the digits of v so they end at `end`; returns the first digit. */
static char *utoa_rev(char *end, uint64_t v, unsigned base, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;

    if (v <= 0xFFFFFFFFu) {
        uint32_t w = (uint32_t)v;
        do {
            *--p = digits[w % base];
            w /= base;
        } while (w);
    } else if (base == 16) {
        do {
            *--p = digits[v & 0xFu];
            v >>= 4;
        } while (v);
    } else {
        do {
            *--p = digits[divmod10_u64(&v)];
        } while (v);
    }
    return p;
}

int fmt_vformat(fmt_out_fn out, void *ctx, const char *fmt, va_list ap)
{
    int count = 0;

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            out(*fmt, ctx);
            count++;
            continue;
        }
        fmt++;

        unsigned flags = 0;
        for (;; fmt++) {
            if (*fmt == '-')
                flags |= FLAG_LEFT;
            else if (*fmt == '0')
                flags |= FLAG_ZERO;
            else
                break;
        }
        unsigned width = 0;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10u + (unsigned)(*fmt++ - '0');

        int longlong = 0;
        while (*fmt == 'l' || *fmt == 'h' || *fmt == 'z') {
            if (fmt[0] == 'l' && fmt[1] == 'l') {
                longlong = 1;
                fmt++;
            }
            fmt++;
        }

        char buf[24];
        char *end = buf + sizeof buf;
        char *s;
        int negative = 0;

        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = longlong ? va_arg(ap, long long) : (int64_t)va_arg(ap, int);
            uint64_t u = (uint64_t)v;
            if (v < 0) {
                negative = 1;
                u = 0u - u;
            }
            s = utoa_rev(end, u, 10, 0);
            emit_padded(out, ctx, &count, s, (unsigned)(end - s), width, flags, negative);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t u = longlong ? va_arg(ap, unsigned long long)
                                  : (uint64_t)va_arg(ap, unsigned int);
            s = utoa_rev(end, u, *fmt == 'u' ? 10u : 16u, *fmt == 'X');
            emit_padded(out, ctx, &count, s, (unsigned)(end - s), width, flags, 0);
            break;
        }
        case 'p': {
            uintptr_t u = (uintptr_t)va_arg(ap, void *);
            s = utoa_rev(end, u, 16, 0);
            while (end - s < 8)
                *--s = '0';
            *--s = 'x';
            *--s = '0';
            emit_padded(out, ctx, &count, s, (unsigned)(end - s), width, flags & FLAG_LEFT, 0);
            break;
        }
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            emit_padded(out, ctx, &count, str, (unsigned)strlen(str), width, flags & FLAG_LEFT, 0);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            emit_padded(out, ctx, &count, &c, 1, width, flags & FLAG_LEFT, 0);
            break;
        }
        case '%':
            out('%', ctx);
            count++;
            break;
        case '\0':
            return count; /* lone '%' at end of string */
        default:
            out('%', ctx);
            out(*fmt, ctx);
            count += 2;
            break;
        }
    }
    return count;
}

struct snbuf {
    char *buf;
    size_t size;
    size_t len;
};

static void snbuf_out(char c, void *ctx)
{
    struct snbuf *b = ctx;
    if (b->len + 1 < b->size)
        b->buf[b->len] = c;
    b->len++;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct snbuf b = {buf, size, 0};
    int n = fmt_vformat(snbuf_out, &b, fmt, ap);
    if (size)
        buf[b.len < size ? b.len : size - 1] = '\0';
    return n;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
