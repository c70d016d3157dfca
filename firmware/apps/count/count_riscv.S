/*
 * count_riscv.S - hifive1 instruction-count calibration program.
 *
 * Linked with the board's linker script (entry _start at 0x20010000, the
 * reset address) but WITHOUT the C startup (no start.S: no gp/sp/mtvec
 * setup, no .data copy). Assembled with .option norvc (every instruction is
 * 4 bytes, so the semihosting sequence is naturally 4-byte aligned: no
 * padding nop) and .option norelax (la stays auipc+addi).
 *
 * Instructions executed from reset (0x20010000) up to and including the
 * EBREAK:
 *
 *      1   li    t0, 1000           (addi t0, zero, 1000)
 *   2000   1000 iterations of { addi t0, t0, -1 ; bnez t0, 1b }
 *          (bnez is taken 999 times and falls through once; both count)
 *      1   li    a0, 0x20           (addi a0, zero, 32)  SYS_EXIT_EXTENDED
 *      2   la    a1, exit_block     (auipc a1, ... ; addi a1, a1, ...)
 *      1   slli  x0, x0, 0x1f       semihosting entry marker
 *      1   ebreak                   semihosting call: exit code 0
 *   ----
 *   2006   instructions  (= 2*N + 6 with N = 1000)
 *
 * (The trailing srai x0, x0, 7 marker is not executed.)
 * Expected result: exit code 0, no output.
 */
    .option norvc
    .option norelax

    .section .text.start, "ax", @progbits
    .globl  _start
    .type   _start, @function
_start:
    li      t0, 1000
1:  addi    t0, t0, -1
    bnez    t0, 1b
    li      a0, 0x20
    la      a1, exit_block
    .balign 4
    slli    x0, x0, 0x1f
    ebreak
    srai    x0, x0, 7
2:  j       2b                  /* not reached with a semihosting host */

    .balign 4
exit_block:
    .word   0x20026             /* ADP_Stopped_ApplicationExit */
    .word   0                   /* exit code */
    .size   _start, . - _start
