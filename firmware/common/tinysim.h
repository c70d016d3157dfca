/*
 * tinysim.h - common firmware API for the tinysim boards.
 *
 * Freestanding: only the compiler's own <stdint.h>/<stddef.h>/<stdarg.h>.
 * The Makefile defines exactly one of BOARD_NANO33BLE / BOARD_HIFIVE1.
 */
#ifndef TINYSIM_H
#define TINYSIM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ board */
#if defined(BOARD_NANO33BLE)
#define BOARD_NAME      "nano33ble"
#define BOARD_CORE_NAME "Arm Cortex-M4F"
#define BOARD_SOC_NAME  "Nordic nRF52840"
#define BOARD_CPU_HZ    64000000u
#elif defined(BOARD_HIFIVE1)
#define BOARD_NAME      "hifive1"
#define BOARD_CORE_NAME "SiFive E31 (RV32IMAC)"
#define BOARD_SOC_NAME  "SiFive FE310-G002"
#define BOARD_CPU_HZ    320000000u
#else
#error "define BOARD_NANO33BLE or BOARD_HIFIVE1 (the Makefile does this)"
#endif

/* Clocks (nano33ble: HFXO; hifive1: HFXOSC -> PLL 320 MHz), console UART
 * at 115200 8N1, LED pin as output and off. */
void board_init(void);

/* LED_BUILTIN: nano33ble orange LED P0.13 (active high);
 * hifive1 red LED GPIO22 (active low). on != 0 lights it. */
void led_set(int on);

/* Busy-wait for roughly n loop iterations (no timer involved). */
void delay_loops(uint32_t n);

/* ------------------------------------------------------------- sensor bus
 * nano33ble: TWIM0 on the internal I2C bus (LSM9DS1 at 0x6B), 400 kHz;
 * hifive1: I2C0 (an ADXL345 at 0x53 on the header), 400 kHz (fast mode: the ADXL345
 *          data sheet limits 100 kHz I2C to output data rates of 200 Hz).
 * i2c_read writes the register address, then reads n bytes (the device's
 * auto-increment applies). Both return 0, or -1 when the device does not ACK. */
void i2c_init(void);
int i2c_read(uint8_t addr, uint8_t reg, uint8_t *buf, unsigned n);
int i2c_write(uint8_t addr, uint8_t reg, uint8_t value);

/* ----------------------------------------------------------------- ticker
 * A periodic timer interrupt (nano33ble SysTick, hifive1 CLINT) so an app can sleep in WFI
 * between ticks. boards/<board>/ticker.c, linked only into the apps that use it. */
void ticker_start(uint32_t period_ms);
uint32_t ticker_ms(void);              /* milliseconds of ticks since ticker_start */

/* ---------------------------------------------------------------- console
 * UART console (nano33ble: UARTE0 EasyDMA on P1.03; hifive1: UART0 on
 * GPIO16/17). board_init() must have run. No newline translation: "\n" is
 * sent as a single LF byte. console_puts() does NOT append a newline. */
void console_write(const char *buf, size_t len); /* board specific */
void console_putc(char c);
void console_puts(const char *s);
int console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ------------------------------------------------------------- formatter
 * Tiny printf subset: %d %i %u %x %X %p %s %c %%, flags '-' and '0', a
 * decimal field width, length modifiers h/l/z (32-bit) and ll (64-bit). */
typedef void (*fmt_out_fn)(char c, void *ctx);
int fmt_vformat(fmt_out_fn out, void *ctx, const char *fmt, va_list ap);
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --------------------------------------------------------------- counters
 * cycles_now(): nano33ble enables the DWT on the first call (DEMCR.TRCENA,
 * DWT_CTRL.CYCCNTENA; CYCCNT is not reset) and returns DWT_CYCCNT;
 * hifive1 returns mcycle (low 32 bits).
 * instret_now(): hifive1 minstret (low 32 bits); nano33ble always 0. */
uint32_t cycles_now(void);
uint32_t instret_now(void);

/* ------------------------------------------------------------ semihosting */
#define SYS_WRITEC                  0x03u
#define SYS_WRITE0                  0x04u
#define SYS_WRITE                   0x05u
#define SYS_EXIT                    0x18u
#define SYS_EXIT_EXTENDED           0x20u
#define ADP_Stopped_ApplicationExit 0x20026u

/* Raw call: ARM "bkpt 0xAB" (r0 = op, r1 = arg), RISC-V
 * "slli x0,x0,0x1f; ebreak; srai x0,x0,7" (a0 = op, a1 = arg). */
uintptr_t semihost_call(uint32_t op, uintptr_t arg);
void semihost_writec(char c);
void semihost_write0(const char *s);
int semihost_write(int fd, const void *buf, size_t len); /* bytes NOT written */
/* SYS_EXIT_EXTENDED {ADP_Stopped_ApplicationExit, code}. */
void semihost_exit(int code) __attribute__((noreturn));
/* SYS_EXIT with a plain reason code (0x20026 means exit status 0). */
void semihost_exit_reason(uint32_t reason) __attribute__((noreturn));

/* ------------------------------------------------------- libc replacements */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* ------------------------------------------------------- linker symbols */
extern char __stack_bottom[], __stack_top[];
extern char __data_start__[], __data_end__[], __data_load__[];
extern char __bss_start__[], __bss_end__[];
extern char __heap_start__[], __heap_end__[];
extern char __flash_start__[], __flash_end__[];

/* ------------------------------------------------------------ CPU helpers */
#if defined(__arm__)
static inline void cpu_irq_enable(void) { __asm__ volatile("cpsie i" ::: "memory"); }
static inline void cpu_irq_disable(void) { __asm__ volatile("cpsid i" ::: "memory"); }
static inline void cpu_wfi(void) { __asm__ volatile("wfi" ::: "memory"); }
#elif defined(__riscv)
static inline void cpu_irq_enable(void) { __asm__ volatile("csrsi mstatus, 8" ::: "memory"); }
static inline void cpu_irq_disable(void) { __asm__ volatile("csrci mstatus, 8" ::: "memory"); }
static inline void cpu_wfi(void) { __asm__ volatile("wfi" ::: "memory"); }
#endif

int main(void);

#endif /* TINYSIM_H */
