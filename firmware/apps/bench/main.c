/*
 * bench - compute-bound int8 matrix-vector benchmark.
 *
 * Touches NO peripheral (no board_init, UART or DWT): only the core, RAM
 * and semihosting, so the same ELF runs on tinysim and on QEMU
 * (qemu-system-arm -M mps2-an386 / qemu-system-riscv32 -M sifive_e,revb=true)
 * for speed comparisons.
 *
 * Weights (BENCH_N x BENCH_N int8) and the input vector come from an LCG.
 * Each repetition computes y = W x with int32 accumulation, folds y into an
 * FNV-1a style checksum and feeds (y >> 8) ^ rep back as the next x (so no
 * repetition can be skipped). Result line via SYS_WRITE0, exit code 0:
 *   bench: <N>x<N> int8 matvec, <reps> reps, checksum=0x<8 hex digits>
 *
 * Instructions executed (measured with QEMU -singlestep, this toolchain):
 *   nano33ble: 128x128 (16 KB of weights): 83 851 per rep + ~102 K setup,
 *              default 5000 reps  -> ~419 M instructions
 *   hifive1:   64x64 (4 KB; the whole DTIM is 16 KB): 29 716 per rep + ~30 K
 *              setup, default 14000 reps -> ~416 M instructions
 * Override the repetition count with `make BENCH_REPS=<n>`.
 */
#include "tinysim.h"

#if defined(BOARD_NANO33BLE)
#define BENCH_N            128
#define BENCH_DEFAULT_REPS 5000 /* ~0.4 G instructions */
#else
#define BENCH_N            64
#define BENCH_DEFAULT_REPS 14000 /* ~0.4 G instructions */
#endif

#ifndef BENCH_REPS
#define BENCH_REPS BENCH_DEFAULT_REPS
#endif

static int8_t weights[BENCH_N][BENCH_N];
static int8_t vec[BENCH_N];
static int32_t out[BENCH_N];
static uint32_t lcg_state;

static uint32_t lcg_next(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lcg_state;
}

__attribute__((noinline)) static void matvec(void)
{
    for (int i = 0; i < BENCH_N; i++) {
        const int8_t *row = weights[i];
        int32_t acc = 0;
        for (int j = 0; j < BENCH_N; j++)
            acc += (int32_t)row[j] * (int32_t)vec[j];
        out[i] = acc;
    }
}

int main(void)
{
    lcg_state = 0x12345678u;
    for (int i = 0; i < BENCH_N; i++)
        for (int j = 0; j < BENCH_N; j++)
            weights[i][j] = (int8_t)(lcg_next() >> 24);
    for (int j = 0; j < BENCH_N; j++)
        vec[j] = (int8_t)(lcg_next() >> 24);

    uint32_t checksum = 2166136261u;
    for (uint32_t rep = 0; rep < (uint32_t)BENCH_REPS; rep++) {
        matvec();
        for (int i = 0; i < BENCH_N; i++) {
            checksum = (checksum ^ (uint32_t)out[i]) * 16777619u;
            vec[i] = (int8_t)((out[i] >> 8) ^ (int32_t)rep);
        }
    }

    char line[96];
    fmt_snprintf(line, sizeof line, "bench: %dx%d int8 matvec, %u reps, checksum=0x%08x\n",
                 BENCH_N, BENCH_N, (unsigned)BENCH_REPS, (unsigned)checksum);
    semihost_write0(line);
    return 0;
}
