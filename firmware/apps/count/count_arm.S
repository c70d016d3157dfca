/*
 * count_arm.S - nano33ble instruction-count calibration program.
 *
 * Linked with the board's vector table (boards/nano33ble/vectors.c) and
 * linker script, but WITHOUT the C startup: this file provides
 * Reset_Handler itself. Nothing else runs (no .data copy, no FPU enable).
 *
 * Instructions executed from reset (the first instruction of Reset_Handler,
 * i.e. the address in vector 1) up to and including the BKPT:
 *
 *      1   movw  r0, #1000
 *   2000   1000 iterations of { subs r0, r0, #1 ; bne 1b }
 *          (bne is taken 999 times and falls through once; both count)
 *      1   movs  r0, #0x20            SYS_EXIT_EXTENDED
 *      1   adr   r1, exit_block       -> {0x20026, 0}
 *      1   bkpt  0xab                 semihosting call: exit code 0
 *   ----
 *   2004   instructions  (= 2*N + 4 with N = 1000)
 *
 * Expected result: exit code 0, no output.
 */
    .syntax unified
    .cpu    cortex-m4
    .thumb

    .section .text.Reset_Handler, "ax", %progbits
    .global Reset_Handler
    .type   Reset_Handler, %function
    .thumb_func
Reset_Handler:
    movw    r0, #1000
1:  subs    r0, r0, #1
    bne     1b
    movs    r0, #0x20
    adr     r1, exit_block
    bkpt    0xab
2:  b       2b                  /* not reached with a semihosting host */

    .balign 4
exit_block:
    .word   0x20026             /* ADP_Stopped_ApplicationExit */
    .word   0                   /* exit code */
    .size   Reset_Handler, . - Reset_Handler
