/*
 * hello - board bring-up smoke test.
 *
 * UART output (nano33ble shown; hifive1 prints its own name/core/clock):
 *   Hello from tinysim on nano33ble!
 *   core: Arm Cortex-M4F (Nordic nRF52840)
 *   clock: 64000000 Hz
 *   blinked LED 3 times
 * Exit code 0 (semihosting SYS_EXIT_EXTENDED from the startup code).
 */
#include "tinysim.h"

#ifndef HELLO_BLINKS
#define HELLO_BLINKS 3
#endif
/* Short on purpose (keeps the run cheap in an emulator); raise it, e.g.
 * -DHELLO_DELAY=2000000, to see the blinks on real hardware. */
#ifndef HELLO_DELAY
#define HELLO_DELAY 2000u
#endif

int main(void)
{
    board_init();

    console_printf("Hello from tinysim on %s!\n", BOARD_NAME);
    console_printf("core: %s (%s)\n", BOARD_CORE_NAME, BOARD_SOC_NAME);
    console_printf("clock: %u Hz\n", (unsigned)BOARD_CPU_HZ);

    for (int i = 0; i < HELLO_BLINKS; i++) {
        led_set(1);
        delay_loops(HELLO_DELAY);
        led_set(0);
        delay_loops(HELLO_DELAY);
    }
    console_printf("blinked LED %d times\n", HELLO_BLINKS);
    return 0;
}
