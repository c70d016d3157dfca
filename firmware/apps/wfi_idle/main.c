/*
 * wfi_idle - prints a line, then waits for an interrupt that can never
 * come: interrupts disabled (Arm PRIMASK / RISC-V mstatus.MIE=0, mie=0), no
 * timer armed. tinysim ends the run as "idle"; there is no exit code.
 *
 * UART output:
 *   wfi_idle: interrupts off, no timer armed, entering wfi
 */
#include "tinysim.h"
#if defined(BOARD_HIFIVE1)
#include "board_regs.h"
#endif

int main(void)
{
    board_init();
    console_puts("wfi_idle: interrupts off, no timer armed, entering wfi\n");

    cpu_irq_disable();
#if defined(BOARD_HIFIVE1)
    csr_write(mie, 0);
#endif
    for (;;)
        cpu_wfi();
}
