/*
 * board_regs.h - nRF52840 / Cortex-M4 registers used by the nano33ble
 * firmware (subset; offsets from the nRF52840 Product Specification and the
 * ARMv7-M Architecture Reference Manual).
 */
#ifndef BOARD_REGS_H
#define BOARD_REGS_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* ---- CLOCK ---- */
#define CLOCK_BASE                 0x40000000u
#define CLOCK_TASKS_HFCLKSTART     REG32(CLOCK_BASE + 0x000u)
#define CLOCK_TASKS_HFCLKSTOP      REG32(CLOCK_BASE + 0x004u)
#define CLOCK_EVENTS_HFCLKSTARTED  REG32(CLOCK_BASE + 0x100u)
#define CLOCK_HFCLKSTAT            REG32(CLOCK_BASE + 0x40Cu)
#define CLOCK_HFCLKSTAT_SRC_XTAL   (1u << 0)
#define CLOCK_HFCLKSTAT_RUNNING    (1u << 16)

/* ---- UARTE0 ---- */
#define UARTE0_BASE                0x40002000u
#define UARTE0_TASKS_STARTTX       REG32(UARTE0_BASE + 0x008u)
#define UARTE0_TASKS_STOPTX        REG32(UARTE0_BASE + 0x00Cu)
#define UARTE0_EVENTS_ENDTX        REG32(UARTE0_BASE + 0x120u)
#define UARTE0_EVENTS_TXSTOPPED    REG32(UARTE0_BASE + 0x158u)
#define UARTE0_ENABLE              REG32(UARTE0_BASE + 0x500u)
#define UARTE0_PSEL_TXD            REG32(UARTE0_BASE + 0x50Cu)
#define UARTE0_PSEL_RXD            REG32(UARTE0_BASE + 0x514u)
#define UARTE0_BAUDRATE            REG32(UARTE0_BASE + 0x524u)
#define UARTE0_TXD_PTR             REG32(UARTE0_BASE + 0x544u)
#define UARTE0_TXD_MAXCNT          REG32(UARTE0_BASE + 0x548u)
#define UARTE0_TXD_AMOUNT          REG32(UARTE0_BASE + 0x54Cu)
#define UARTE0_CONFIG              REG32(UARTE0_BASE + 0x56Cu)
#define UARTE_ENABLE_ENABLED       8u
#define UARTE_BAUDRATE_115200      0x01D7E000u

/* ---- GPIO ---- */
#define GPIO_P0_BASE               0x50000000u
#define GPIO_P1_BASE               0x50000300u
#define GPIO_OUT(p)                REG32((p) + 0x504u)
#define GPIO_OUTSET(p)             REG32((p) + 0x508u)
#define GPIO_OUTCLR(p)             REG32((p) + 0x50Cu)
#define GPIO_IN(p)                 REG32((p) + 0x510u)
#define GPIO_DIR(p)                REG32((p) + 0x514u)
#define GPIO_DIRSET(p)             REG32((p) + 0x518u)
#define GPIO_DIRCLR(p)             REG32((p) + 0x51Cu)
#define GPIO_PIN_CNF(p, n)         REG32((p) + 0x700u + 4u * (n))
#define GPIO_PIN_CNF_DIR_OUTPUT    (1u << 0)
#define GPIO_PIN_CNF_INPUT_DISCONNECT (1u << 1)

/* Arduino Nano 33 BLE (Sense) pins */
#define PIN_LED_BUILTIN            13u /* P0.13, active high */
#define PIN_LED_RED                24u /* P0.24, active low */
#define PIN_LED_GREEN              16u /* P0.16, active low */
#define PIN_LED_BLUE               6u  /* P0.06, active low */
#define PIN_UART_TX                3u  /* P1.03 */
#define PIN_UART_RX                10u /* P1.10 */
#define PSEL_UART_TX               (32u + PIN_UART_TX)
#define PSEL_UART_RX               (32u + PIN_UART_RX)

