/*
 * vibration - anomaly detection on a rotating machine. The accelerometer's x axis, read from
 * its FIFO every 20 ms timer tick (the core sleeps in WFI in between) -> 256-sample windows,
 * hop 128 -> power spectrum in 16 bands (a float DFT with an FPU, a fixed-point FFT without),
 * log10(1 + 1e4 * power) (as models/train_anomaly.py computes it) -> the int8 autoencoder in the model partition -> anomaly score = mean squared
 * reconstruction error. UART: "vibration: score=<score x 1e5> t=<ms>" per window, and
 * "ALARM: vibration anomaly" (LED on) when the score exceeds ALARM_SCORE.
 *   nano33ble: LSM9DS1 at 952 Hz through TWIM0 (models/anomaly.tflite), SysTick
 *   hifive1:   ADXL345 at 800 Hz on I2C0 (models/anomaly_800hz.tflite), CLINT timer
 */
#include "tinysim.h"
#include "board_regs.h"
#include "tsrt.h"

#define N 256
#define HOP 128
#define BANDS 16
#ifndef ALARM_SCORE
#define ALARM_SCORE 300                /* x 1e-5: healthy machines score below 60 in training */
#endif

#if defined(BOARD_NANO33BLE)
#define LSM9DS1_AG 0x6Bu
#define RATE_HZ 952
#else
#define ADXL345        0x53u
#define RATE_HZ 800
#endif

float cosf(float);
float sinf(float);
float log10f(float);

extern const uint8_t __model_partition_start__[];
static uint8_t rx[6];
#if defined(BOARD_NANO33BLE)
#endif
#if defined(__riscv) && !defined(__riscv_flen)
/* No FPU (the HiFive1's E31): soft-float costs tens of instructions per multiply, and the
 * O(N^2) float DFT took 12 M instructions a window, 97 % of the core's time at 800 Hz. The
 * samples are integers (ADXL345 counts), so the spectrum is a radix-2 FFT in 32-bit fixed
 * point instead: the same band powers, about 1 % of the instructions. */
#define FIXED_FFT 1
typedef int16_t sample_t;                /* raw counts */
static int32_t fre[N], fim[N], tw_cos[N / 2], tw_sin[N / 2];   /* twiddles in Q30 */
#else
typedef float sample_t;                  /* g */
static float win[N], cos_t[N], sin_t[N];
#endif
static sample_t ring[N];
static int count, since;
static uint8_t arena[3 * 1024] __attribute__((aligned(16), section(".noinit.arena")));
static tsrt_model model;

#if defined(BOARD_NANO33BLE)
static int reg_read(uint8_t reg, unsigned n) { return i2c_read(LSM9DS1_AG, reg, rx, n); }
static int reg_write(uint8_t reg, uint8_t v) { return i2c_write(LSM9DS1_AG, reg, v); }

static int sensor_init(void)
{
    i2c_init();
    if (reg_read(0x0F, 1) != 0 || rx[0] != 0x68)
        return -1;
    reg_write(0x10, 0x00);               /* gyro off */
    reg_write(0x20, 0xC0);               /* CTRL_REG6_XL: 952 Hz, +-2 g */
    reg_write(0x23, 0x02);               /* FIFO_EN */
    reg_write(0x2E, 0xC0);               /* continuous mode */
    return 0;
}

/* Samples waiting in the FIFO; sensor_read() pops one (x axis, g). */
static int sensor_available(void) { return reg_read(0x2F, 1) != 0 ? 0 : rx[0] & 0x3F; }
static float sensor_read(void)
{
    reg_read(0x28, 6);
    return (float)(int16_t)(rx[0] | rx[1] << 8) * 0.000061f;   /* +-2 g: 0.061 mg/LSB */
}
#else
static int reg_read(uint8_t reg, unsigned n) { return i2c_read(ADXL345, reg, rx, n); }
static int reg_write(uint8_t reg, uint8_t v) { return i2c_write(ADXL345, reg, v); }

static int sensor_init(void)
{
    i2c_init();
    if (reg_read(0x00, 1) != 0 || rx[0] != 0xE5)
        return -1;
    reg_write(0x31, 0x08);               /* DATA_FORMAT: FULL_RES, +-2 g */
    reg_write(0x2C, 0x0D);               /* BW_RATE: 800 Hz */
    reg_write(0x38, 0x80);               /* FIFO_CTL: stream mode */
    reg_write(0x2D, 0x08);               /* POWER_CTL: measure */
    return 0;
}

static int sensor_available(void) { return reg_read(0x39, 1) != 0 ? 0 : rx[0] & 0x3F; }
static sample_t sensor_read(void)
{
    reg_read(0x32, 6);
    int16_t raw = (int16_t)(rx[0] | rx[1] << 8);
#ifdef FIXED_FFT
    return raw;
#else
    return (float)raw * (1.0f / 256.0f);                   /* full resolution */
#endif
}
#endif

/* Move what the FIFO holds into the ring. Also called during the float DFT, which can take
 * longer than the FIFO lasts. */
static void drain(void)
{
    for (int n = sensor_available(); n > 0; n--) {
        ring[count % N] = sensor_read();
        count++;
        since++;
    }
}

#ifdef FIXED_FFT
static int32_t qmul(int32_t a, int32_t w) { return (int32_t)(((int64_t)a * w + (1 << 29)) >> 30); }

