# hifive1: SiFive HiFive1 Rev B, FE310-G002, RV32IMAC @ 320 MHz
CROSS       ?= riscv64-unknown-elf-
# -misa-spec=2.2: keeps the plain rv32imac multilib (libgcc) while still
# accepting CSR instructions (Zicsr is part of "I" in ISA spec 2.2).
ARCH_FLAGS  := -march=rv32imac -mabi=ilp32 -mcmodel=medlow -misa-spec=2.2
BOARD_DEFS  := -DBOARD_HIFIVE1=1
BOARD_SRCS  := boards/hifive1/start.S boards/hifive1/trap.c boards/hifive1/board.c boards/hifive1/i2c.c
COUNT_SRCS  := apps/count/count_riscv.S
BOARD_APPS  := accel accel_irq vibration magic_wand uart_irq
ARENA_SIZE  := 10240
LIBM        := -L/usr/lib/picolibc/riscv64-unknown-elf/lib/rv32imac/ilp32 -lm -lc
