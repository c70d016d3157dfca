/*
 * magic_wand - gesture recognition: accelerometer at 50 Hz (FIFO) -> 25 Hz window of
 * 64 x 3 samples in g -> the int8 CNN in the model partition
 * (models/magic_wand.tflite: wing, ring, slope, negative) -> a UART line and the LED.
 * Sleeps in WFI between 20 ms timer ticks (the board's ticker.c); classifies every 8 new samples and reports a
 * gesture when two classifications in a row agree (a 0.32 s debounce).
 * UART protocol: "gesture: <name> p=<percent> t=<ms>" when a gesture is recognised.
 * Exit codes (only on errors): 2 IMU missing, 3 model rejected.
 *   nano33ble: LSM9DS1, SysTick;  hifive1: ADXL345, CLINT timer (i2c_* from the board's i2c.c).
 */
#include "tinysim.h"
#include "board_regs.h"
#include "tsrt.h"

#define WINDOW 64
#define STEP 8
#define THRESHOLD 70                   /* percent, in two classifications in a row */

#if defined(BOARD_NANO33BLE)
#define LSM9DS1_AG 0x6Bu
#define ARENA_BYTES (24 * 1024)
#else
#define ADXL345        0x53u
#define ARENA_BYTES (8 * 1024)
#endif

extern const uint8_t __model_partition_start__[];
static const char *const NAMES[] = {"wing", "ring", "slope", "negative"};

static uint8_t rx[6];
static float window[WINDOW][3];
static int filled;
static uint8_t arena[ARENA_BYTES] __attribute__((aligned(16), section(".noinit.arena")));
static tsrt_model model;

#if defined(BOARD_NANO33BLE)
static int reg_read(uint8_t reg, unsigned n) { return i2c_read(LSM9DS1_AG, reg, rx, n); }
static int reg_write(uint8_t reg, uint8_t v) { return i2c_write(LSM9DS1_AG, reg, v); }

static int sensor_init(void)
{
    i2c_init();
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
static int reg_read(uint8_t reg, unsigned n) { return i2c_read(ADXL345, reg, rx, n); }
static int reg_write(uint8_t reg, uint8_t v) { return i2c_write(ADXL345, reg, v); }

static int sensor_init(void)
{
    i2c_init();
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
    ticker_start(20);
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
            int now = (c != 3 && p >= THRESHOLD) ? c : -1;
            if (now >= 0 && now == prev && now != last) {
                console_printf("gesture: %s p=%d t=%u\n", NAMES[c], p, (unsigned)ticker_ms());
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