/* ---- SysTick ---- */
#define SYST_CSR                   REG32(0xE000E010u)
#define SYST_RVR                   REG32(0xE000E014u)
#define SYST_CVR                   REG32(0xE000E018u)
#define SYST_CALIB                 REG32(0xE000E01Cu)
#define SYST_CSR_ENABLE            (1u << 0)
#define SYST_CSR_TICKINT           (1u << 1)
#define SYST_CSR_CLKSOURCE         (1u << 2)
#define SYST_CSR_COUNTFLAG         (1u << 16)

/* ---- NVIC ---- */
#define NVIC_ISER(n)               REG32(0xE000E100u + 4u * (n))
#define NVIC_ICER(n)               REG32(0xE000E180u + 4u * (n))

/* ---- SCB ---- */
#define SCB_ICSR                   REG32(0xE000ED04u)
#define SCB_VTOR                   REG32(0xE000ED08u)
#define SCB_AIRCR                  REG32(0xE000ED0Cu)
#define SCB_SCR                    REG32(0xE000ED10u)
#define SCB_CCR                    REG32(0xE000ED14u)
#define SCB_SHPR1                  REG32(0xE000ED18u)
#define SCB_SHPR2                  REG32(0xE000ED1Cu)
#define SCB_SHPR3                  REG32(0xE000ED20u)
#define SCB_SHCSR                  REG32(0xE000ED24u)
#define SCB_CFSR                   REG32(0xE000ED28u)
#define SCB_HFSR                   REG32(0xE000ED2Cu)
#define SCB_MMFAR                  REG32(0xE000ED34u)
#define SCB_BFAR                   REG32(0xE000ED38u)
#define SCB_CPACR                  REG32(0xE000ED88u)
#define SCB_CCR_UNALIGN_TRP        (1u << 3)
#define SCB_CCR_DIV_0_TRP          (1u << 4)
#define SCB_CPACR_CP10_CP11_FULL   (0xFu << 20)

/* ---- PDM (microphone, EasyDMA) and its NVIC enable ---- */
#define PDM_BASE            0x4001D000u
#define PDM_TASKS_START     REG32(PDM_BASE + 0x000u)
#define PDM_TASKS_STOP      REG32(PDM_BASE + 0x004u)
#define PDM_EVENTS_STARTED  REG32(PDM_BASE + 0x100u)
#define PDM_EVENTS_END      REG32(PDM_BASE + 0x108u)
#define PDM_INTENSET        REG32(PDM_BASE + 0x304u)
#define PDM_ENABLE          REG32(PDM_BASE + 0x500u)
#define PDM_PDMCLKCTRL      REG32(PDM_BASE + 0x504u)
#define PDM_MODE            REG32(PDM_BASE + 0x508u)
#define PDM_RATIO           REG32(PDM_BASE + 0x520u)
#define PDM_PSEL_CLK        REG32(PDM_BASE + 0x540u)
#define PDM_PSEL_DIN        REG32(PDM_BASE + 0x544u)
#define PDM_SAMPLE_PTR      REG32(PDM_BASE + 0x560u)
#define PDM_SAMPLE_MAXCNT   REG32(PDM_BASE + 0x564u)
#define NVIC_ISER0          REG32(0xE000E100u)
#define PDM_IRQN            29

/* ---- DWT ---- */
#define DEMCR                      REG32(0xE000EDFCu)
#define DEMCR_TRCENA               (1u << 24)
#define DWT_CTRL                   REG32(0xE0001000u)
#define DWT_CTRL_CYCCNTENA         (1u << 0)
#define DWT_CYCCNT                 REG32(0xE0001004u)

static inline void cpu_dsb(void) { __asm__ volatile("dsb" ::: "memory"); }
static inline void cpu_isb(void) { __asm__ volatile("isb" ::: "memory"); }

#endif /* BOARD_REGS_H */
