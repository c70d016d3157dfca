/*
 * magic_wand - gesture recognition: accelerometer at 50 Hz (FIFO) -> 25 Hz window of
 * 64 x 3 samples in g -> the int8 CNN in the model partition
 * (models/magic_wand.tflite: wing, ring, slope, negative) -> a UART line and the LED.
 * Sleeps in WFI between SysTick ticks (20 ms); classifies every 8 new samples and reports a
 * gesture when two classifications in a row agree (a 0.32 s debounce).
 * UART protocol: "gesture: <name> p=<percent> t=<ms>" when a gesture is recognised.
 * Exit codes (only on errors): 2 IMU missing, 3 model rejected.
 *   nano33ble: LSM9DS1 through TWIM0, SysTick;  hifive1: ADXL345 on I2C0, CLINT timer.
 */
#include "tinysim.h"
#include "board_regs.h"
#include "tsrt.h"

#define WINDOW 64
#define STEP 8
#define THRESHOLD 70                   /* percent, in two classifications in a row */

#if defined(BOARD_NANO33BLE)
#define TWIM0_BASE            0x40003000u
#define TWIM_TASKS_STARTTX    REG32(TWIM0_BASE + 0x008u)
#define TWIM_EVENTS_STOPPED   REG32(TWIM0_BASE + 0x104u)
#define TWIM_EVENTS_ERROR     REG32(TWIM0_BASE + 0x124u)
#define TWIM_SHORTS           REG32(TWIM0_BASE + 0x200u)
#define TWIM_ENABLE           REG32(TWIM0_BASE + 0x500u)
#define TWIM_PSEL_SCL         REG32(TWIM0_BASE + 0x508u)
#define TWIM_PSEL_SDA         REG32(TWIM0_BASE + 0x50Cu)
#define TWIM_RXD_PTR          REG32(TWIM0_BASE + 0x534u)
#define TWIM_RXD_MAXCNT       REG32(TWIM0_BASE + 0x538u)
#define TWIM_TXD_PTR          REG32(TWIM0_BASE + 0x544u)
#define TWIM_TXD_MAXCNT       REG32(TWIM0_BASE + 0x548u)
#define TWIM_ADDRESS          REG32(TWIM0_BASE + 0x588u)
#define SYST_CSR              REG32(0xE000E010u)
#define SYST_RVR              REG32(0xE000E014u)
#define SYST_CVR              REG32(0xE000E018u)

#define ARENA_BYTES (24 * 1024)
#else
#define I2C0_BASE      0x10016000u
#define I2C_PRERLO     REG32(I2C0_BASE + 0x00u)
#define I2C_PRERHI     REG32(I2C0_BASE + 0x04u)
#define I2C_CTR        REG32(I2C0_BASE + 0x08u)
#define I2C_TXR_RXR    REG32(I2C0_BASE + 0x0Cu)
#define I2C_CR_SR      REG32(I2C0_BASE + 0x10u)
#define ADXL345        0x53u
#define ARENA_BYTES (8 * 1024)
#endif

extern const uint8_t __model_partition_start__[];
static const char *const NAMES[] = {"wing", "ring", "slope", "negative"};

static uint8_t rx[6];
static float window[WINDOW][3];
static int filled;
static volatile uint32_t ticks;
static uint8_t arena[ARENA_BYTES] __attribute__((aligned(16), section(".noinit.arena")));
static tsrt_model model;

#if defined(BOARD_NANO33BLE)
static uint8_t tx[2];
void SysTick_Handler(void);
void SysTick_Handler(void) { ticks++; }

static void tick_start(void)
{
    SYST_RVR = BOARD_CPU_HZ / 50 - 1;    /* 20 ms */
    SYST_CVR = 0;
    SYST_CSR = 7;
}

static int twim(unsigned ntx, unsigned nrx)
{
    TWIM_TXD_PTR = (uint32_t)(uintptr_t)tx;
    TWIM_TXD_MAXCNT = ntx;
    TWIM_RXD_PTR = (uint32_t)(uintptr_t)rx;
    TWIM_RXD_MAXCNT = nrx;
    TWIM_SHORTS = nrx ? ((1u << 7) | (1u << 12)) : (1u << 9);
    TWIM_TASKS_STARTTX = 1;
    while (!TWIM_EVENTS_STOPPED)
        if (TWIM_EVENTS_ERROR) { TWIM_EVENTS_ERROR = 0; return -1; }
    TWIM_EVENTS_STOPPED = 0;
    return 0;
}

static int reg_write(uint8_t reg, uint8_t v) { tx[0] = reg; tx[1] = v; return twim(2, 0); }
static int reg_read(uint8_t reg, unsigned n) { tx[0] = reg; return twim(1, n); }

static int sensor_init(void)
{
    TWIM_PSEL_SCL = 15;
    TWIM_PSEL_SDA = 14;
    TWIM_ADDRESS = 0x6B;
    TWIM_ENABLE = 6;
    if (reg_read(0x0F, 1) != 0 || rx[0] != 0x68)
        return -1;
    reg_write(0x10, 0x00);               /* CTRL_REG1_G: gyro off */
    reg_write(0x20, 0x50);               /* CTRL_REG6_XL: 50 Hz, +-4 g */
    reg_write(0x23, 0x02);               /* CTRL_REG9: FIFO_EN */
    reg_write(0x2E, 0xC0);               /* FIFO_CTRL: continuous mode */
    return 0;
}

