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

static int reg_read(uint8_t reg, unsigned n) { return i2c_read(ADXL345, reg, rx, n); }
static int reg_write(uint8_t reg, uint8_t value) { return i2c_write(ADXL345, reg, value); }

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
    i2c_init();
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
