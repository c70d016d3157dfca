/*
 * board_regs.h - FE310-G002 registers and RISC-V CSR helpers used by the
 * hifive1 firmware (subset; offsets from the FE310-G002 manual).
 */
#ifndef BOARD_REGS_H
#define BOARD_REGS_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* ---- CLINT ---- */
#define CLINT_BASE              0x02000000u
#define CLINT_MSIP              REG32(CLINT_BASE + 0x0000u)
#define CLINT_MTIMECMP_LO       REG32(CLINT_BASE + 0x4000u)
#define CLINT_MTIMECMP_HI       REG32(CLINT_BASE + 0x4004u)
#define CLINT_MTIME_LO          REG32(CLINT_BASE + 0xBFF8u)
#define CLINT_MTIME_HI          REG32(CLINT_BASE + 0xBFFCu)
#define CLINT_MTIME_HZ          32768u /* RTC clock */

/* ---- PRCI ---- */
#define PRCI_BASE               0x10008000u
#define PRCI_HFROSCCFG          REG32(PRCI_BASE + 0x00u)
#define PRCI_HFXOSCCFG          REG32(PRCI_BASE + 0x04u)
#define PRCI_PLLCFG             REG32(PRCI_BASE + 0x08u)
#define PRCI_PLLOUTDIV          REG32(PRCI_BASE + 0x0Cu)

#define HFROSCCFG_DIV(x)        ((uint32_t)(x) & 0x3Fu)
#define HFROSCCFG_TRIM(x)       (((uint32_t)(x) & 0x1Fu) << 16)
#define HFROSCCFG_EN            (1u << 30)
#define HFROSCCFG_RDY           (1u << 31)
#define HFXOSCCFG_EN            (1u << 30)
#define HFXOSCCFG_RDY           (1u << 31)
#define PLLCFG_R(x)             ((uint32_t)(x) & 0x7u)          /* refr = ref / (R+1)    */
#define PLLCFG_F(x)             (((uint32_t)(x) & 0x3Fu) << 4)  /* vco = refr * 2(F+1)   */
#define PLLCFG_Q(x)             (((uint32_t)(x) & 0x3u) << 10)  /* out = vco / 2^Q       */
#define PLLCFG_SEL              (1u << 16) /* hfclk = PLL output (else HFROSC) */
#define PLLCFG_REFSEL           (1u << 17) /* PLL reference = HFXOSC (else HFROSC) */
#define PLLCFG_BYPASS           (1u << 18)
#define PLLCFG_LOCK             (1u << 31)
#define PLLOUTDIV_DIV(x)        ((uint32_t)(x) & 0x3Fu)
#define PLLOUTDIV_DIV_BY_1      (1u << 8)

/* ---- GPIO ---- */
#define GPIO_BASE               0x10012000u
#define GPIO_INPUT_VAL          REG32(GPIO_BASE + 0x00u)
#define GPIO_INPUT_EN           REG32(GPIO_BASE + 0x04u)
#define GPIO_OUTPUT_EN          REG32(GPIO_BASE + 0x08u)
#define GPIO_OUTPUT_VAL         REG32(GPIO_BASE + 0x0Cu)
#define GPIO_IOF_EN             REG32(GPIO_BASE + 0x38u)
#define GPIO_IOF_SEL            REG32(GPIO_BASE + 0x3Cu)
#define GPIO_OUT_XOR            REG32(GPIO_BASE + 0x40u)

#define PIN_LED_RED             22u /* active low */
#define PIN_LED_GREEN           19u /* active low */
#define PIN_LED_BLUE            21u /* active low */
#define PIN_UART0_RX            16u /* IOF0 */
#define PIN_UART0_TX            17u /* IOF0 */

/* ---- UART0 ---- */
#define UART0_BASE              0x10013000u
#define UART0_TXDATA            REG32(UART0_BASE + 0x00u)
#define UART0_RXDATA            REG32(UART0_BASE + 0x04u)
#define UART0_TXCTRL            REG32(UART0_BASE + 0x08u)
#define UART0_RXCTRL            REG32(UART0_BASE + 0x0Cu)
#define UART0_IE                REG32(UART0_BASE + 0x10u)
#define UART0_IP                REG32(UART0_BASE + 0x14u)
#define UART0_DIV               REG32(UART0_BASE + 0x18u)
#define UART_TXDATA_FULL        (1u << 31)
#define UART_RXDATA_EMPTY       (1u << 31)
#define UART_TXCTRL_TXEN        (1u << 0)
#define UART_RXCTRL_RXEN        (1u << 0)

/* Optional QSPI0 (XIP flash controller); only touched with
 * -DHIFIVE1_SET_QSPI_SCKDIV, see board.c. */
#define QSPI0_SCKDIV            REG32(0x10014000u)

/* ---- CSRs ---- */
#define MSTATUS_MIE             (1u << 3)
#define MIE_MTIE                (1u << 7)
#define MCAUSE_INTERRUPT        (1u << 31)
#define MCAUSE_MTI              (MCAUSE_INTERRUPT | 7u)

#define csr_read(csr)                                                          \
    ({                                                                         \
        uint32_t __v;                                                          \
        __asm__ volatile("csrr %0, " #csr : "=r"(__v)::"memory");              \
        __v;                                                                   \
    })
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" ::"rK"((uint32_t)(val)) : "memory")
#define csr_set(csr, bits)  __asm__ volatile("csrs " #csr ", %0" ::"rK"((uint32_t)(bits)) : "memory")
#define csr_clear(csr, bits) __asm__ volatile("csrc " #csr ", %0" ::"rK"((uint32_t)(bits)) : "memory")

static inline uint64_t clint_mtime(void)
{
    uint32_t hi, lo;
    do {
        hi = CLINT_MTIME_HI;
        lo = CLINT_MTIME_LO;
    } while (hi != CLINT_MTIME_HI);
    return ((uint64_t)hi << 32) | lo;
}

/* Glitch-free 64-bit mtimecmp update (never transiently below the target). */
static inline void clint_set_mtimecmp(uint64_t t)
{
    CLINT_MTIMECMP_HI = 0xFFFFFFFFu;
    CLINT_MTIMECMP_LO = (uint32_t)t;
    CLINT_MTIMECMP_HI = (uint32_t)(t >> 32);
}

#endif /* BOARD_REGS_H */
