/*
 * ticker.c - a periodic SysTick interrupt for apps that sleep in WFI between ticks. Linked
 * only into the apps that use it (it owns SysTick_Handler). See tinysim.h.
 */
#include "tinysim.h"
#include "board_regs.h"

#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)

static volatile uint32_t ticks;
static uint32_t period_ms;

void SysTick_Handler(void);
void SysTick_Handler(void) { ticks++; }

void ticker_start(uint32_t ms)
{
    period_ms = ms;
    SYST_RVR = BOARD_CPU_HZ / 1000u * ms - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7;                      /* core clock, interrupt, enable */
}

uint32_t ticker_ms(void) { return ticks * period_ms; }
