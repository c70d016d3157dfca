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

#define ADXL345 0x53u

static int reg_read(uint8_t reg, uint8_t *buf, unsigned n) { return i2c_read(ADXL345, reg, buf, n); }
static int reg_write(uint8_t reg, uint8_t value) { return i2c_write(ADXL345, reg, value); }

int main(void)
{
    board_init();
    i2c_init();

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
