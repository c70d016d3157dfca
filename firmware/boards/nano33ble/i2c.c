/*
 * i2c.c - the sensor bus of the Nano 33 BLE Sense: TWIM0 (EasyDMA) on the internal I2C bus
 * (SCL P0.15, SDA P0.14) at 400 kHz, where the LSM9DS1 sits. See tinysim.h.
 */
#include "tinysim.h"
#include "board_regs.h"

#define TWIM0_BASE            0x40003000u
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

static uint8_t tx[2];                  /* EasyDMA reads RAM only: registers go through here */

void i2c_init(void)
{
    TWIM_PSEL_SCL = 15;
    TWIM_PSEL_SDA = 14;
    TWIM_FREQUENCY = 0x06400000u;      /* 400 kbps */
    TWIM_ENABLE = 6;
}

static int transfer(uint8_t addr, unsigned ntx, uint8_t *rx, unsigned nrx)
{
    TWIM_ADDRESS = addr;
    TWIM_TXD_PTR = (uint32_t)(uintptr_t)tx;
    TWIM_TXD_MAXCNT = ntx;
    TWIM_RXD_PTR = (uint32_t)(uintptr_t)rx;
    TWIM_RXD_MAXCNT = nrx;
    TWIM_SHORTS = nrx ? (SHORTS_LASTTX_STARTRX | SHORTS_LASTRX_STOP) : SHORTS_LASTTX_STOP;
    TWIM_TASKS_STARTTX = 1;
    while (!TWIM_EVENTS_STOPPED) {
        if (TWIM_EVENTS_ERROR) {
            TWIM_EVENTS_ERROR = 0;
            TWIM_ERRORSRC = TWIM_ERRORSRC;   /* write 1 to clear */
            while (!TWIM_EVENTS_STOPPED) {
            }
            TWIM_EVENTS_STOPPED = 0;
            return -1;
        }
    }
    TWIM_EVENTS_STOPPED = 0;
    return 0;
}

int i2c_read(uint8_t addr, uint8_t reg, uint8_t *buf, unsigned n)
{
    tx[0] = reg;
    return transfer(addr, 1, buf, n);
}

int i2c_write(uint8_t addr, uint8_t reg, uint8_t value)
{
    tx[0] = reg;
    tx[1] = value;
    return transfer(addr, 2, 0, 0);
}
