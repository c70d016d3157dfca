/*
 * fault_illegal - executes an undefined instruction.
 * nano33ble: "udf #0" (0xde00) -> UsageFault (UNDEFINSTR) escalated to
 *            HardFault (default handler spins).
 * hifive1:   ".word 0" (all-zero = defined illegal) -> illegal instruction
 *            exception (mcause 2) -> trap_fault spins.
 *
 * UART output before the fault:
 *   fault_illegal: executing an undefined instruction
 */
#include "tinysim.h"

int main(void)
{
    board_init();
    console_puts("fault_illegal: executing an undefined instruction\n");

#if defined(__arm__)
    __asm__ volatile("udf #0" ::: "memory");
#else
    __asm__ volatile(".word 0" ::: "memory");
#endif

    console_puts("fault_illegal: still running!\n");
    return 1;
}
