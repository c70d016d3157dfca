/*
 * accel_irq (hifive1) - interrupt-driven accelerometer: the ADXL345 (I2C0, 100 Hz, FIFO in
 * stream mode) raises its watermark interrupt on INT1 at 16 samples; INT1 is wired to GPIO2,
 * whose rising edge is PLIC source 10 -> machine external interrupt. The core sleeps in WFI;
 * the handler claims the source, drains the FIFO, clears the GPIO edge and completes.
 * Prints how many samples arrived in how many interrupts, and the last one. Exit code 0.
 */
#include "tinysim.h"
#include "board_regs.h"

#define SAMPLES 64
#define WATERMARK 16

#define I2C0_BASE       0x10016000u
#define I2C_PRERLO      REG32(I2C0_BASE + 0x00u)
#define I2C_PRERHI      REG32(I2C0_BASE + 0x04u)
#define I2C_CTR         REG32(I2C0_BASE + 0x08u)
#define I2C_TXR_RXR     REG32(I2C0_BASE + 0x0Cu)
#define I2C_CR_SR       REG32(I2C0_BASE + 0x10u)
#define GPIO_BASE       0x10012000u
#define GPIO_INPUT_EN   REG32(GPIO_BASE + 0x04u)
#define GPIO_RISE_IE    REG32(GPIO_BASE + 0x18u)
#define GPIO_RISE_IP    REG32(GPIO_BASE + 0x1Cu)
#define PLIC_BASE       0x0C000000u
#define PLIC_PRIORITY(s) REG32(PLIC_BASE + 4u * (s))
#define PLIC_ENABLE0    REG32(PLIC_BASE + 0x2000u)
#define PLIC_THRESHOLD  REG32(PLIC_BASE + 0x200000u)
#define PLIC_CLAIM      REG32(PLIC_BASE + 0x200004u)
#define INT_PIN 2
#define PLIC_SOURCE (8 + INT_PIN)
#define ADXL345 0x53u

static uint8_t rx[6];
static volatile int samples, interrupts;
static volatile int16_t last[3];

static int xfer(uint8_t byte, uint8_t cmd)
{
    I2C_TXR_RXR = byte;
    I2C_CR_SR = cmd;
    while (I2C_CR_SR & 0x02u) {
    }
    return (I2C_CR_SR & 0x80u) ? -1 : 0;
}

static int reg_read(uint8_t reg, unsigned n)
{
    if (xfer((uint8_t)(ADXL345 << 1), 0x90) || xfer(reg, 0x10) || xfer((uint8_t)(ADXL345 << 1 | 1), 0x90))
        return -1;
    for (unsigned i = 0; i < n; i++) {
        I2C_CR_SR = 0x20u | (i + 1 == n ? 0x48u : 0);
        while (I2C_CR_SR & 0x02u) {
        }
        rx[i] = (uint8_t)I2C_TXR_RXR;
    }
    return 0;
}

static int reg_write(uint8_t reg, uint8_t v)
{
    if (xfer((uint8_t)(ADXL345 << 1), 0x90) || xfer(reg, 0x10))
        return -1;
    return xfer(v, 0x50);
}

void external_handler(void);
void external_handler(void)
{
    uint32_t src = PLIC_CLAIM;
    if (src == PLIC_SOURCE) {
        interrupts++;
        reg_read(0x39, 1);                       /* FIFO_STATUS: entries */
        for (int n = rx[0] & 0x3F; n > 0; n--) {
            reg_read(0x32, 6);
            for (int a = 0; a < 3; a++)
                last[a] = (int16_t)(rx[2 * a] | rx[2 * a + 1] << 8);
            samples++;
        }
        GPIO_RISE_IP = 1u << INT_PIN;            /* clear the edge */
    }
    PLIC_CLAIM = src;                            /* complete */
}

int main(void)
{
    board_init();
    I2C_CTR = 0;
    I2C_PRERLO = 639 & 0xFF;
    I2C_PRERHI = 639 >> 8;
    I2C_CTR = 0x80;
    if (reg_read(0x00, 1) != 0 || rx[0] != 0xE5) {
        console_printf("accel_irq: no ADXL345\n");
        return 2;
    }
    GPIO_INPUT_EN |= 1u << INT_PIN;
    GPIO_RISE_IE |= 1u << INT_PIN;
    PLIC_PRIORITY(PLIC_SOURCE) = 1;
    PLIC_ENABLE0 = 1u << PLIC_SOURCE;
    PLIC_THRESHOLD = 0;
    csr_set(mie, 1u << 11);                      /* MEIE */
    csr_set(mstatus, MSTATUS_MIE);

    reg_write(0x31, 0x08);                       /* FULL_RES, +-2 g */
    reg_write(0x2C, 0x0A);                       /* 100 Hz */
    reg_write(0x38, 0x80 | WATERMARK);           /* stream mode, watermark 16 */
    reg_write(0x2F, 0x00);                       /* INT_MAP: all to INT1 */
    reg_write(0x2E, 0x02);                       /* INT_ENABLE: watermark */
    reg_write(0x2D, 0x08);                       /* measure */
    console_printf("accel_irq: waiting for the watermark interrupt\n");
    while (samples < SAMPLES)
        __asm__ volatile("wfi");
    console_printf("accel_irq: %d samples in %d interrupts, last z=%d mg\n", samples, interrupts,
                   last[2] * 1000 / 256);
    return 0;
}
