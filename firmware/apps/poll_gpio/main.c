/*
 * poll_gpio - firmware that polls a GPIO input register in a loop (the speed bench's
 * peripheral-polling row: `tinysim bench` reports its MIPS).
 *
 * Reads the GPIO input register POLL_READS times (volatile: one bus read per iteration)
 * and counts the reads that saw the pin high. Nothing drives the pin: it reads low on the
 * nano33ble and high on the hifive1 (tinysim's FE310 GPIO lets undriven inputs float high):
 *   poll_gpio: 4000000 reads, 0 high
 * Exit code 0.
 */
#include "tinysim.h"
#include "board_regs.h"

#ifndef POLL_READS
#define POLL_READS 4000000u
#endif

#if defined(BOARD_NANO33BLE)
#define POLL_REG GPIO_IN(GPIO_P0_BASE)
#define POLL_PIN 11u                /* button pin on the Nano 33 BLE header (D2) */
#else
#define POLL_REG GPIO_INPUT_VAL
#define POLL_PIN 18u                /* GPIO18, header pin 2 */
#endif

int main(void)
{
    board_init();
#if defined(BOARD_NANO33BLE)
    GPIO_PIN_CNF(GPIO_P0_BASE, POLL_PIN) = 0;       /* input, buffer connected, no pull */
#else
    GPIO_INPUT_EN |= 1u << POLL_PIN;
#endif
    uint32_t high = 0;
    for (uint32_t i = 0; i < POLL_READS; i++)
        high += (POLL_REG >> POLL_PIN) & 1u;
    console_printf("poll_gpio: %u reads, %u high\n", (unsigned)POLL_READS, (unsigned)high);
    return 0;
}
