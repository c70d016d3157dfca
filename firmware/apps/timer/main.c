/*
 * timer - periodic timer interrupts counted by an ISR.
 *
 * nano33ble: SysTick, LOAD = 63999 (1 ms at 64 MHz), CTRL = CLKSOURCE |
 *            TICKINT | ENABLE; SysTick_Handler counts.
 * hifive1:   CLINT mtimecmp = mtime + 33 (~1 ms at 32768 Hz), machine timer
 *            interrupt (mie.MTIE, mstatus.MIE); mtimer_handler counts and
 *            re-arms mtimecmp = mtime + 33.
 * The handler stops the timer on the 10th tick, so the count is exactly 10.
 * main busy-waits on the counter (no WFI).
 *
 * UART output:
 *   timer: waiting for 10 ticks
 *   ticks=10
 * Exit code 10.
 */
#include "tinysim.h"
#include "board_regs.h"

#define TARGET_TICKS 10u

static volatile uint32_t ticks;

#if defined(BOARD_NANO33BLE)

void SysTick_Handler(void);
void SysTick_Handler(void)
{
    uint32_t t = ticks + 1u;
    ticks = t;
    if (t >= TARGET_TICKS)
        SYST_CSR = 0; /* stop */
}

static void timer_start(void)
{
    SYST_CSR = 0;
    SYST_RVR = 63999u; /* 64 000 cycles = 1 ms at 64 MHz */
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

#elif defined(BOARD_HIFIVE1)

#define TICK_MTIME 33u /* 33 / 32768 Hz = 1.007 ms */

void mtimer_handler(void);
void mtimer_handler(void)
{
    uint32_t t = ticks + 1u;
    ticks = t;
    if (t >= TARGET_TICKS) {
        csr_clear(mie, MIE_MTIE); /* stop */
        clint_set_mtimecmp(UINT64_MAX);
    } else {
        clint_set_mtimecmp(clint_mtime() + TICK_MTIME);
    }
}

static void timer_start(void)
{
    clint_set_mtimecmp(clint_mtime() + TICK_MTIME);
    csr_set(mie, MIE_MTIE);
    csr_set(mstatus, MSTATUS_MIE);
}

#endif

int main(void)
{
    board_init();
    console_printf("timer: waiting for %u ticks\n", (unsigned)TARGET_TICKS);

    timer_start();
    while (ticks < TARGET_TICKS)
        ; /* busy wait, no WFI */

    uint32_t n = ticks;
    console_printf("ticks=%u\n", (unsigned)n);
    return (int)n;
}
