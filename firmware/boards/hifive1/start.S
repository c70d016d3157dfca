/*
 * start.S - hifive1 (FE310-G002) reset entry and trap vector.
 *
 * _start is the first thing in .text, linked at 0x20010000 (the Rev B
 * reset/bootloader hand-off address where the emulator starts the hart).
 * It sets gp/sp (sp = __stack_top: the 2 KB stack sits at the very bottom of
 * the 16 KB DTIM and grows down towards the unmapped 0x7fffffff), disables
 * interrupts, installs trap_entry in mtvec (direct mode), copies .data,
 * zeroes .bss, calls main() and passes its return value to semihost_exit()
 * (SYS_EXIT_EXTENDED). No peripheral is touched.
 */
    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, __stack_top

    csrw    mie, zero
    csrci   mstatus, 8              /* mstatus.MIE = 0 */
    la      t0, trap_entry
    csrw    mtvec, t0               /* direct mode (bits 1:0 = 0) */

    /* copy .data from flash */
    la      a0, __data_load__
    la      a1, __data_start__
    la      a2, __data_end__
    bgeu    a1, a2, 2f
1:  lw      t0, 0(a0)
    sw      t0, 0(a1)
    addi    a0, a0, 4
    addi    a1, a1, 4
    bltu    a1, a2, 1b
2:
    /* zero .bss */
    la      a0, __bss_start__
    la      a1, __bss_end__
    bgeu    a0, a1, 4f
3:  sw      zero, 0(a0)
    addi    a0, a0, 4
    bltu    a0, a1, 3b
4:
    call    main
    call    semihost_exit           /* a0 = main's return value */
5:  j       5b
    .size _start, . - _start

/*
 * trap_entry - machine-mode trap vector (mtvec, direct mode).
 *
 * Interrupts: saves the caller-saved registers (ra, t0-t6, a0-a7) on the
 * current stack, calls mtimer_handler() for the machine timer interrupt
 * (mcause = 0x80000007) or external_handler() for the PLIC's machine external interrupt
 * (mcause = 0x8000000b) and returns with mret. Any other interrupt is
 * treated as a fault.
 *
 * Exceptions (mcause bit 31 clear: access faults, illegal instruction,
 * ebreak without a semihosting host, ...): never return. The stack may be
 * the culprit (stack overflow below __stack_bottom), so nothing is pushed:
 * sp is reset to __stack_top and trap_fault(mcause, mepc, mtval) is called
 * (weak, default: spin forever).
 */
    .section .text.trap_entry, "ax", @progbits
    .balign 64
    .globl trap_entry
    .type trap_entry, @function
trap_entry:
    csrw    mscratch, t0
    csrr    t0, mcause
    bgez    t0, trap_exception      /* bit 31 clear -> synchronous exception */
    csrr    t0, mscratch

    addi    sp, sp, -64
    sw      ra,  0(sp)
    sw      t0,  4(sp)
    sw      t1,  8(sp)
    sw      t2, 12(sp)
    sw      a0, 16(sp)
    sw      a1, 20(sp)
    sw      a2, 24(sp)
    sw      a3, 28(sp)
    sw      a4, 32(sp)
    sw      a5, 36(sp)
    sw      a6, 40(sp)
    sw      a7, 44(sp)
    sw      t3, 48(sp)
    sw      t4, 52(sp)
    sw      t5, 56(sp)
    sw      t6, 60(sp)

    csrr    a0, mcause
    li      t0, 0x80000007          /* machine timer interrupt */
    beq     a0, t0, 7f
    li      t0, 0x8000000b          /* machine external interrupt (PLIC) */
    bne     a0, t0, trap_bad_irq
    call    external_handler
    j       8f
7:  call    mtimer_handler
8:

    lw      ra,  0(sp)
    lw      t0,  4(sp)
    lw      t1,  8(sp)
    lw      t2, 12(sp)
    lw      a0, 16(sp)
    lw      a1, 20(sp)
    lw      a2, 24(sp)
    lw      a3, 28(sp)
    lw      a4, 32(sp)
    lw      a5, 36(sp)
    lw      a6, 40(sp)
    lw      a7, 44(sp)
    lw      t3, 48(sp)
    lw      t4, 52(sp)
    lw      t5, 56(sp)
    lw      t6, 60(sp)
    addi    sp, sp, 64
    mret

trap_bad_irq:
trap_exception:
    la      sp, __stack_top
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    call    trap_fault
6:  j       6b
    .size trap_entry, . - trap_entry
