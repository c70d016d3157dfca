/*
 * tmb_cache - instruction-cache and flash-fetch microbenchmarks, counted by the firmware
 * itself (hifive1: mcycle; nano33ble: DWT CYCCNT).
 *
 * hifive1 (FE310-G002: 16 KiB 2-way I-cache, 32-byte lines, filled from the QSPI flash):
 *   tmb_time(fn), in the DTIM (RAM: no fetch penalty), reads mcycle, calls fn through a
 *   register and reads mcycle again. fn is straight-line code in flash (XIP), 32-byte aligned:
 *   small = 256 bytes (8 lines: 63 nops + ret), big = 20 KiB (640 lines: 5119 nops + ret).
 *   Each function is called once to train the branch predictor; FENCE.I then invalidates the
 *   cache, and the next call is the cold one (every line misses), the one after it warm.
 *   The big one does not fit: its second pass misses again where its lines evicted each other.
 *   Last, QSPI0's ffmt is set to a dual-lane read and the small function runs cold again.
 *
 * UART output, one line per figure:  tmb <name> cycles=<delta>
 * Exit code 0. tests/test_timing_memsys.py derives the expected figures from the manuals.
 */
#include "tinysim.h"
#include "board_regs.h"

#if defined(BOARD_HIFIVE1)

#define QSPI0_FFMT_REG (*(volatile uint32_t *)0x10014064u) /* SPI flash instruction format */

typedef void (*code_fn)(void);
uint32_t tmb_time(code_fn fn);
void tmb_flush(void);
void tmb_small(void);
void tmb_big(void);

/* In .data: start.S copies it to the DTIM, where fetching costs nothing more. */
__asm__(".pushsection .data.tmb_time, \"aw\", @progbits\n\t"
        ".balign 4\n\t.option push\n\t.option norvc\n"
        "tmb_time:\n\t"
        "addi sp, sp, -16\n\tsw ra, 12(sp)\n\tsw s0, 8(sp)\n\t"
        "csrr s0, mcycle\n\t"
        "jalr ra, 0(a0)\n\t"
        "csrr a0, mcycle\n\t"
        "sub a0, a0, s0\n\t"
        "lw ra, 12(sp)\n\tlw s0, 8(sp)\n\taddi sp, sp, 16\n\tret\n"
        "tmb_flush:\n\tfence.i\n\tret\n\t"
        ".option pop\n\t.popsection");

/* Straight-line code in flash, 4-byte instructions, starting at a line boundary. */
__asm__(".pushsection .text.tmb_small, \"ax\", @progbits\n\t"
        ".balign 32\n\t.option push\n\t.option norvc\n"
        "tmb_small:\n\t.rept 63\n\tnop\n\t.endr\n\tret\n\t"
        ".option pop\n\t.popsection");
__asm__(".pushsection .text.tmb_big, \"ax\", @progbits\n\t"
        ".balign 32\n\t.option push\n\t.option norvc\n"
        "tmb_big:\n\t.rept 5119\n\tnop\n\t.endr\n\tret\n\t"
        ".option pop\n\t.popsection");

static void report(const char *name, uint32_t cycles)
{
    console_printf("tmb %s cycles=%u\n", name, (unsigned)cycles);
}

int main(void)
{
    board_init();
    uint32_t cold, warm, again;

    (void)tmb_time(tmb_small); /* trains the predictor (and warms the lines) */
    tmb_flush();
    cold = tmb_time(tmb_small);
    warm = tmb_time(tmb_small);
    report("xip_small_cold", cold);
    report("xip_small_warm", warm);

    (void)tmb_time(tmb_big);
    tmb_flush();
    cold = tmb_time(tmb_big);
    again = tmb_time(tmb_big);
    report("xip_big_cold", cold);
    report("xip_big_again", again);

    /* Faster flash reads, as RIOT's FE310 port sets them: "Fast Read Dual I/O" (0xBB: command
     * on one lane, address and data on two, 4 dummy cycles); sckdiv stays 3. The code doing
     * this runs from flash: real firmware would run it from RAM while fctrl.en is cleared. */
    QSPI0_FFMT_REG = 1u | 3u << 1 | 4u << 4 | 0u << 8 | 1u << 10 | 1u << 12 | 0xBBu << 16;
    (void)tmb_time(tmb_small); /* the predictor learns this target again */
    tmb_flush();
    cold = tmb_time(tmb_small);
    report("xip_small_cold_dual", cold);
    return 0;
}

#else

int main(void)
{
    board_init();
    return 0;
}

#endif
