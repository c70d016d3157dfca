/*
 * silicon - workloads whose cycle counts were published from silicon, rebuilt from our own
 * source so tests/test_timing_silicon.py can compare tinysim with them.
 *
 * nano33ble (nRF52840, Cortex-M4 at 64 MHz), devzone.nordicsemi.com/f/nordic-q-a/115859: a
 * delay loop of five UDIV of 0xFFFFFFFF by 1 and a decrement-and-branch, "measured at 64
 * cycles per loop". Timed here with DWT CYCCNT for 1000 and 2000 iterations; the difference
 * over 1000 is the cycles of one iteration, without the call and the counter reads.
 *
 * HiFive1 (SiFive E31), forums.sifive.com/t/alignment-instruction-cache-and-cycle-counts/1781:
 * a function of n unrolled blocks of 20 register-only ALU instructions (add/xor/shift rounds
 * on t0..t4) and a return, called five times, then timed once between two reads of the 64-bit
 * mcycle (mcycleh, mcycle, mcycleh again until the high half is stable), all in assembly but
 * the calls. Published: n = 2, 3, 6, 7, 10 -> 66, 91, 146, 171, 226 cycles (n = 4, 5, 8, 9 ran
 * ~780 cycles slower there, an alignment effect of the fetch from QSPI flash).
 *
 * UART output: "sil udiv_loop iterations=<n> cycles=<delta>" (nano33ble),
 *              "sil arith n=<n> cycles=<delta>" (hifive1). Exit code 0.
 */
#include "tinysim.h"
#include "board_regs.h"

#if defined(BOARD_HIFIVE1)

uint64_t sil_cycles(void);

/* Read mcycle as one 64-bit value: retry when the high half moved between the reads. */
__asm__(".text\n\t.align 2\n\t.globl sil_cycles\n\t.type sil_cycles, @function\n"
        "sil_cycles:\n\t"
        "csrr a1, mcycleh\n\tcsrr a0, mcycle\n\tcsrr a2, mcycleh\n\t"
        "bne a1, a2, sil_cycles\n\tret\n\t");

/* One round: 20 dependent ALU instructions mixing four words with add, xor and rotates. */
__asm__(".macro sil_round a, b, c, d, t\n\t"
        "add \\a, \\a, \\b\n\txor \\d, \\d, \\a\n\tslli \\t, \\d, 16\n\tsrli \\d, \\d, 16\n\t"
        "xor \\d, \\d, \\t\n\tadd \\c, \\c, \\d\n\txor \\b, \\b, \\c\n\tslli \\t, \\b, 12\n\t"
        "srli \\b, \\b, 20\n\txor \\b, \\b, \\t\n\tadd \\a, \\a, \\b\n\txor \\d, \\d, \\a\n\t"
        "slli \\t, \\d, 8\n\tsrli \\d, \\d, 24\n\txor \\d, \\d, \\t\n\tadd \\c, \\c, \\d\n\t"
        "xor \\b, \\b, \\c\n\tslli \\t, \\b, 7\n\tsrli \\b, \\b, 25\n\txor \\b, \\b, \\t\n\t"
        ".endm\n\t");

#define SIL_FN(n)                                                                     \
    void sil_arith##n(void);                                                          \
    __asm__(".text\n\t.align 2\n\t.globl sil_arith" #n "\n\t.type sil_arith" #n       \
            ", @function\nsil_arith" #n ":\n\t.rept " #n "\n\t"                       \
            "sil_round t0, t1, t2, t3, t4\n\t.endr\n\tret\n\t");

SIL_FN(2)
SIL_FN(3)
SIL_FN(4)
SIL_FN(5)
SIL_FN(6)
SIL_FN(7)
SIL_FN(8)
SIL_FN(9)
SIL_FN(10)

#define SIL_MEASURE(n)                                                                \
    do {                                                                              \
        for (int i = 0; i < 5; i++)                                                   \
            sil_arith##n();                                                           \
        uint64_t old = sil_cycles();                                                  \
        sil_arith##n();                                                               \
        uint64_t delta = sil_cycles() - old;                                          \
        console_printf("sil arith n=%d cycles=%u\n", n, (unsigned)delta);             \
    } while (0)

int main(void)
{
    board_init();
    SIL_MEASURE(2);
    SIL_MEASURE(3);
    SIL_MEASURE(4);
    SIL_MEASURE(5);
    SIL_MEASURE(6);
    SIL_MEASURE(7);
    SIL_MEASURE(8);
    SIL_MEASURE(9);
    SIL_MEASURE(10);
    return 0;
}

#elif defined(BOARD_NANO33BLE)

/* n iterations of: 5 x udiv (0xFFFFFFFF / 1), subs, bne; between two CYCCNT reads. */
static __attribute__((noinline)) uint32_t udiv_loop(uint32_t n)
{
    uint32_t c0, c1, q;
    __asm__ volatile("ldr %[c0], [%[cyc]]\n\t"
                     "1:\n\t"
                     "udiv %[q], %[a], %[b]\n\tudiv %[q], %[a], %[b]\n\tudiv %[q], %[a], %[b]\n\t"
                     "udiv %[q], %[a], %[b]\n\tudiv %[q], %[a], %[b]\n\t"
                     "subs %[n], %[n], #1\n\tbne 1b\n\t"
                     "ldr %[c1], [%[cyc]]\n\t"
                     : [c0] "=&l"(c0), [c1] "=&l"(c1), [q] "=&l"(q), [n] "+l"(n)
                     : [cyc] "l"(&DWT_CYCCNT), [a] "l"(0xFFFFFFFFu), [b] "l"(1u)
                     : "cc", "memory");
    (void)q;
    return c1 - c0;
}

int main(void)
{
    board_init();
    (void)cycles_now(); /* the first call enables DWT CYCCNT */
    (void)udiv_loop(10);
    console_printf("sil udiv_loop iterations=1000 cycles=%u\n", (unsigned)udiv_loop(1000));
    console_printf("sil udiv_loop iterations=2000 cycles=%u\n", (unsigned)udiv_loop(2000));
    return 0;
}

#else
#error "silicon: unknown board"
#endif
