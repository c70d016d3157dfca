/*
 * vectors.c - nano33ble (nRF52840) vector table and weak default handlers.
 *
 * The table is placed at flash address 0 (.isr_vector): initial SP
 * (__stack_top), Reset_Handler, the 14 Cortex-M4 system exception slots and
 * the 48 nRF52840 peripheral IRQs. Every handler except Reset_Handler is a
 * weak alias of Default_Handler, which spins forever ("b ."); an application
 * overrides one just by defining a function with the same name
 * (e.g. void SysTick_Handler(void)).
 *
 * Reset_Handler lives in startup.c (C runtime start); the assembly "count"
 * app links this file with its own Reset_Handler instead.
 */
#include "tinysim.h"

typedef void (*vector_t)(void);

void Reset_Handler(void);
void Default_Handler(void);

__attribute__((naked)) void Default_Handler(void)
{
    __asm__ volatile("b ."); /* faults and unexpected IRQs stop here */
}

#define WEAK_DEFAULT __attribute__((weak, alias("Default_Handler")))

/* Cortex-M4 system exceptions */
void NMI_Handler(void) WEAK_DEFAULT;
void HardFault_Handler(void) WEAK_DEFAULT;
void MemManage_Handler(void) WEAK_DEFAULT;
void BusFault_Handler(void) WEAK_DEFAULT;
void UsageFault_Handler(void) WEAK_DEFAULT;
void SVC_Handler(void) WEAK_DEFAULT;
void DebugMon_Handler(void) WEAK_DEFAULT;
void PendSV_Handler(void) WEAK_DEFAULT;
void SysTick_Handler(void) WEAK_DEFAULT;

/* nRF52840 peripheral interrupts (IRQn 0..47) */
void POWER_CLOCK_IRQHandler(void) WEAK_DEFAULT;
void RADIO_IRQHandler(void) WEAK_DEFAULT;
void UARTE0_UART0_IRQHandler(void) WEAK_DEFAULT;
void SPIM0_SPIS0_TWIM0_TWIS0_SPI0_TWI0_IRQHandler(void) WEAK_DEFAULT;
void SPIM1_SPIS1_TWIM1_TWIS1_SPI1_TWI1_IRQHandler(void) WEAK_DEFAULT;
void NFCT_IRQHandler(void) WEAK_DEFAULT;
void GPIOTE_IRQHandler(void) WEAK_DEFAULT;
void SAADC_IRQHandler(void) WEAK_DEFAULT;
void TIMER0_IRQHandler(void) WEAK_DEFAULT;
void TIMER1_IRQHandler(void) WEAK_DEFAULT;
void TIMER2_IRQHandler(void) WEAK_DEFAULT;
void RTC0_IRQHandler(void) WEAK_DEFAULT;
void TEMP_IRQHandler(void) WEAK_DEFAULT;
void RNG_IRQHandler(void) WEAK_DEFAULT;
void ECB_IRQHandler(void) WEAK_DEFAULT;
void CCM_AAR_IRQHandler(void) WEAK_DEFAULT;
void WDT_IRQHandler(void) WEAK_DEFAULT;
void RTC1_IRQHandler(void) WEAK_DEFAULT;
void QDEC_IRQHandler(void) WEAK_DEFAULT;
void COMP_LPCOMP_IRQHandler(void) WEAK_DEFAULT;
void SWI0_EGU0_IRQHandler(void) WEAK_DEFAULT;
void SWI1_EGU1_IRQHandler(void) WEAK_DEFAULT;
void SWI2_EGU2_IRQHandler(void) WEAK_DEFAULT;
void SWI3_EGU3_IRQHandler(void) WEAK_DEFAULT;
void SWI4_EGU4_IRQHandler(void) WEAK_DEFAULT;
void SWI5_EGU5_IRQHandler(void) WEAK_DEFAULT;
void TIMER3_IRQHandler(void) WEAK_DEFAULT;
void TIMER4_IRQHandler(void) WEAK_DEFAULT;
void PWM0_IRQHandler(void) WEAK_DEFAULT;
void PDM_IRQHandler(void) WEAK_DEFAULT;
void MWU_IRQHandler(void) WEAK_DEFAULT;
void PWM1_IRQHandler(void) WEAK_DEFAULT;
void PWM2_IRQHandler(void) WEAK_DEFAULT;
void SPIM2_SPIS2_SPI2_IRQHandler(void) WEAK_DEFAULT;
void RTC2_IRQHandler(void) WEAK_DEFAULT;
void I2S_IRQHandler(void) WEAK_DEFAULT;
void FPU_IRQHandler(void) WEAK_DEFAULT;
void USBD_IRQHandler(void) WEAK_DEFAULT;
void UARTE1_IRQHandler(void) WEAK_DEFAULT;
void QSPI_IRQHandler(void) WEAK_DEFAULT;
void CRYPTOCELL_IRQHandler(void) WEAK_DEFAULT;
void PWM3_IRQHandler(void) WEAK_DEFAULT;
void SPIM3_IRQHandler(void) WEAK_DEFAULT;