static int sensor_available(void) { return reg_read(0x2F, 1) != 0 ? 0 : rx[0] & 0x3F; }
static void sensor_read(float s[3])     /* pops one FIFO entry (OUT_X_L_XL..OUT_Z_H_XL) */
{
    reg_read(0x28, 6);
    for (int a = 0; a < 3; a++)
        s[a] = (float)(int16_t)(rx[2 * a] | rx[2 * a + 1] << 8) * 0.000122f;   /* +-4 g */
}
#else
void mtimer_handler(void);
void mtimer_handler(void)
{
    ticks++;
    clint_set_mtimecmp(clint_mtime() + 655);                  /* 20 ms at 32768 Hz */
}

static void tick_start(void)
{
    clint_set_mtimecmp(clint_mtime() + 655);
    csr_set(mie, MIE_MTIE);
    csr_set(mstatus, MSTATUS_MIE);
}

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

static int sensor_init(void)
{
    I2C_CTR = 0;
    I2C_PRERLO = 639 & 0xFF;
    I2C_PRERHI = 639 >> 8;
    I2C_CTR = 0x80;
    if (reg_read(0x00, 1) != 0 || rx[0] != 0xE5)
        return -1;
    reg_write(0x31, 0x08);               /* FULL_RES, +-2 g */
    reg_write(0x2C, 0x09);               /* BW_RATE: 50 Hz */
    reg_write(0x38, 0x80);               /* FIFO_CTL: stream */
    reg_write(0x2D, 0x08);               /* measure */
    return 0;
}

static int sensor_available(void) { return reg_read(0x39, 1) != 0 ? 0 : rx[0] & 0x3F; }
static void sensor_read(float s[3])
{
    reg_read(0x32, 6);
    for (int a = 0; a < 3; a++)
        s[a] = (float)(int16_t)(rx[2 * a] | rx[2 * a + 1] << 8) * (1.0f / 256.0f);
}
#endif

static void push(const float s[3])
{
    for (int i = 0; i < WINDOW - 1; i++)
        for (int a = 0; a < 3; a++) window[i][a] = window[i + 1][a];
    for (int a = 0; a < 3; a++) window[WINDOW - 1][a] = s[a];
    if (filled < WINDOW) filled++;
}

static int classify(int *percent)
{
    const tsrt_tensor *in = tsrt_input(&model, 0);
    float scale = tsrt_tensor_scale(in);
    int32_t zp = tsrt_tensor_zero_point(in);
    int8_t *q = tsrt_input_data(&model, 0);
    for (int i = 0; i < WINDOW; i++)
        for (int a = 0; a < 3; a++) {
            float v = window[i][a] / scale;
            int32_t r = (int32_t)(v < 0 ? v - 0.5f : v + 0.5f) + zp;
            q[i * 3 + a] = (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
        }
    if (tsrt_invoke(&model) != 0)
        return -1;
    const int8_t *out = tsrt_output_data(&model, 0);
    int best = 0;
    for (int c = 1; c < 4; c++)
        if (out[c] > out[best]) best = c;
    *percent = (out[best] + 128) * 100 / 256;
    return best;
}

int main(void)
{
    board_init();
    const uint32_t *hdr = (const uint32_t *)__model_partition_start__;
    if (hdr[0] != 0x314D5354u ||         /* "TSM1" */
        tsrt_init(&model, __model_partition_start__ + 16, hdr[1], arena, sizeof arena) != 0) {
        console_printf("magic_wand: model rejected: %s\n", tsrt_error(&model));
        return 3;
    }
    if (sensor_init() != 0) {
        console_printf("magic_wand: no accelerometer\n");
        return 2;
    }
    console_printf("magic_wand: listening (window %d at 25 Hz)\n", WINDOW);
    tick_start();
    int decim = 0, since = 0, last = -1, prev = -1;
    for (;;) {
        __asm__ volatile("wfi");
        for (int n = sensor_available(); n > 0; n--) {
            float s[3];
            sensor_read(s);
            if (decim++ & 1)             /* 50 Hz -> 25 Hz */
                continue;
            push(s);
            since++;
        }
        if (filled == WINDOW && since >= STEP) {
            since = 0;
            int p = 0, c = classify(&p);
            if (c < 0)
                return 3;
#ifdef MW_TRACE
            console_printf("trace: %s p=%d t=%u\n", NAMES[c], p, (unsigned)(ticks * 20));
#endif
            int now = (c != 3 && p >= THRESHOLD) ? c : -1;
            if (now >= 0 && now == prev && now != last) {
                console_printf("gesture: %s p=%d t=%u\n", NAMES[c], p, (unsigned)(ticks * 20));
                led_set(1);
                last = now;
            } else {
                led_set(0);
            }
            if (now < 0 && prev < 0)
                last = -1;
            prev = now;
        }
    }
}
