/*
 * ticker.c - a periodic CLINT machine-timer interrupt for apps that sleep in WFI between
 * ticks. Linked only into the apps that use it (it owns mtimer_handler). See tinysim.h.
 */
#include "tinysim.h"
#include "board_regs.h"

static volatile uint32_t ticks;
static uint32_t period_ms, period_mtime;

void mtimer_handler(void);
void mtimer_handler(void)
{
    ticks++;
    clint_set_mtimecmp(clint_mtime() + period_mtime);
}

void ticker_start(uint32_t ms)
{
    period_ms = ms;
    period_mtime = CLINT_MTIME_HZ * ms / 1000u;      /* 20 ms: 655 ticks of 32768 Hz */
    clint_set_mtimecmp(clint_mtime() + period_mtime);
    csr_set(mie, MIE_MTIE);
    csr_set(mstatus, MSTATUS_MIE);
}

uint32_t ticker_ms(void) { return ticks * period_ms; }
