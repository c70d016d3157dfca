/*
 * board.c - nano33ble (Arduino Nano 33 BLE Sense, nRF52840) board support.
 */
#include "tinysim.h"
#include "board_regs.h"

/* UARTE EasyDMA can only read RAM, so strings are staged here (.bss). */
static uint8_t uarte_tx_buf[64];

void board_init(void)
{
    /* Start the 64 MHz crystal oscillator (HFXO) and wait for it. */
    CLOCK_EVENTS_HFCLKSTARTED = 0;
    CLOCK_TASKS_HFCLKSTART = 1;
    while (CLOCK_EVENTS_HFCLKSTARTED == 0)
        ;
    CLOCK_EVENTS_HFCLKSTARTED = 0;

    /* LEDs: orange LED_BUILTIN off (active high), RGB off (active low). */
    GPIO_OUTCLR(GPIO_P0_BASE) = 1u << PIN_LED_BUILTIN;
    GPIO_OUTSET(GPIO_P0_BASE) = (1u << PIN_LED_RED) | (1u << PIN_LED_GREEN) | (1u << PIN_LED_BLUE);
    GPIO_DIRSET(GPIO_P0_BASE) = (1u << PIN_LED_BUILTIN) | (1u << PIN_LED_RED) |
                                (1u << PIN_LED_GREEN) | (1u << PIN_LED_BLUE);

    /* UART pins: TX P1.03 output idle high, RX P1.10 input. */
    GPIO_OUTSET(GPIO_P1_BASE) = 1u << PIN_UART_TX;
    GPIO_PIN_CNF(GPIO_P1_BASE, PIN_UART_TX) = GPIO_PIN_CNF_DIR_OUTPUT | GPIO_PIN_CNF_INPUT_DISCONNECT;
    GPIO_PIN_CNF(GPIO_P1_BASE, PIN_UART_RX) = 0; /* input, buffer connected */

    /* UARTE0: 115200 8N1, no flow control. */
    UARTE0_ENABLE = 0;
    UARTE0_CONFIG = 0;
    UARTE0_BAUDRATE = UARTE_BAUDRATE_115200;
    UARTE0_PSEL_TXD = PSEL_UART_TX;
    UARTE0_PSEL_RXD = PSEL_UART_RX;
    UARTE0_ENABLE = UARTE_ENABLE_ENABLED;
}

void console_write(const char *buf, size_t len)
{
    while (len) {
        size_t n = len < sizeof uarte_tx_buf ? len : sizeof uarte_tx_buf;
        memcpy(uarte_tx_buf, buf, n);
        UARTE0_TXD_PTR = (uint32_t)(uintptr_t)uarte_tx_buf;
        UARTE0_TXD_MAXCNT = n;
        UARTE0_EVENTS_ENDTX = 0;
        UARTE0_TASKS_STARTTX = 1;
        while (UARTE0_EVENTS_ENDTX == 0)
            ;
        UARTE0_EVENTS_ENDTX = 0;
        buf += n;
        len -= n;
    }
}

void led_set(int on)
{
    if (on)
        GPIO_OUTSET(GPIO_P0_BASE) = 1u << PIN_LED_BUILTIN;
    else
        GPIO_OUTCLR(GPIO_P0_BASE) = 1u << PIN_LED_BUILTIN;
}

uint32_t cycles_now(void)
{
    static int dwt_enabled;

    if (!dwt_enabled) {
        DEMCR |= DEMCR_TRCENA;
        DWT_CTRL |= DWT_CTRL_CYCCNTENA;
        dwt_enabled = 1;
    }
    return DWT_CYCCNT;
}

uint32_t instret_now(void)
{
    return 0; /* Cortex-M4 has no retired-instruction counter */
}
