/*
 * spin_irq - main waits for timer interrupts in a branch-to-itself loop (no WFI).
 *
 * The engine does not emulate such a loop instruction by instruction: it lets virtual time
 * pass to the next event and counts the iterations that would have run. The test runs this
 * app with and without that shortcut and requires the same instructions and cycles.
 *
 * nano33ble: SysTick every 100 us (LOAD = 6399 at 64 MHz); hifive1: CLINT every 3 ticks of
 * mtime (~92 us). The handler counts; on the 5th tick it prints and exits with the count.
 *
 * UART output:
 *   spin_irq: spinning until 5 ticks
 *   ticks=5
 * Exit code 5.
 */
#include "tinysim.h"
#include "board_regs.h"

#define TARGET_TICKS 5u

static volatile uint32_t ticks;

static void tick(void)
{
    uint32_t t = ticks + 1u;
    ticks = t;
    if (t >= TARGET_TICKS) {
        console_printf("ticks=%u\n", (unsigned)t);
        semihost_exit((int)t);
    }
}

#if defined(BOARD_NANO33BLE)

void SysTick_Handler(void);
void SysTick_Handler(void) { tick(); }

static void timer_start(void)
{
    SYST_CSR = 0;
    SYST_RVR = 6399u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

#define SPIN() __asm__ volatile("1: b 1b")

#elif defined(BOARD_HIFIVE1)

void mtimer_handler(void);
void mtimer_handler(void)
{
    clint_set_mtimecmp(clint_mtime() + 3u);
    tick();
}

static void timer_start(void)
{
    clint_set_mtimecmp(clint_mtime() + 3u);
    csr_set(mie, MIE_MTIE);
    csr_set(mstatus, MSTATUS_MIE);
}

#define SPIN() __asm__ volatile("1: j 1b")

#endif

int main(void)
{
    board_init();
    console_printf("spin_irq: spinning until %u ticks\n", (unsigned)TARGET_TICKS);
    timer_start();
    for (;;)
        SPIN();
}
