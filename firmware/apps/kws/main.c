/*
 * kws (nano33ble) - keyword spotting: PDM microphone at 16 kHz (EasyDMA into a ring of 20 ms
 * buffers, END interrupt, WFI between them) -> the fixed-point front end (frontend.c) once per
 * 20 ms stride into a ring of the last 49 frames of 40 int8 log-mel features -> the int8 model in
 * the model partition (models/kws.tflite: silence, unknown, yes, no) at most every INFER_EVERY
 * strides (less often when it takes longer: the front end catches up on waiting buffers first) ->
 * the mean of the last AVERAGE outputs -> "heard: <word> (p=0.93)" and the LED. One word, one
 * detection: nothing for REFRACTORY strides after a detection, and the same word not again until
 * its mean falls below THRESHOLD (a word stays in the 1 s window for longer than that).
 * Cycle figures (DWT CYCCNT), once after the first second (n strides, i inferences):
 *   "kws: front end <max> cycles/stride, load <busy cycles / (n x budget)>% of <budget>"
 *   "kws: inference <max> cycles, <i> in <n> strides"
 * A ring overrun (processing fell NBUF strides behind the microphone) prints "kws: overrun".
 * Exit codes (only on errors): 3 model missing, rejected or of the wrong shape.
 * Frames end at buffer ends: frame k holds samples [320 k - 160, 320 k + 320) of the stream, the
 * first one preceded by 160 zeros, i.e. kws_frontend.features() of the stream after 160 zeros.
 * Built with -DKWS_DUMP (kws_dump.elf): no model; prints each frame's features as
 * "fe <frame> <80 hex digits>" so tests compare them with tinysim.dsp.kws_frontend.
 */
#include "tinysim.h"
#include "board_regs.h"
#include "tsrt.h"
#include "frontend.h"

#define STRIDE 320
#define FRAMES 49
#define NBUF 8                       /* 160 ms of audio may wait while the model runs */
#define INFER_EVERY 4                /* strides: an inference every 80 ms, or as often as it keeps up */
#define AVERAGE 3                    /* outputs averaged: the last 240 ms or more */
#define THRESHOLD 70                 /* percent of the averaged keyword probability */
#define REFRACTORY 50                /* strides (1 s) after a detection */
#define LED_STRIDES 25               /* LED on for 0.5 s */
#define ARENA_BYTES (64 * 1024)
#define BUDGET (BOARD_CPU_HZ / 1000u * 20u)

static int16_t pcm[NBUF][STRIDE];
static volatile uint32_t produced;   /* buffers filled; buffer k is pcm[k % NBUF] */
static uint32_t latched;             /* index of the buffer latched as the next one */
static int16_t audio[KWS_FE_FRAME];  /* the current 30 ms frame */
static int8_t feat[FRAMES][KWS_FE_MEL];
static int head;                     /* feat[head] is the oldest frame */

void PDM_IRQHandler(void);
void PDM_IRQHandler(void)
{
    /* END and STARTED arrive together at a buffer switch: count the filled buffer, then queue
     * the one after the buffer just latched. */
    if (PDM_EVENTS_END) {
        PDM_EVENTS_END = 0;
        produced++;
    }
    if (PDM_EVENTS_STARTED) {
        PDM_EVENTS_STARTED = 0;
        latched++;
        PDM_SAMPLE_PTR = (uint32_t)(uintptr_t)pcm[latched % NBUF];
    }
}

static void mic_start(void)
{
    PDM_PSEL_CLK = 26;               /* P0.26: PDM clock on the Nano 33 BLE Sense */
    PDM_PSEL_DIN = 25;               /* P0.25: PDM data */
    PDM_PDMCLKCTRL = 0x0A000000u;    /* 1.280 MHz */
    PDM_RATIO = 1;                   /* /80 -> 16 kHz */
    PDM_MODE = 1;                    /* mono */
    PDM_SAMPLE_PTR = (uint32_t)(uintptr_t)pcm[0];
    PDM_SAMPLE_MAXCNT = STRIDE;
    PDM_INTENSET = (1u << 0) | (1u << 2);   /* STARTED, END */
    NVIC_ISER0 = 1u << PDM_IRQN;
    PDM_ENABLE = 1;
    PDM_TASKS_START = 1;
}

