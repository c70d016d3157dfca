/*
 * fault_unmapped - loads a word from 0x60000000, which is unmapped on both
 * boards. nano33ble: precise BusFault escalated to HardFault (default
 * handler spins); hifive1: load access fault (mcause 5) -> trap_fault spins.
 *
 * UART output before the fault:
 *   fault_unmapped: reading 0x60000000
 */
#include "tinysim.h"

#define UNMAPPED_ADDR 0x60000000u

int main(void)
{
    board_init();
    console_printf("fault_unmapped: reading 0x%08x\n", UNMAPPED_ADDR);

    uint32_t v = *(volatile uint32_t *)(uintptr_t)UNMAPPED_ADDR;

    console_printf("fault_unmapped: read 0x%08x without a fault!\n", (unsigned)v);
    return 1;
}
