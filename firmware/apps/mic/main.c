/*
 * mic (nano33ble) - records MIC_BUFFERS buffers of 256 16-bit PCM samples at 16 kHz from the
 * PDM microphone (EasyDMA, double-buffered, END interrupt), sleeping in WFI between buffers,
 * and prints each buffer's mean absolute level and peak. Exit code 0.
 */
#include "tinysim.h"
#include "board_regs.h"

#ifndef MIC_BUFFERS
#define MIC_BUFFERS 8
#endif
#define N 256

static int16_t buf[2][N];
static volatile int done = -1;     /* index of the buffer that just filled */
static int filling;

void PDM_IRQHandler(void);
void PDM_IRQHandler(void)
{
    /* END (a buffer filled) and STARTED (the next one was latched) arrive together at a
     * buffer switch: account for END first, then queue the buffer after the one latched. */
    if (PDM_EVENTS_END) {
        PDM_EVENTS_END = 0;
        done = filling;
        filling ^= 1;
    }
    if (PDM_EVENTS_STARTED) {
        PDM_EVENTS_STARTED = 0;
        PDM_SAMPLE_PTR = (uint32_t)(uintptr_t)buf[filling ^ 1];
    }
}

int main(void)
{
    board_init();
    PDM_PSEL_CLK = 26;              /* P0.26: PDM clock on the Nano 33 BLE Sense */
    PDM_PSEL_DIN = 25;              /* P0.25: PDM data */
    PDM_PDMCLKCTRL = 0x0A000000u;   /* 1.280 MHz */
    PDM_RATIO = 1;                  /* /80 -> 16 kHz */
    PDM_MODE = 1;                   /* mono, left on rising edge */
    PDM_SAMPLE_PTR = (uint32_t)(uintptr_t)buf[0];
    PDM_SAMPLE_MAXCNT = N;
    PDM_INTENSET = (1u << 0) | (1u << 2);   /* STARTED, END */
    NVIC_ISER0 = 1u << PDM_IRQN;
    PDM_ENABLE = 1;
    PDM_TASKS_START = 1;
    console_printf("mic: 16 kHz mono, %d-sample buffers\n", N);

    for (int n = 0; n < MIC_BUFFERS; n++) {
        __asm__ volatile("cpsid i");
        while (done < 0) {
            __asm__ volatile("wfi");     /* wakes on the pending PDM interrupt */
            __asm__ volatile("cpsie i");
            __asm__ volatile("cpsid i");
        }
        int b = done;
        done = -1;
        __asm__ volatile("cpsie i");
        uint32_t sum = 0;
        int peak = 0;
        for (int i = 0; i < N; i++) {
            int v = buf[b][i] < 0 ? -buf[b][i] : buf[b][i];
            sum += (uint32_t)v;
            if (v > peak) peak = v;
        }
        console_printf("mic: %d level=%u peak=%d\n", n, (unsigned)(sum / N), peak);
    }
    PDM_TASKS_STOP = 1;
    return 0;
}
