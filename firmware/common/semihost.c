/*
 * semihost.c - Arm / RISC-V semihosting calls.
 *
 * Arm (M-profile): "bkpt 0xAB", r0 = operation, r1 = parameter, result r0.
 * RISC-V: the three-instruction sequence
 *         slli x0, x0, 0x1f ; ebreak ; srai x0, x0, 7
 *     with a0 = operation, a1 = parameter, result a0. It must be made of
 *     uncompressed instructions and must not straddle a page, so it lives
 *     in its own 4-byte aligned, norvc function.
 */
#include "tinysim.h"

#if defined(__arm__)

uintptr_t semihost_call(uint32_t op, uintptr_t arg)
{
    register uintptr_t r0 __asm__("r0") = op;
    register uintptr_t r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

#elif defined(__riscv)

/* uintptr_t semihost_call(uint32_t op, uintptr_t arg) */
__asm__(".section .text.semihost_call, \"ax\", @progbits\n"
        ".globl semihost_call\n"
        ".type semihost_call, @function\n"
        ".option push\n"
        ".option norvc\n"
        ".balign 16\n"
        "semihost_call:\n"
        "    slli x0, x0, 0x1f\n"
        "    ebreak\n"
        "    srai x0, x0, 7\n"
        "    ret\n"
        ".option pop\n"
        ".size semihost_call, . - semihost_call\n"
        ".text\n");

#else
#error "unsupported architecture"
#endif

void semihost_writec(char c)
{
    volatile char ch = c; /* the host reads the character from memory */
    semihost_call(SYS_WRITEC, (uintptr_t)&ch);
}

void semihost_write0(const char *s)
{
    semihost_call(SYS_WRITE0, (uintptr_t)s);
}

int semihost_write(int fd, const void *buf, size_t len)
{
    volatile uintptr_t block[3];
    block[0] = (uintptr_t)fd;
    block[1] = (uintptr_t)buf;
    block[2] = len;
    return (int)semihost_call(SYS_WRITE, (uintptr_t)block);
}

void semihost_exit(int code)
{
    volatile uintptr_t block[2];
    block[0] = ADP_Stopped_ApplicationExit;
    block[1] = (uintptr_t)code;
    semihost_call(SYS_EXIT_EXTENDED, (uintptr_t)block);
    for (;;)
        ; /* not reached when a semihosting host is attached */
}

void semihost_exit_reason(uint32_t reason)
{
    semihost_call(SYS_EXIT, reason);
    for (;;)
        ;
}
