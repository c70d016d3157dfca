/*
 * board.c - hifive1 (SiFive HiFive1 Rev B, FE310-G002) board support.
 */
#include "tinysim.h"
#include "board_regs.h"

#define UART_BAUD 115200u

static void wait_rtc_ticks(uint32_t ticks)
{
    uint32_t start = CLINT_MTIME_LO;
    while ((uint32_t)(CLINT_MTIME_LO - start) < ticks)
        ;
}

/*
 * Clock setup, following the FE310-G002 manual's PLL sequence:
 *  1. run the core from HFROSC (pllsel = 0) while the PLL is reconfigured;
 *  2. enable the 16 MHz HFXOSC and wait for hfxoscrdy;
 *  3. program the PLL in bypass with HFXOSC as reference:
 *       R = 1 (/2)  -> refr =   8 MHz  (6..12 MHz)
 *       F = 39 (x80) -> vco = 640 MHz  (384..768 MHz)
 *       Q = 1 (/2)  -> pll = 320 MHz
 *     plloutdiv = divide by 1;
 *  4. leave bypass, wait 100 us (lock is unreliable before that: 4 ticks of
 *     the 32768 Hz RTC), then poll plllock;
 *  5. select the PLL (pllsel = 1) and switch the now unused HFROSC off.
 */
static void clock_init(void)
{
    /* 1. core on HFROSC (default div 4 / trim 16 -> ~13.8 MHz) */
    PRCI_HFROSCCFG = HFROSCCFG_DIV(4) | HFROSCCFG_TRIM(16) | HFROSCCFG_EN;
    while ((PRCI_HFROSCCFG & HFROSCCFG_RDY) == 0)
        ;
    PRCI_PLLCFG &= ~PLLCFG_SEL;

    /* 2. external 16 MHz crystal */
    PRCI_HFXOSCCFG = HFXOSCCFG_EN;
    while ((PRCI_HFXOSCCFG & HFXOSCCFG_RDY) == 0)
        ;

#ifdef HIFIVE1_SET_QSPI_SCKDIV
    /* Executing in place from SPI flash: slow SCK before raising hfclk.
     * Off by default: QSPI0 keeps its reset values (sckdiv 3: SCK = hfclk/8,
     * single-lane READ 0x03), which set the instruction cache's miss cost. */
    QSPI0_SCKDIV = 8;
#endif

    /* 3. program the PLL while bypassed */
    PRCI_PLLOUTDIV = PLLOUTDIV_DIV_BY_1 | PLLOUTDIV_DIV(0);
    PRCI_PLLCFG = PLLCFG_REFSEL | PLLCFG_BYPASS | PLLCFG_R(1) | PLLCFG_F(39) | PLLCFG_Q(1);

    /* 4. un-bypass, let the lock signal settle, wait for lock */
    PRCI_PLLCFG &= ~PLLCFG_BYPASS;
    wait_rtc_ticks(4);
    while ((PRCI_PLLCFG & PLLCFG_LOCK) == 0)
        ;

    /* 5. hfclk = PLL (320 MHz); HFROSC no longer needed */
    PRCI_PLLCFG |= PLLCFG_SEL;
    PRCI_HFROSCCFG &= ~HFROSCCFG_EN;
}

void board_init(void)
{
    clock_init();

    /* LEDs: plain GPIO outputs, off (active low -> drive high). */
    uint32_t leds = (1u << PIN_LED_RED) | (1u << PIN_LED_GREEN) | (1u << PIN_LED_BLUE);
    GPIO_IOF_EN &= ~leds;
    GPIO_OUT_XOR &= ~leds;
    GPIO_INPUT_EN &= ~leds;
    GPIO_OUTPUT_VAL |= leds;
    GPIO_OUTPUT_EN |= leds;

    /* UART0 on GPIO16 (RX) / GPIO17 (TX), IOF0. */
    uint32_t uart_pins = (1u << PIN_UART0_RX) | (1u << PIN_UART0_TX);
    GPIO_IOF_SEL &= ~uart_pins;
    GPIO_IOF_EN |= uart_pins;

    /* baud = tlclk / (div + 1); tlclk = hfclk = 320 MHz -> div 2777 */
    UART0_DIV = (BOARD_CPU_HZ + UART_BAUD / 2u) / UART_BAUD - 1u;
    UART0_TXCTRL = UART_TXCTRL_TXEN; /* 1 stop bit, txcnt 0 */
    UART0_RXCTRL = UART_RXCTRL_RXEN;
}

void console_write(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while (UART0_TXDATA & UART_TXDATA_FULL)
            ;
        UART0_TXDATA = (uint8_t)buf[i];
    }
}

void led_set(int on)
{
    /* red LED, active low */
    if (on)
        GPIO_OUTPUT_VAL &= ~(1u << PIN_LED_RED);
    else
        GPIO_OUTPUT_VAL |= 1u << PIN_LED_RED;
}

uint32_t cycles_now(void)
{
    return csr_read(mcycle);
}

uint32_t instret_now(void)
{
    return csr_read(minstret);
}
