/*
 * i2c.c - the sensor bus of the HiFive1: I2C0, the OpenCores I2C master interface
 * (FE310-G002 manual), at 400 kHz from the 320 MHz bus clock. See tinysim.h.
 * Fast mode, not 100 kHz: the ADXL345 data sheet (Rev. E, "I2C") gives 800 Hz as the highest
 * output data rate at 400 kHz, scaling with the bus speed (200 Hz at 100 kHz), and the
 * vibration app samples at 800 Hz.
 */
#include "tinysim.h"
#include "board_regs.h"

#define I2C0_BASE   0x10016000u
#define I2C_PRERLO  REG32(I2C0_BASE + 0x00u)
#define I2C_PRERHI  REG32(I2C0_BASE + 0x04u)
#define I2C_CTR     REG32(I2C0_BASE + 0x08u)
#define I2C_TXR_RXR REG32(I2C0_BASE + 0x0Cu)
#define I2C_CR_SR   REG32(I2C0_BASE + 0x10u)
#define CR_STA 0x80u
#define CR_STO 0x40u
#define CR_RD  0x20u
#define CR_WR  0x10u
#define CR_NACK 0x08u
#define SR_RXACK 0x80u
#define SR_TIP 0x02u

void i2c_init(void)
{
    I2C_CTR = 0;
    I2C_PRERLO = 159 & 0xFF;           /* 320e6 / (5 * 400e3) - 1 */
    I2C_PRERHI = 159 >> 8;
    I2C_CTR = 0x80;                    /* EN */
}

static int byte_out(uint8_t byte, uint8_t cmd)
{
    I2C_TXR_RXR = byte;
    I2C_CR_SR = cmd;
    while (I2C_CR_SR & SR_TIP) {
    }
    return (I2C_CR_SR & SR_RXACK) ? -1 : 0;
}

int i2c_read(uint8_t addr, uint8_t reg, uint8_t *buf, unsigned n)
{
    if (byte_out((uint8_t)(addr << 1), CR_STA | CR_WR) || byte_out(reg, CR_WR) ||
        byte_out((uint8_t)(addr << 1 | 1), CR_STA | CR_WR)) {
        I2C_CR_SR = CR_STO;
        return -1;
    }
    for (unsigned i = 0; i < n; i++) {
        I2C_CR_SR = CR_RD | (i + 1 == n ? (CR_NACK | CR_STO) : 0);
        while (I2C_CR_SR & SR_TIP) {
        }
        buf[i] = (uint8_t)I2C_TXR_RXR;
    }
    return 0;
}

int i2c_write(uint8_t addr, uint8_t reg, uint8_t value)
{
    if (byte_out((uint8_t)(addr << 1), CR_STA | CR_WR) || byte_out(reg, CR_WR)) {
        I2C_CR_SR = CR_STO;
        return -1;
    }
    return byte_out(value, CR_WR | CR_STO);
}