/* Slides the frame by one stride and computes its features into the ring. */
static void stride(const int16_t *in)
{
    for (int i = 0; i < KWS_FE_FRAME - STRIDE; i++)
        audio[i] = audio[i + STRIDE];
    for (int i = 0; i < STRIDE; i++)
        audio[KWS_FE_FRAME - STRIDE + i] = in[i];
    kws_frontend(audio, feat[head]);
    head = (head + 1) % FRAMES;
}

#ifdef KWS_DUMP
int main(void)
{
    board_init();
    mic_start();
    static const char HEX[] = "0123456789abcdef";
    char line[2 * KWS_FE_MEL + 1];
    uint32_t consumed = 0, frame = 0;
    for (;;) {
        __asm__ volatile("cpsid i");
        while (consumed == produced) {
            __asm__ volatile("wfi");
            __asm__ volatile("cpsie i");
            __asm__ volatile("cpsid i");
        }
        __asm__ volatile("cpsie i");
        stride(pcm[consumed++ % NBUF]);
        const int8_t *f = feat[(head + FRAMES - 1) % FRAMES];
        for (int m = 0; m < KWS_FE_MEL; m++) {
            line[2 * m] = HEX[(uint8_t)f[m] >> 4];
            line[2 * m + 1] = HEX[(uint8_t)f[m] & 15];
        }
        line[2 * KWS_FE_MEL] = 0;
        console_printf("fe %u %s\n", (unsigned)frame++, line);
    }
}
#else
extern const uint8_t __model_partition_start__[];
static const char *const NAMES[] = {"silence", "unknown", "yes", "no"};
static uint8_t arena[ARENA_BYTES] __attribute__((aligned(16), section(".noinit.arena")));
static tsrt_model model;
static int32_t in_mult, in_zp;       /* front end int8 -> model input: zp + f * in_mult / 2^16 */
static float out_scale;
static int32_t out_zp;
static int32_t history[AVERAGE][4];  /* probabilities in 1/1000 */
static int n_history;

static int model_init(void)
{
    const uint32_t *hdr = (const uint32_t *)__model_partition_start__;
    if (hdr[0] != 0x314D5354u) {     /* "TSM1" */
        console_printf("kws: no model in the model partition (give one: model: in a scenario, --model to tinysim run)\n");
        return -1;
    }
    if (tsrt_init(&model, __model_partition_start__ + 16, hdr[1], arena, sizeof arena) != 0) {
        console_printf("kws: model rejected: %s\n", tsrt_error(&model));
        return -1;
    }
    const tsrt_tensor *in = tsrt_input(&model, 0), *out = tsrt_output(&model, 0);
    if (tsrt_input_bytes(&model, 0) != FRAMES * KWS_FE_MEL || tsrt_output_bytes(&model, 0) != 4) {
        console_printf("kws: model takes %u bytes and gives %u; this app needs int8 [1,49,40,1] -> [1,4]\n",
                       (unsigned)tsrt_input_bytes(&model, 0), (unsigned)tsrt_output_bytes(&model, 0));
        return -1;
    }
    /* The model was trained on the front end's int8 values as floats: q = zp + f / scale. */
    in_mult = (int32_t)(65536.0f / tsrt_tensor_scale(in) + 0.5f);
    in_zp = tsrt_tensor_zero_point(in);
    out_scale = tsrt_tensor_scale(out);
    out_zp = tsrt_tensor_zero_point(out);
    return 0;
}

