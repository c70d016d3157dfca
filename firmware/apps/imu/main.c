/*
 * imu (nano33ble) - reads the LSM9DS1 accelerometer/gyroscope on the Nano 33 BLE Sense's
 * internal I2C bus (TWIM0, EasyDMA: see boards/nano33ble/i2c.c), at 119 Hz, and prints IMU_SAMPLES samples in
 * mg / mdps. Exit code 0; 2 when WHO_AM_I is wrong; 3 on an I2C error.
 */
#include "tinysim.h"
#include "board_regs.h"

#ifndef IMU_SAMPLES
#define IMU_SAMPLES 10
#endif

#define LSM9DS1_AG            0x6Bu
#define WHO_AM_I              0x0Fu
#define CTRL_REG1_G           0x10u
#define OUT_X_L_G             0x18u
#define CTRL_REG6_XL          0x20u
#define STATUS_REG            0x27u
#define OUT_X_L_XL            0x28u

static uint8_t rx[12];

static int reg_read(uint8_t reg, uint8_t *buf, unsigned n) { return i2c_read(LSM9DS1_AG, reg, buf, n); }
static int reg_write(uint8_t reg, uint8_t value) { return i2c_write(LSM9DS1_AG, reg, value); }

static int16_t le16(const uint8_t *p) { return (int16_t)(p[0] | p[1] << 8); }

int main(void)
{
    board_init();
    i2c_init();

    uint8_t who = 0;
    if (reg_read(WHO_AM_I, &who, 1) != 0) {
        console_printf("imu: no ACK from the LSM9DS1 at 0x%x\n", LSM9DS1_AG);
        return 3;
    }
    console_printf("imu: WHO_AM_I=0x%x\n", who);
    if (who != 0x68)
        return 2;
    reg_write(CTRL_REG1_G, 0x60);       /* gyro 119 Hz, 245 dps */
    reg_write(CTRL_REG6_XL, 0x60 | 0x10); /* accel 119 Hz, +-4 g */

    for (int n = 0; n < IMU_SAMPLES; n++) {
        uint8_t st = 0;
        do {
            delay_loops(2000);
            if (reg_read(STATUS_REG, &st, 1) != 0)
                return 3;
        } while (!(st & 1));
        reg_read(OUT_X_L_G, rx, 6);
        reg_read(OUT_X_L_XL, rx + 6, 6);
        /* +-4 g: 0.122 mg/LSB; 245 dps: 8.75 mdps/LSB */
        int ax = le16(rx + 6) * 122 / 1000, ay = le16(rx + 8) * 122 / 1000, az = le16(rx + 10) * 122 / 1000;
        int gx = le16(rx) * 875 / 100, gy = le16(rx + 2) * 875 / 100, gz = le16(rx + 4) * 875 / 100;
        console_printf("imu: %d a=%d,%d,%d mg g=%d,%d,%d mdps\n", n, ax, ay, az, gx, gy, gz);
    }
    return 0;
}
