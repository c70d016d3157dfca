# nano33ble: Arduino Nano 33 BLE Sense, nRF52840, Cortex-M4F @ 64 MHz
CROSS       ?= arm-none-eabi-
ARCH_FLAGS  := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
BOARD_DEFS  := -DBOARD_NANO33BLE=1
BOARD_SRCS  := boards/nano33ble/vectors.c boards/nano33ble/startup.c boards/nano33ble/board.c boards/nano33ble/i2c.c
COUNT_SRCS  := boards/nano33ble/vectors.c apps/count/count_arm.S
BOARD_APPS  := fault_hardfault imu mic magic_wand vibration kws kws_dump
ARENA_SIZE  := 131072
LIBM        := -lm -lc
