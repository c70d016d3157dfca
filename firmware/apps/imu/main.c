/*
 * imu (nano33ble) - reads the LSM9DS1 accelerometer/gyroscope on the Nano 33 BLE Sense's
 * internal I2C bus through TWIM0 (EasyDMA), at 119 Hz, and prints IMU_SAMPLES samples in
 * mg / mdps. Exit code 0; 2 when WHO_AM_I is wrong; 3 on an I2C error.
 */
#include "tinysim.h"
#include "board_regs.h"

#ifndef IMU_SAMPLES
#define IMU_SAMPLES 10
#endif

#define TWIM0_BASE            0x40003000u
#define TWIM_TASKS_STARTRX    REG32(TWIM0_BASE + 0x000u)
#define TWIM_TASKS_STARTTX    REG32(TWIM0_BASE + 0x008u)
#define TWIM_EVENTS_STOPPED   REG32(TWIM0_BASE + 0x104u)
#define TWIM_EVENTS_ERROR     REG32(TWIM0_BASE + 0x124u)
#define TWIM_SHORTS           REG32(TWIM0_BASE + 0x200u)
#define TWIM_ERRORSRC         REG32(TWIM0_BASE + 0x4C4u)
#define TWIM_ENABLE           REG32(TWIM0_BASE + 0x500u)
#define TWIM_PSEL_SCL         REG32(TWIM0_BASE + 0x508u)
#define TWIM_PSEL_SDA         REG32(TWIM0_BASE + 0x50Cu)
#define TWIM_FREQUENCY        REG32(TWIM0_BASE + 0x524u)
#define TWIM_RXD_PTR          REG32(TWIM0_BASE + 0x534u)
#define TWIM_RXD_MAXCNT       REG32(TWIM0_BASE + 0x538u)
#define TWIM_TXD_PTR          REG32(TWIM0_BASE + 0x544u)
#define TWIM_TXD_MAXCNT       REG32(TWIM0_BASE + 0x548u)
#define TWIM_ADDRESS          REG32(TWIM0_BASE + 0x588u)
#define SHORTS_LASTTX_STARTRX (1u << 7)
#define SHORTS_LASTTX_STOP    (1u << 9)
#define SHORTS_LASTRX_STOP    (1u << 12)

#define LSM9DS1_AG            0x6Bu
#define WHO_AM_I              0x0Fu
#define CTRL_REG1_G           0x10u
#define OUT_X_L_G             0x18u
#define CTRL_REG6_XL          0x20u
#define STATUS_REG            0x27u
#define OUT_X_L_XL            0x28u

static uint8_t tx[2], rx[12];

static int twim_wait(void)
{
    while (!TWIM_EVENTS_STOPPED) {
        if (TWIM_EVENTS_ERROR) {
            TWIM_EVENTS_ERROR = 0;
            return -1;
        }
    }
    TWIM_EVENTS_STOPPED = 0;
    return 0;
}

static int reg_read(uint8_t reg, uint8_t *buf, unsigned n)
{
    tx[0] = reg;
    TWIM_TXD_PTR = (uint32_t)(uintptr_t)tx;
    TWIM_TXD_MAXCNT = 1;
    TWIM_RXD_PTR = (uint32_t)(uintptr_t)buf;
    TWIM_RXD_MAXCNT = n;
    TWIM_SHORTS = SHORTS_LASTTX_STARTRX | SHORTS_LASTRX_STOP;
    TWIM_TASKS_STARTTX = 1;
    return twim_wait();
}

static int reg_write(uint8_t reg, uint8_t value)
{
    tx[0] = reg;
    tx[1] = value;
    TWIM_TXD_PTR = (uint32_t)(uintptr_t)tx;
    TWIM_TXD_MAXCNT = 2;
    TWIM_SHORTS = SHORTS_LASTTX_STOP;
    TWIM_TASKS_STARTTX = 1;
    return twim_wait();
}

static int16_t le16(const uint8_t *p) { return (int16_t)(p[0] | p[1] << 8); }

int main(void)
{
    board_init();
    TWIM_PSEL_SCL = 15;                 /* P0.15: internal I2C SCL */
    TWIM_PSEL_SDA = 14;                 /* P0.14: internal I2C SDA */
    TWIM_FREQUENCY = 0x06400000u;       /* 400 kbps */
    TWIM_ADDRESS = LSM9DS1_AG;
    TWIM_ENABLE = 6;

    uint8_t who = 0;
    if (reg_read(WHO_AM_I, &who, 1) != 0) {
        console_printf("imu: I2C error %x\n", (unsigned)TWIM_ERRORSRC);
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
