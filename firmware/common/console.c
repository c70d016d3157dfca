/*
 * console.c - console_putc/puts/printf on top of the board's console_write().
 */
#include "tinysim.h"

void console_putc(char c)
{
    console_write(&c, 1);
}

void console_puts(const char *s)
{
    console_write(s, strlen(s));
}

/* printf output is collected in a small buffer and sent in chunks, so a
 * DMA UART (nano33ble) does not need one transfer per character. */
struct console_sink {
    size_t len;
    char buf[64];
};

static void console_sink_out(char c, void *ctx)
{
    struct console_sink *s = ctx;
    s->buf[s->len++] = c;
    if (s->len == sizeof s->buf) {
        console_write(s->buf, s->len);
        s->len = 0;
    }
}

int console_printf(const char *fmt, ...)
{
    struct console_sink sink;
    va_list ap;

    sink.len = 0;
    va_start(ap, fmt);
    int n = fmt_vformat(console_sink_out, &sink, fmt, ap);
    va_end(ap);
    if (sink.len)
        console_write(sink.buf, sink.len);
    return n;
}

void delay_loops(uint32_t n)
{
    while (n--)
        __asm__ volatile("" ::: "memory");
}
