/*
 * tmb_rules - one microbenchmark per timing rule, counted by the firmware itself
 * (nano33ble: DWT CYCCNT; hifive1: mcycle).
 *
 * Each kernel reads the counter, runs a few instructions that exercise one rule, reads the
 * counter again and returns the difference. A counter read returns the count before the
 * reading instruction, so a delta covers the first read itself and the kernel:
 *   nano33ble: nop ; ldr c0,[CYCCNT] ; nop ; <kernel> ; ldr c1,[CYCCNT]   overhead 2 + 1
 *              (the nops keep the reads out of the kernel's load pipelining and AGU stalls)
 *   hifive1:   csrr c0,mcycle ; <kernel> ; csrr c1,mcycle                 overhead 1
 * Every kernel runs twice; the second (warm: caches and branch predictor trained) is printed.
 * tests/test_timing_rules.py derives the expected figures from the cores' manuals.
 *
 * UART output, one line per kernel:  tmb <name> cycles=<delta>
 * Exit code 0.
 */
#include "tinysim.h"
#include "board_regs.h"

static volatile uint32_t buf[8];

#if defined(BOARD_NANO33BLE)

#define MEASURE(body, ...)                                                           \
    uint32_t c0, c1;                                                                 \
    __asm__ volatile("nop\n\t"                                                       \
                     "ldr %[c0], [%[cyc]]\n\t"                                       \
                     "nop\n\t" body "ldr %[c1], [%[cyc]]\n\t"                        \
                     : [c0] "=&l"(c0), [c1] "=&l"(c1)                                \
                     : [cyc] "l"(&DWT_CYCCNT), [buf] "l"(buf)                        \
                     : "r0", "r2", "r3", "cc", "memory", ##__VA_ARGS__);             \
    return c1 - c0;

__asm__(".text\n\t.thumb\n\t.align 2\n\t.thumb_func\n\t.type tmb_leaf, %function\n"
        "tmb_leaf:\n\tbx lr\n\t");

static uint32_t k_loop_taken(void) { MEASURE("movs r0, #100\n1:\n\tsubs r0, r0, #1\n\tbne 1b\n\t") }
static uint32_t k_branch_not_taken(void) { MEASURE("cmp r0, r0\n\tbne 1f\n\tnop\n1:\n\t") }
static uint32_t k_branch_taken(void) { MEASURE("cmp r0, r0\n\tbeq 1f\n\tnop\n1:\n\tnop\n\t") }
static uint32_t k_load_pipelined(void)
{
    MEASURE("ldr r0, [%[buf]]\n\tldr r2, [%[buf], #4]\n\tldr r3, [%[buf], #8]\n\t"
            "ldr r0, [%[buf], #12]\n\tldr r2, [%[buf], #16]\n\tldr r3, [%[buf], #20]\n\t"
            "ldr r0, [%[buf], #24]\n\tldr r2, [%[buf], #28]\n\t")
}
static uint32_t k_load_chase(void)
{
    MEASURE("ldr r0, [%[buf]]\n\tldr r0, [r0]\n\tldr r0, [r0]\n\tldr r0, [r0]\n\t")
}
static uint32_t k_agu_stall(void)
{
    MEASURE("adds r0, %[buf], #0\n\tldr r2, [r0]\n\tadds r0, %[buf], #0\n\tldr r2, [r0]\n\t"
            "adds r0, %[buf], #0\n\tldr r2, [r0]\n\tadds r0, %[buf], #0\n\tldr r2, [r0]\n\t")
}
static uint32_t k_it_fold(void)
{
    MEASURE("cmp r0, r0\n\tit eq\n\tmoveq r2, #1\n\tcmp r0, r0\n\tit eq\n\tmoveq r2, #1\n\t"
            "cmp r0, r0\n\tit eq\n\tmoveq r2, #1\n\tcmp r0, r0\n\tit eq\n\tmoveq r2, #1\n\t")
}
/* push and pop restore r4-r7: nothing clobbered */
static uint32_t k_push_pop(void) { MEASURE("push {r4-r7}\n\tpop {r4-r7}\n\t") }
static uint32_t k_call_ret(void) { MEASURE("bl tmb_leaf\n\tnop\n\t", "lr") }

#elif defined(BOARD_HIFIVE1)

#define MEASURE(body, ...)                                                           \
    uint32_t c0, c1;                                                                 \
    __asm__ volatile("csrr %[c0], mcycle\n\t" body "csrr %[c1], mcycle\n\t"          \
                     : [c0] "=&r"(c0), [c1] "=&r"(c1)                                \
                     : [buf] "r"(buf)                                                \
                     : "t0", "t1", "a0", "a1", "a2", "a3", "memory", ##__VA_ARGS__); \
    return c1 - c0;

__asm__(".text\n\t.align 2\n\t.type tmb_leaf, @function\ntmb_leaf:\n\tret\n\t");

static uint32_t k_loop_taken(void) { MEASURE("li t0, 100\n1:\n\taddi t0, t0, -1\n\tbnez t0, 1b\n\t") }
static uint32_t k_alternating(void)
{
    MEASURE("li t0, 32\n1:\n\tandi t1, t0, 1\n\tbeqz t1, 2f\n\taddi a0, a0, 1\n2:\n\t"
            "addi t0, t0, -1\n\tbnez t0, 1b\n\t")
}
static uint32_t k_load_use(void)
{
    MEASURE("lw a1, 0(%[buf])\n\taddi a1, a1, 1\n\tlw a1, 0(%[buf])\n\taddi a1, a1, 1\n\t"
            "lw a1, 0(%[buf])\n\taddi a1, a1, 1\n\tlw a1, 0(%[buf])\n\taddi a1, a1, 1\n\t")
}
static uint32_t k_load_independent(void)
{
    MEASURE("lw a1, 0(%[buf])\n\taddi a2, a2, 1\n\tlw a1, 0(%[buf])\n\taddi a2, a2, 1\n\t"
            "lw a1, 0(%[buf])\n\taddi a2, a2, 1\n\tlw a1, 0(%[buf])\n\taddi a2, a2, 1\n\t")
}
static uint32_t k_byte_load_use(void)
{
    MEASURE("lbu a1, 0(%[buf])\n\taddi a1, a1, 1\n\tlbu a1, 0(%[buf])\n\taddi a1, a1, 1\n\t"
            "lbu a1, 0(%[buf])\n\taddi a1, a1, 1\n\tlbu a1, 0(%[buf])\n\taddi a1, a1, 1\n\t")
}
static uint32_t k_mul_use(void)
{
    MEASURE("mul a1, a2, a3\n\taddi a1, a1, 1\n\tmul a1, a2, a3\n\taddi a1, a1, 1\n\t")
}
static uint32_t k_call_ret(void) { MEASURE("jal ra, tmb_leaf\n\t", "ra") }

#else
#error "tmb_rules: unknown board"
#endif

static void report(const char *name, uint32_t (*fn)(void))
{
    (void)fn(); /* cold run: fills the caches and trains the predictor */
    console_printf("tmb %s cycles=%u\n", name, (unsigned)fn());
}

int main(void)
{
    board_init();
    (void)cycles_now(); /* nano33ble: the first call enables DWT CYCCNT */
    report("loop_taken", k_loop_taken);
    report("call_ret", k_call_ret);
#if defined(BOARD_NANO33BLE)
    report("branch_not_taken", k_branch_not_taken);
    report("branch_taken", k_branch_taken);
    report("load_pipelined", k_load_pipelined);
    report("load_chase", k_load_chase);
    report("agu_stall", k_agu_stall);
    report("it_fold", k_it_fold);
    report("push_pop", k_push_pop);
#else
    report("alternating", k_alternating);
    report("load_use", k_load_use);
    report("load_independent", k_load_independent);
    report("byte_load_use", k_byte_load_use);
    report("mul_use", k_mul_use);
#endif
    return 0;
}
