/*
 * startup.c - nano33ble C runtime start (Reset_Handler).
 *
 * Entered by the core straight from the reset vector with MSP already loaded
 * from vector 0 (= __stack_top, the top of the 8 KB stack that sits at the
 * very bottom of RAM). Enables the FPU (CP10/CP11), copies .data from flash,
 * zeroes .bss, points VTOR at the vector table, runs main() and reports its
 * return value through semihosting SYS_EXIT_EXTENDED.
 *
 * It touches no peripheral (only SCB registers), so the same ELF also runs
 * on QEMU's mps2-an386 machine.
 */
#include "tinysim.h"
#include "board_regs.h"

typedef void (*vector_t)(void);
extern const vector_t __isr_vector[];
void Reset_Handler(void);

void Reset_Handler(void)
{
    /* Full access to CP10/CP11 before any FP instruction can execute
     * (built with -mfloat-abi=hard -mfpu=fpv4-sp-d16). */
    SCB_CPACR |= SCB_CPACR_CP10_CP11_FULL;
    cpu_dsb();
    cpu_isb();

    uint32_t *src = (uint32_t *)(void *)__data_load__;
    uint32_t *dst = (uint32_t *)(void *)__data_start__;
    while (dst < (uint32_t *)(void *)__data_end__)
        *dst++ = *src++;

    for (dst = (uint32_t *)(void *)__bss_start__; dst < (uint32_t *)(void *)__bss_end__;)
        *dst++ = 0;

    SCB_VTOR = (uint32_t)(uintptr_t)__isr_vector;
    cpu_dsb();

    semihost_exit(main());
}
