/*
 * fault_hardfault (nano33ble only) - sets SCB->CCR.DIV_0_TRP (bit 4) and
 * executes an integer divide by zero (sdiv). UsageFault is not enabled in
 * SHCSR, so the DIVBYZERO UsageFault escalates to HardFault; the HardFault
 * handler is the default weak one from vectors.c, which spins ("b .").
 *
 * UART output before the fault:
 *   fault_hardfault: CCR.DIV_0_TRP=1, dividing by zero
 */
#include "tinysim.h"
#include "board_regs.h"

static volatile int32_t numerator = 42;
static volatile int32_t denominator = 0;
static volatile int32_t quotient;

int main(void)
{
    board_init();
    console_puts("fault_hardfault: CCR.DIV_0_TRP=1, dividing by zero\n");

    SCB_CCR |= SCB_CCR_DIV_0_TRP;
    cpu_dsb();
    cpu_isb();

    quotient = numerator / denominator; /* sdiv -> UsageFault -> HardFault */

    console_printf("fault_hardfault: %d / 0 = %d without a fault!\n", (int)numerator,
                   (int)quotient);
    return 1;
}