/* Runs the model on the ring (oldest frame first) and appends its output to the history. */
static int infer(void)
{
    int8_t *q = tsrt_input_data(&model, 0);
    if (in_mult == 65536 && in_zp == 0) {   /* input quantized as the features: copy the ring */
        memcpy(q, feat[head], (size_t)(FRAMES - head) * KWS_FE_MEL);
        memcpy(q + (FRAMES - head) * KWS_FE_MEL, feat[0], (size_t)head * KWS_FE_MEL);
    } else {
        for (int t = 0; t < FRAMES; t++) {
            const int8_t *f = feat[(head + t) % FRAMES];
            for (int m = 0; m < KWS_FE_MEL; m++) {
                int32_t v = in_zp + ((f[m] * in_mult + 32768) >> 16);
                *q++ = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
            }
        }
    }
    if (tsrt_invoke(&model) != 0)
        return -1;
    const int8_t *o = tsrt_output_data(&model, 0);
    int32_t *h = history[n_history++ % AVERAGE];
    for (int c = 0; c < 4; c++)
        h[c] = (int32_t)((float)(o[c] - out_zp) * out_scale * 1000.0f + 0.5f);
    return 0;
}

/* The keyword whose mean probability over the history passes THRESHOLD, or -1. */
static int decide(int32_t *permille)
{
    int n = n_history < AVERAGE ? n_history : AVERAGE, best = 0;
    int32_t mean[4] = {0};
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 4; c++) mean[c] += history[i][c];
    for (int c = 1; c < 4; c++)
        if (mean[c] > mean[best]) best = c;
    *permille = mean[best] / n;
    return best >= 2 && *permille >= THRESHOLD * 10 ? best : -1;
}

int main(void)
{
    board_init();
    if (model_init() != 0)
        return 3;
    for (int t = 0; t < FRAMES; t++)
        for (int m = 0; m < KWS_FE_MEL; m++) feat[t][m] = -128;
    console_printf("kws: listening (yes, no)\n");
    mic_start();
    uint32_t consumed = 0, last_infer = 0, fe_max = 0, inf_max = 0, busy = 0, infers = 0;
    uint32_t quiet = 0, led = 0, reported = 0;
    int last = -1;                   /* the word reported last, while it stays above THRESHOLD */
    for (;;) {
        __asm__ volatile("cpsid i");
        while (consumed == produced) {
            __asm__ volatile("wfi");
            __asm__ volatile("cpsie i");
            __asm__ volatile("cpsid i");
        }
        __asm__ volatile("cpsie i");
        /* the front end first, for every buffer waiting: an inference that took longer than a
         * stride left several */
        while (consumed != produced) {
            uint32_t ready = produced;
            if (ready - consumed >= NBUF) {   /* the oldest waiting buffers were overwritten */
                console_printf("kws: overrun, %u strides dropped\n", (unsigned)(ready - consumed - 1));
                consumed = ready - 1;
            }
            uint32_t c0 = cycles_now();
            stride(pcm[consumed++ % NBUF]);
            uint32_t fe = cycles_now() - c0;
            busy += fe;
            if (fe > fe_max) fe_max = fe;
            if (led && --led == 0)
                led_set(0);
            if (quiet)
                quiet--;
        }
        /* then the model, at most every INFER_EVERY strides (less often if it is slower) */
        if (consumed - last_infer >= INFER_EVERY) {
            last_infer = consumed;
            uint32_t c0 = cycles_now();
            if (infer() != 0) {
                console_printf("kws: inference failed: %s\n", tsrt_error(&model));
                return 3;
            }
            uint32_t inf = cycles_now() - c0;
            busy += inf;
            infers++;
            if (inf > inf_max) inf_max = inf;
            int32_t pm;
            int word = decide(&pm);
            if (word != last)
                last = -1;           /* the word left the window: it may be heard again */
            if (word >= 0 && word != last && !quiet) {
                console_printf("heard: %s (p=%d.%02d)\n", NAMES[word], (int)(pm + 5) / 1000,
                               (int)((pm + 5) % 1000) / 10);
                led_set(1);
                led = LED_STRIDES;
                quiet = REFRACTORY;
                last = word;
            }
        }
        if (!reported && consumed >= 50) {
            reported = 1;
            console_printf("kws: front end %u cycles/stride, load %u%% of %u\n", (unsigned)fe_max,
                           (unsigned)((uint64_t)busy * 100u / ((uint64_t)consumed * BUDGET)),
                           (unsigned)BUDGET);
            console_printf("kws: inference %u cycles, %u in %u strides\n", (unsigned)inf_max,
                           (unsigned)infers, (unsigned)consumed);
        }
    }
}
#endif