#define RESERVED 0

__attribute__((section(".isr_vector"), used))
const vector_t __isr_vector[16 + 48] = {
    /* 0x00 */ (vector_t)(uintptr_t)__stack_top,
    /* 0x04 */ Reset_Handler,
    /* 0x08 */ NMI_Handler,
    /* 0x0C */ HardFault_Handler,
    /* 0x10 */ MemManage_Handler,
    /* 0x14 */ BusFault_Handler,
    /* 0x18 */ UsageFault_Handler,
    /* 0x1C */ RESERVED,
    /* 0x20 */ RESERVED,
    /* 0x24 */ RESERVED,
    /* 0x28 */ RESERVED,
    /* 0x2C */ SVC_Handler,
    /* 0x30 */ DebugMon_Handler,
    /* 0x34 */ RESERVED,
    /* 0x38 */ PendSV_Handler,
    /* 0x3C */ SysTick_Handler,

    /* IRQ 0  */ POWER_CLOCK_IRQHandler,
    /* IRQ 1  */ RADIO_IRQHandler,
    /* IRQ 2  */ UARTE0_UART0_IRQHandler,
    /* IRQ 3  */ SPIM0_SPIS0_TWIM0_TWIS0_SPI0_TWI0_IRQHandler,
    /* IRQ 4  */ SPIM1_SPIS1_TWIM1_TWIS1_SPI1_TWI1_IRQHandler,
    /* IRQ 5  */ NFCT_IRQHandler,
    /* IRQ 6  */ GPIOTE_IRQHandler,
    /* IRQ 7  */ SAADC_IRQHandler,
    /* IRQ 8  */ TIMER0_IRQHandler,
    /* IRQ 9  */ TIMER1_IRQHandler,
    /* IRQ 10 */ TIMER2_IRQHandler,
    /* IRQ 11 */ RTC0_IRQHandler,
    /* IRQ 12 */ TEMP_IRQHandler,
    /* IRQ 13 */ RNG_IRQHandler,
    /* IRQ 14 */ ECB_IRQHandler,
    /* IRQ 15 */ CCM_AAR_IRQHandler,
    /* IRQ 16 */ WDT_IRQHandler,
    /* IRQ 17 */ RTC1_IRQHandler,
    /* IRQ 18 */ QDEC_IRQHandler,
    /* IRQ 19 */ COMP_LPCOMP_IRQHandler,
    /* IRQ 20 */ SWI0_EGU0_IRQHandler,
    /* IRQ 21 */ SWI1_EGU1_IRQHandler,
    /* IRQ 22 */ SWI2_EGU2_IRQHandler,
    /* IRQ 23 */ SWI3_EGU3_IRQHandler,
    /* IRQ 24 */ SWI4_EGU4_IRQHandler,
    /* IRQ 25 */ SWI5_EGU5_IRQHandler,
    /* IRQ 26 */ TIMER3_IRQHandler,
    /* IRQ 27 */ TIMER4_IRQHandler,
    /* IRQ 28 */ PWM0_IRQHandler,
    /* IRQ 29 */ PDM_IRQHandler,
    /* IRQ 30 */ RESERVED,
    /* IRQ 31 */ RESERVED,
    /* IRQ 32 */ MWU_IRQHandler,
    /* IRQ 33 */ PWM1_IRQHandler,
    /* IRQ 34 */ PWM2_IRQHandler,
    /* IRQ 35 */ SPIM2_SPIS2_SPI2_IRQHandler,
    /* IRQ 36 */ RTC2_IRQHandler,
    /* IRQ 37 */ I2S_IRQHandler,
    /* IRQ 38 */ FPU_IRQHandler,
    /* IRQ 39 */ USBD_IRQHandler,
    /* IRQ 40 */ UARTE1_IRQHandler,
    /* IRQ 41 */ QSPI_IRQHandler,
    /* IRQ 42 */ CRYPTOCELL_IRQHandler,
    /* IRQ 43 */ RESERVED,
    /* IRQ 44 */ RESERVED,
    /* IRQ 45 */ PWM3_IRQHandler,
    /* IRQ 46 */ RESERVED,
    /* IRQ 47 */ SPIM3_IRQHandler,
};
