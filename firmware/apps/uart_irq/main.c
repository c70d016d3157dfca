/*
 * uart_irq (hifive1) - interrupt-driven UART receive: UART0's rxwm interrupt (RX FIFO holds
 * more than rxctrl.rxcnt = 0 entries) is PLIC source 3 on the FE310-G002 -> machine external
 * interrupt. The core sleeps in WFI; the handler claims the source, drains the RX FIFO into a
 * line buffer and completes. When a line ('\n') has arrived, main echoes it:
 *   uart_irq: waiting for a line
 *   uart_irq: echo "<line>" after <n> interrupt(s)
 * Exit code 0.
 */
#include "tinysim.h"
#include "board_regs.h"

#define PLIC_BASE        0x0C000000u
#define PLIC_PRIORITY(s) REG32(PLIC_BASE + 4u * (s))
#define PLIC_ENABLE0     REG32(PLIC_BASE + 0x2000u)
#define PLIC_THRESHOLD   REG32(PLIC_BASE + 0x200000u)
#define PLIC_CLAIM       REG32(PLIC_BASE + 0x200004u)
#define UART0_SOURCE     3u
#define UART_IE_RXWM     (1u << 1)
#define RXDATA_EMPTY     (1u << 31)

static char line[32];
static volatile unsigned len;
static volatile int done, interrupts;

void external_handler(void);
void external_handler(void)
{
    uint32_t src = PLIC_CLAIM;
    if (src == UART0_SOURCE) {
        interrupts++;
        for (;;) {
            uint32_t d = UART0_RXDATA;           /* reading pops the FIFO: rxwm drops when empty */
            if (d & RXDATA_EMPTY)
                break;
            if ((char)d == '\n')
                done = 1;
            else if (len < sizeof line - 1)
                line[len++] = (char)d;
        }
    }
    PLIC_CLAIM = src;                            /* complete */
}

int main(void)
{
    board_init();                                /* rxctrl: rxen, rxcnt 0 */
    PLIC_PRIORITY(UART0_SOURCE) = 1;
    PLIC_ENABLE0 = 1u << UART0_SOURCE;
    PLIC_THRESHOLD = 0;
    UART0_IE = UART_IE_RXWM;
    console_printf("uart_irq: waiting for a line\n");
    csr_set(mie, 1u << 11);                      /* MEIE */
    /* Check and sleep with interrupts masked, so a line that completes between the check and
     * WFI is not slept through: WFI wakes on a pending enabled interrupt even with MIE clear,
     * and the handler runs once MIE is set. */
    while (!done) {
        __asm__ volatile("wfi");
        csr_set(mstatus, MSTATUS_MIE);
        csr_clear(mstatus, MSTATUS_MIE);
    }
    line[len] = '\0';
    console_printf("uart_irq: echo \"%s\" after %d interrupt(s)\n", line, interrupts);
    return 0;
}
