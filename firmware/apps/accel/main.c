/*
 * accel (hifive1) - reads an ADXL345 accelerometer on the FE310's I2C0 (OpenCores I2C master
 * interface) at 100 Hz, full resolution, and prints ACCEL_SAMPLES samples in mg.
 * Exit code 0; 2 when DEVID is wrong; 3 when the device does not acknowledge.
 */
#include "tinysim.h"
#include "board_regs.h"

#ifndef ACCEL_SAMPLES
#define ACCEL_SAMPLES 10
#endif

#define I2C0_BASE      0x10016000u
#define I2C_PRERLO     REG32(I2C0_BASE + 0x00u)
#define I2C_PRERHI     REG32(I2C0_BASE + 0x04u)
#define I2C_CTR        REG32(I2C0_BASE + 0x08u)
#define I2C_TXR_RXR    REG32(I2C0_BASE + 0x0Cu)
#define I2C_CR_SR      REG32(I2C0_BASE + 0x10u)
#define CR_STA 0x80u
#define CR_STO 0x40u
#define CR_RD  0x20u
#define CR_WR  0x10u
#define CR_NACK 0x08u
#define SR_RXACK 0x80u
#define SR_TIP 0x02u

#define ADXL345 0x53u

static int xfer(uint8_t byte, uint8_t cmd)
{
    I2C_TXR_RXR = byte;
    I2C_CR_SR = cmd;
    while (I2C_CR_SR & SR_TIP) {
    }
    return (I2C_CR_SR & SR_RXACK) ? -1 : 0;
}

static int reg_read(uint8_t reg, uint8_t *buf, unsigned n)
{
    if (xfer((uint8_t)(ADXL345 << 1), CR_STA | CR_WR) || xfer(reg, CR_WR) ||
        xfer((uint8_t)(ADXL345 << 1 | 1), CR_STA | CR_WR))
        return -1;
    for (unsigned i = 0; i < n; i++) {
        I2C_CR_SR = CR_RD | (i + 1 == n ? (CR_NACK | CR_STO) : 0);
        while (I2C_CR_SR & SR_TIP) {
        }
        buf[i] = (uint8_t)I2C_TXR_RXR;
    }
    return 0;
}

static int reg_write(uint8_t reg, uint8_t value)
{
    if (xfer((uint8_t)(ADXL345 << 1), CR_STA | CR_WR) || xfer(reg, CR_WR))
        return -1;
    return xfer(value, CR_WR | CR_STO);
}

int main(void)
{
    board_init();
    /* 100 kHz SCL from the 320 MHz bus clock: prescale = 320e6 / (5 * 100e3) - 1 */
    I2C_CTR = 0;
    I2C_PRERLO = 639 & 0xFF;
    I2C_PRERHI = 639 >> 8;
    I2C_CTR = 0x80;                      /* EN */

    uint8_t id = 0;
    if (reg_read(0x00, &id, 1) != 0) {
        console_printf("accel: no ACK from 0x%x\n", ADXL345);
        return 3;
    }
    console_printf("accel: DEVID=0x%x\n", id);
    if (id != 0xE5)
        return 2;
    reg_write(0x31, 0x08);               /* DATA_FORMAT: FULL_RES, +-2 g */
    reg_write(0x2C, 0x0A);               /* BW_RATE: 100 Hz */
    reg_write(0x2D, 0x08);               /* POWER_CTL: measure */

    uint8_t d[6];
    for (int n = 0; n < ACCEL_SAMPLES; n++) {
        uint8_t src = 0;
        do {
            delay_loops(5000);
            reg_read(0x30, &src, 1);     /* INT_SOURCE.DATA_READY */
        } while (!(src & 0x80));
        reg_read(0x32, d, 6);
        /* full resolution: 3.9 mg/LSB (256 LSB/g) */
        int x = (int16_t)(d[0] | d[1] << 8) * 1000 / 256;
        int y = (int16_t)(d[2] | d[3] << 8) * 1000 / 256;
        int z = (int16_t)(d[4] | d[5] << 8) * 1000 / 256;
        console_printf("accel: %d a=%d,%d,%d mg\n", n, x, y, z);
    }
    return 0;
}
