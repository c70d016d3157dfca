/*
 * fault_stack - unbounded recursion with a 128-byte local array per frame,
 * so SP runs below __stack_bottom (the stack is at the very bottom of RAM)
 * and the next push/store hits unmapped memory (nano33ble: below
 * 0x20000000 -> BusFault -> HardFault; hifive1: below 0x80000000 -> store
 * access fault, mcause 7).
 *
 * UART output before the fault:
 *   fault_stack: recursing, stack 0x20000000..0x20002000   (nano33ble)
 *   fault_stack: recursing, stack 0x80000000..0x80000800   (hifive1)
 */
#include "tinysim.h"

/* Never reached; volatile so the compiler cannot prove the recursion is
 * infinite (and cannot turn it into a loop). */
static volatile uint32_t depth_limit = 0xFFFFFFFFu;

__attribute__((noinline)) static uint32_t recurse(uint32_t depth)
{
    volatile uint8_t frame[128];

    frame[0] = (uint8_t)depth;
    frame[sizeof frame - 1] = (uint8_t)(depth >> 8);
    if (depth == depth_limit)
        return frame[0];
    return recurse(depth + 1u) + frame[0] + frame[sizeof frame - 1];
}

int main(void)
{
    board_init();
    console_printf("fault_stack: recursing, stack 0x%08x..0x%08x\n",
                   (unsigned)(uintptr_t)__stack_bottom, (unsigned)(uintptr_t)__stack_top);

    uint32_t r = recurse(0);

    console_printf("fault_stack: recursion returned %u!\n", (unsigned)r);
    return 1;
}
