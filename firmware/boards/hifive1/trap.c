/*
 * trap.c - default (weak) trap handlers for hifive1; see start.S.
 */
#include "tinysim.h"
#include "board_regs.h"

void mtimer_handler(void);
void external_handler(void);
void trap_fault(uint32_t mcause, uint32_t mepc, uint32_t mtval) __attribute__((noreturn));

/* Default machine-timer handler: nobody asked for ticks, so mask the
 * interrupt instead of taking it forever. */
__attribute__((weak)) void mtimer_handler(void)
{
    csr_clear(mie, MIE_MTIE);
}

/* Default external-interrupt handler: mask external interrupts (nobody enabled a source on
 * purpose). */
__attribute__((weak)) void external_handler(void)
{
    csr_clear(mie, 1u << 11);
}

/* Default fault routine: spin forever (like the Arm default HardFault
 * handler). mcause/mepc/mtval are in a0/a1/a2 for a debugger. */
__attribute__((weak)) void trap_fault(uint32_t mcause, uint32_t mepc, uint32_t mtval)
{
    (void)mcause;
    (void)mepc;
    (void)mtval;
    for (;;)
        __asm__ volatile("");
}
