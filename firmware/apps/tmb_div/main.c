/*
 * tmb_div - divide microbenchmarks, counted by the firmware itself (nano33ble: DWT CYCCNT;
 * hifive1: mcycle), as tmb_rules does for the other timing rules.
 *
 * Each case divides a by b with operands chosen to exercise the early termination: a large
 * dividend by a small divisor (the longest), by a large divisor (the shortest), a small
 * dividend, a signed divide of a negative dividend, a dividend smaller than the divisor, a
 * zero divisor.
 *   nano33ble: nop ; ldr c0,[CYCCNT] ; nop ; 4 x udiv/sdiv ; ldr c1,[CYCCNT]     overhead 2 + 1
 *   hifive1:   csrr c0,mcycle ; div ; addi (uses the result) ; csrr c1,mcycle    overhead 1
 *              and the same divide followed by 8 independent addi before the use ("hidden")
 * Every kernel runs twice; the second is printed.
 * tests/test_timing_divide.py derives the expected figures from the rules and their sources.
 *
 * UART output, one line per case:  tmb <name> cycles=<delta>
 * Exit code 0.
 */
#include "tinysim.h"
#include "board_regs.h"

#if defined(BOARD_NANO33BLE)

/* Four independent divides: the M4 stalls for each (no overlap). */
#define DIV4(insn)                                                                       \
    uint32_t c0, c1;                                                                     \
    __asm__ volatile("nop\n\t"                                                           \
                     "ldr %[c0], [%[cyc]]\n\t"                                           \
                     "nop\n\t" insn " r0, %[a], %[b]\n\t" insn " r2, %[a], %[b]\n\t"     \
                     insn " r3, %[a], %[b]\n\t" insn " r0, %[a], %[b]\n\t"               \
                     "ldr %[c1], [%[cyc]]\n\t"                                           \
                     : [c0] "=&l"(c0), [c1] "=&l"(c1)                                    \
                     : [cyc] "l"(&DWT_CYCCNT), [a] "l"(a), [b] "l"(b)                    \
                     : "r0", "r2", "r3", "memory");                                      \
    return c1 - c0;

static __attribute__((noinline)) uint32_t k_udiv(uint32_t a, uint32_t b) { DIV4("udiv") }
static __attribute__((noinline)) uint32_t k_sdiv(uint32_t a, uint32_t b) { DIV4("sdiv") }

#elif defined(BOARD_HIFIVE1)

/* The divide's result used by the next instruction: its whole latency shows. */
#define DIV_USE(insn)                                                                    \
    uint32_t c0, c1;                                                                     \
    __asm__ volatile("csrr %[c0], mcycle\n\t" insn " a1, %[a], %[b]\n\t"                 \
                     "addi a1, a1, 1\n\tcsrr %[c1], mcycle\n\t"                          \
                     : [c0] "=&r"(c0), [c1] "=&r"(c1)                                    \
                     : [a] "r"(a), [b] "r"(b)                                            \
                     : "a1", "memory");                                                  \
    return c1 - c0;
/* Eight independent instructions between the divide and the use hide part of the latency. */
#define DIV_HIDDEN(insn)                                                                 \
    uint32_t c0, c1;                                                                     \
    __asm__ volatile("csrr %[c0], mcycle\n\t" insn " a1, %[a], %[b]\n\t"                 \
                     "addi a2, a2, 1\n\taddi a2, a2, 1\n\taddi a2, a2, 1\n\taddi a2, a2, 1\n\t" \
                     "addi a2, a2, 1\n\taddi a2, a2, 1\n\taddi a2, a2, 1\n\taddi a2, a2, 1\n\t" \
                     "addi a1, a1, 1\n\tcsrr %[c1], mcycle\n\t"                          \
                     : [c0] "=&r"(c0), [c1] "=&r"(c1)                                    \
                     : [a] "r"(a), [b] "r"(b)                                            \
                     : "a1", "a2", "memory");                                            \
    return c1 - c0;

static __attribute__((noinline)) uint32_t k_udiv(uint32_t a, uint32_t b) { DIV_USE("divu") }
static __attribute__((noinline)) uint32_t k_sdiv(uint32_t a, uint32_t b) { DIV_USE("div") }
static __attribute__((noinline)) uint32_t k_srem(uint32_t a, uint32_t b) { DIV_USE("rem") }
static __attribute__((noinline)) uint32_t k_udiv_hidden(uint32_t a, uint32_t b) { DIV_HIDDEN("divu") }

#else
#error "tmb_div: unknown board"
#endif

static void report(const char *name, uint32_t (*fn)(uint32_t, uint32_t), uint32_t a, uint32_t b)
{
    (void)fn(a, b); /* cold run, as tmb_rules */
    console_printf("tmb %s cycles=%u\n", name, (unsigned)fn(a, b));
}

int main(void)
{
    board_init();
    (void)cycles_now(); /* nano33ble: the first call enables DWT CYCCNT */
    report("udiv_large_by_small", k_udiv, 0xFFFFFFFFu, 3u);
    report("udiv_large_by_large", k_udiv, 0xFFFFFFFFu, 0x40000000u);
    report("udiv_small_by_small", k_udiv, 100u, 7u);
    report("udiv_small_by_large", k_udiv, 5u, 8u);
    report("udiv_by_zero", k_udiv, 1234u, 0u);
    report("sdiv_negative", k_sdiv, (uint32_t)-1000000, 7u);
    report("sdiv_both_negative", k_sdiv, (uint32_t)-1000000, (uint32_t)-7);
#if defined(BOARD_HIFIVE1)
    report("srem_negative", k_srem, (uint32_t)-1000000, 7u);
    report("udiv_hidden_long", k_udiv_hidden, 0xFFFFFFFFu, 3u);
    report("udiv_hidden_short", k_udiv_hidden, 0xFFFFFFFFu, 0x40000000u);
#endif
    return 0;
}
