/*
 * cycles - cycle / retired-instruction counters around a fixed loop.
 *
 * The measured region is one asm block: read counters, a countdown loop of
 * LOOP_N = 1000 iterations (2 instructions each), read counters again.
 *
 * A counter read returns the count before the reading instruction. With tinysim's timing
 * tables (tinysim/timing/; a conditional branch costs 2 whether taken or not):
 *
 * hifive1:   csrr mcycle ; csrr minstret ; li t0,1000 ; 1000 x (addi, bnez) ;
 *            csrr minstret ; csrr mcycle
 *            instret delta = 2*1000 + 2 = 2002 (the first csrr minstret and the
 *            li retire inside the window); cycles delta = 3 csrr/li + 1000 x (1 + 2) = 3004.
 * nano33ble: ldr CYCCNT ; movw r3,#1000 ; 1000 x (subs, bne) ; ldr CYCCNT
 *            cycles delta = ldr 1 (pipelined after the ldr before it) + movw 1
 *            + 1000 x (1 + 2) = 3002; instret is always 0.
 *
 * UART output:
 *   cycles: 1000-iteration loop
 *   cycles=<delta> instret=<delta>
 *   start=<raw cycle counter value at the first read>
 * Exit code 0.
 */
#include "tinysim.h"
#include "board_regs.h"

#define LOOP_N 1000

int main(void)
{
    uint32_t c0, c1, i0 = 0, i1 = 0;

    board_init();
    console_printf("cycles: %d-iteration loop\n", LOOP_N);

    (void)cycles_now(); /* nano33ble: first call enables DWT CYCCNT */

#if defined(BOARD_NANO33BLE)
    __asm__ volatile("ldr   %[c0], [%[cyc]]\n\t"
                     "movw  r3, %[n]\n"
                     "1:\n\t"
                     "subs  r3, r3, #1\n\t"
                     "bne   1b\n\t"
                     "ldr   %[c1], [%[cyc]]\n\t"
                     : [c0] "=&r"(c0), [c1] "=&r"(c1)
                     : [cyc] "r"(&DWT_CYCCNT), [n] "i"(LOOP_N)
                     : "r3", "cc", "memory");
    i0 = instret_now();
    i1 = instret_now();
#elif defined(BOARD_HIFIVE1)
    __asm__ volatile("csrr  %[c0], mcycle\n\t"
                     "csrr  %[i0], minstret\n\t"
                     "li    t0, %[n]\n"
                     "1:\n\t"
                     "addi  t0, t0, -1\n\t"
                     "bnez  t0, 1b\n\t"
                     "csrr  %[i1], minstret\n\t"
                     "csrr  %[c1], mcycle\n\t"
                     : [c0] "=&r"(c0), [c1] "=&r"(c1), [i0] "=&r"(i0), [i1] "=&r"(i1)
                     : [n] "i"(LOOP_N)
                     : "t0", "memory");
#endif

    console_printf("cycles=%u instret=%u\n", (unsigned)(c1 - c0), (unsigned)(i1 - i0));
    console_printf("start=%u\n", (unsigned)c0);
    return 0;
}