/* Band powers of the window in the ring: as the float DFT computes them (|X_k|^2 / N^2 in g^2,
 * summed over the band's bins). Samples (<= 2^12 counts) are scaled by 2^10 so that after the
 * FFT's 8 doubling stages they stay within 2^30. */
static void spectrum(float *feat)
{
    int start = count % N;                       /* oldest sample in the ring */
    for (int n = 0; n < N; n++) {
        int r = 0;                               /* bit-reversed order (8 bits) */
        for (int b = 0; b < 8; b++)
            r |= ((n >> b) & 1) << (7 - b);
        fre[r] = (int32_t)ring[(start + n) % N] * 1024;
        fim[r] = 0;
    }
    for (int len = 2; len <= N; len <<= 1) {
        int half = len >> 1, step = N / len;
        for (int i = 0; i < N; i += len)
            for (int j = 0; j < half; j++) {
                int32_t c = tw_cos[j * step], sn = tw_sin[j * step];
                int32_t *ar = &fre[i + j], *ai = &fim[i + j], *br = &fre[i + j + half], *bi = &fim[i + j + half];
                int32_t tr = qmul(*br, c) + qmul(*bi, sn), ti = qmul(*bi, c) - qmul(*br, sn);
                *br = *ar - tr;
                *bi = *ai - ti;
                *ar += tr;
                *ai += ti;
            }
    }
    /* counts * 2^10 -> g (2^-8), / N (2^-8): 2^-26 */
    for (int k = 0; k < N / 2; k++) {
        float re = (float)fre[k] * (1.0f / 67108864.0f), im = (float)fim[k] * (1.0f / 67108864.0f);
        feat[k / (N / 2 / BANDS)] += re * re + im * im;
    }
}
#else
static void spectrum(float *feat)
{
    int start = count % N;                       /* oldest sample in the ring */
    for (int n = 0; n < N; n++)
        win[n] = ring[(start + n) % N];
    for (int k = 0; k < N / 2; k++) {
        float re = 0, im = 0;
        if ((k & 7) == 7)
            drain();
        for (int n = 0; n < N; n++) {
            float x = win[n];
            int idx = (k * n) % N;
            re += cos_t[idx] * x;
            im += sin_t[idx] * x;
        }
        feat[k / (N / 2 / BANDS)] += (re * re + im * im) / (float)(N * N);
    }
}
#endif

static int32_t score_window(void)
{
    float feat[BANDS] = {0};
    spectrum(feat);
    const tsrt_tensor *in = tsrt_input(&model, 0), *out = tsrt_output(&model, 0);
    float is = tsrt_tensor_scale(in), os = tsrt_tensor_scale(out);
    int32_t iz = tsrt_tensor_zero_point(in), oz = tsrt_tensor_zero_point(out);
    int8_t *q = tsrt_input_data(&model, 0);
    for (int b = 0; b < BANDS; b++) {
        feat[b] = log10f(1.0f + 1e4f * feat[b]);
        float v = feat[b] / is;
        int32_t r = (int32_t)(v < 0 ? v - 0.5f : v + 0.5f) + iz;
        q[b] = (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
    }
    if (tsrt_invoke(&model) != 0)
        return -1;
    const int8_t *y = tsrt_output_data(&model, 0);
    float err = 0;
    for (int b = 0; b < BANDS; b++) {
        float d = (float)(y[b] - oz) * os - feat[b];
        err += d * d;
    }
    return (int32_t)(err / BANDS * 1e5f + 0.5f);
}

int main(void)
{
    board_init();
    const uint32_t *hdr = (const uint32_t *)__model_partition_start__;
    if (hdr[0] != 0x314D5354u ||         /* "TSM1" */
        tsrt_init(&model, __model_partition_start__ + 16, hdr[1], arena, sizeof arena) != 0) {
        console_printf("vibration: model rejected: %s\n", tsrt_error(&model));
        return 3;
    }
#ifdef FIXED_FFT
    for (int i = 0; i < N / 2; i++) {
        float c = cosf(6.2831853f * (float)i / N) * 1073741824.0f, sn = sinf(6.2831853f * (float)i / N) * 1073741824.0f;
        tw_cos[i] = (int32_t)(c < 0 ? c - 0.5f : c + 0.5f);
        tw_sin[i] = (int32_t)(sn < 0 ? sn - 0.5f : sn + 0.5f);
    }
#else
    for (int i = 0; i < N; i++) {
        cos_t[i] = cosf(6.2831853f * (float)i / N);
        sin_t[i] = sinf(6.2831853f * (float)i / N);
    }
#endif
    if (sensor_init() != 0) {
        console_printf("vibration: no accelerometer\n");
        return 2;
    }
    console_printf("vibration: monitoring at %d Hz, alarm above %d\n", RATE_HZ, ALARM_SCORE);
    ticker_start(20);
    for (;;) {
        __asm__ volatile("wfi");
        drain();
        if (count >= N && since >= HOP) {
            since -= HOP;
            int32_t s = score_window();
            if (s < 0)
                return 3;
            console_printf("vibration: score=%ld t=%u\n", (long)s, (unsigned)ticker_ms());
            if (s > ALARM_SCORE) {
                console_printf("ALARM: vibration anomaly\n");
                led_set(1);
            } else {
                led_set(0);
            }
        }
    }
}
