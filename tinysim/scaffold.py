"""`tinysim new app`: a buildable app folder for one board, from nothing to a passing scenario.

The folder holds main.c (the board's drivers from the SDK), a Makefile and a CMakeLists.txt
that take every flag from `tinysim sdk flags`, a scenario that runs the built ELF (with a
sensor stream when the app reads a sensor) and checks its UART, and the scenario JSON Schema
for editors. Nothing in it refers to a tinysim checkout.
"""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import TinysimError

__all__ = ["ScaffoldError", "SENSORS", "new_app"]


class ScaffoldError(TinysimError):
    """The app cannot be created as asked."""


@dataclass(frozen=True)
class _Sensor:
    template: str          # key into _SENSOR_CODE
    stream: str            # YAML lines of the scenario's stream (indented under streams:)
    expect_uart: tuple[str, ...]


# (board, --sensor) -> what the app reads. The boards' sensors are those the platform files wire.
SENSORS: dict[tuple[str, str], _Sensor] = {
    ("nano33ble", "imu"): _Sensor("lsm9ds1", "  - sensor: imu\n    channel: accel\n    rate_hz: 1000\n"
                                  "    generate: {type: gesture, gesture: ring, lead_s: 0.02, noise: 0.01}\n",
                                  ("WHO_AM_I=0x68", r"{name}: 9 a=-?\d+,-?\d+,-?\d+ mg")),
    ("nano33ble", "accel"): _Sensor("lsm9ds1", "  - sensor: imu\n    channel: accel\n    rate_hz: 1000\n"
                                    "    generate: {type: gesture, gesture: ring, lead_s: 0.02, noise: 0.01}\n",
                                    ("WHO_AM_I=0x68", r"{name}: 9 a=-?\d+,-?\d+,-?\d+ mg")),
    ("nano33ble", "mic"): _Sensor("pdm", "  - sensor: mic\n    channel: pcm\n    rate_hz: 16000\n"
                                  "    generate: \"sine(freq=440, amp=8000)\"\n",
                                  (r"{name}: 7 level=\d+ peak=(7\d\d\d|8000)",)),
    ("hifive1", "accel"): _Sensor("adxl345", "  - sensor: accel\n    channel: accel\n    rate_hz: 1000\n"
                                  "    generate: {type: gesture, gesture: ring, lead_s: 0.02, noise: 0.01}\n",
                                  ("DEVID=0xe5", r"{name}: 9 a=-?\d+,-?\d+,-?\d+ mg")),
}
_SENSOR_CHOICES = ("imu", "mic", "accel")

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def new_app(name: str, board: str, *, sensor: str | None = None, model: str | Path | None = None,
            parent: str | Path = ".", force: bool = False) -> Path:
    """Create ``parent/name/``; returns its path."""
    from . import sdk
    if not _NAME.match(name):
        raise ScaffoldError(f"{name!r} is not a usable app name",
                            hint="use letters, digits, '_' and '-', starting with a letter (e.g. my_app)")
    known = sdk.boards()
    if board not in known:
        raise ScaffoldError(f"unknown board {board!r}", hint=f"one of: {', '.join(known)}")
    sens = None
    if sensor is not None:
        if sensor not in _SENSOR_CHOICES:
            raise ScaffoldError(f"unknown sensor {sensor!r}", hint=f"one of: {', '.join(_SENSOR_CHOICES)}")
        sens = SENSORS.get((board, sensor))
        if sens is None:
            have = [s for (b, s) in SENSORS if b == board]
            raise ScaffoldError(f"{board} has no {sensor} sensor modelled",
                                hint=f"sensors on {board}: {', '.join(have) or 'none'}")
    model_path = None
    if model is not None:
        model_path = Path(model)
        if not model_path.is_file():
            raise ScaffoldError(f"{model_path}: model file not found", hint="give the path of a .tflite file")
    dest = Path(parent) / name
    if dest.exists() and any(dest.iterdir()) and not force:
        raise ScaffoldError(f"{dest} already exists and is not empty",
                            hint="choose another name, or remove the folder first")
    dest.mkdir(parents=True, exist_ok=True)
    c_ident = re.sub(r"\W", "_", name)
    files = {
        "main.c": _main_c(name, c_ident, board, sens, model_path is not None),
        "Makefile": _makefile(name, board, sens, model_path is not None),
        "CMakeLists.txt": _cmakelists(name, c_ident, board, sens, model_path is not None),
        f"{name}.yaml": _scenario(name, board, sens, model_path is not None),
        "scenario.schema.json": json.dumps(_scenario_schema(), indent=2) + "\n",
        ".gitignore": "/build/\n",
    }
    for fname, text in files.items():
        (dest / fname).write_text(text)
    if model_path is not None:
        shutil.copyfile(model_path, dest / "model.tflite")
    return dest


def _scenario_schema() -> dict:
    from .scenario import ScenarioSpec
    return ScenarioSpec.model_json_schema()


def _sdk_opts(board: str, model: bool) -> str:
    return f"--board {board}" + (" --runtime" if model else "")


def _makefile(name: str, board: str, sens, model: bool) -> str:
    return f"""\
# {name}: firmware for the {board}, built against the board support that ships inside
# tinysim (`tinysim sdk flags` gives the compiler, flags and board sources).
#   make            -> build/{name}.elf
#   make run        -> runs {name}.yaml (the scenario) and checks its expectations
TINYSIM  ?= tinysim
BOARD    := {board}
SDK_OPTS := {_sdk_opts(board, model)}
BUILD    := build

.PHONY: all run clean
all: $(BUILD)/{name}.elf

# CC, TINYSIM_CFLAGS, TINYSIM_LDFLAGS, TINYSIM_LIBS and TINYSIM_SOURCES for this board
-include $(BUILD)/sdk.mk
$(BUILD)/sdk.mk: Makefile
\t@mkdir -p $(@D)
\t$(TINYSIM) sdk flags $(SDK_OPTS) --make > $@

CFLAGS  := $(TINYSIM_CFLAGS) -Os -g -Wall -Wextra
SRCS    := $(wildcard *.c)
OBJS    := $(SRCS:%.c=$(BUILD)/%.o) $(foreach s,$(TINYSIM_SOURCES),$(BUILD)/sdk/$(notdir $(s)).o)

$(BUILD)/{name}.elf: $(OBJS)
\t$(CC) $(TINYSIM_LDFLAGS) -Wl,-Map=$(BUILD)/{name}.map -o $@ $(OBJS) $(TINYSIM_LIBS)

$(BUILD)/%.o: %.c $(BUILD)/sdk.mk
\t@mkdir -p $(@D)
\t$(CC) $(CFLAGS) -c $< -o $@

define sdk_rule
$(BUILD)/sdk/$(notdir $(1)).o: $(1) $(BUILD)/sdk.mk
\t@mkdir -p $$(@D)
\t$$(CC) $$(TINYSIM_CFLAGS) -Os -g -c $$< -o $$@
endef
$(foreach s,$(TINYSIM_SOURCES),$(eval $(call sdk_rule,$(s))))

run: $(BUILD)/{name}.elf
\t$(TINYSIM) run {name}.yaml

clean:
\trm -rf $(BUILD)
"""


def _cmakelists(name: str, c_ident: str, board: str, sens, model: bool) -> str:
    extra = " RUNTIME" if model else ""
    return f"""\
# {name} with CMake, against the board support that ships inside tinysim:
#   cmake -B build -DCMAKE_TOOLCHAIN_FILE="$(tinysim sdk path --cmake)/tinysim-toolchain.cmake" \\
#         -DTINYSIM_BOARD={board}
#   cmake --build build          -> build/{name}.elf
cmake_minimum_required(VERSION 3.20)
project({c_ident} C ASM)
tinysim_add_firmware({name} SOURCES main.c{extra})
target_compile_options({name} PRIVATE -Os -g -Wall -Wextra)
"""


def _scenario(name: str, board: str, sens, model: bool) -> str:
    lines = [
        "# yaml-language-server: $schema=scenario.schema.json",
        f"# {name} on the {board}: build it (make), then `tinysim run {name}.yaml`.",
        f"name: {name}",
        f"platform: {board}",
        f"firmware: build/{name}.elf",
    ]
    if model:
        lines.append("model: model.tflite")
    lines += ["seed: 1", "duration: 1s"]
    if sens is not None:
        lines += ["streams:", sens.stream.rstrip("\n")]
    uart = [f"{name}: running on {board}"]
    if sens is not None:
        uart += [rx.format(name=name) for rx in sens.expect_uart]
    if model:
        uart.append(rf"{name}: inference in \d+ cycles")
    uart.append(f"{name}: done")
    lines += ["expect:", "  exit_reason: exit", "  exit_code: 0", "  uart:"]
    lines += [f"    - {json.dumps(rx)}" for rx in uart]
    if sens is not None:
        lines.append("  lost_samples_max: 0")
    return "\n".join(lines) + "\n"


_HEAD = """\
/*
 * {name} - firmware for the {board}, scaffolded by `tinysim new app`.
 * The board support (tinysim.h: board_init, console_printf, i2c_read/i2c_write, led_set,
 * cycles_now, ...) comes with tinysim: `tinysim sdk path` shows where.
 */
#include "tinysim.h"
#include "board_regs.h"
"""

_SENSOR_CODE = {
    "lsm9ds1": """
/* LSM9DS1 accelerometer/gyroscope on TWIM0 (the Nano 33 BLE Sense's internal I2C bus). */
#define LSM9DS1_AG   0x6Bu
#define WHO_AM_I     0x0Fu
#define CTRL_REG1_G  0x10u
#define CTRL_REG6_XL 0x20u
#define STATUS_REG   0x27u
#define OUT_X_L_XL   0x28u

static int16_t le16(const uint8_t *p) { return (int16_t)(p[0] | p[1] << 8); }

static int read_sensor(void)
{
    uint8_t who = 0, st = 0, d[6];
    i2c_init();
    if (i2c_read(LSM9DS1_AG, WHO_AM_I, &who, 1) != 0)
        return 3;
    console_printf("{name}: WHO_AM_I=0x%x\\n", who);
    i2c_write(LSM9DS1_AG, CTRL_REG1_G, 0x60);        /* gyro 119 Hz */
    i2c_write(LSM9DS1_AG, CTRL_REG6_XL, 0x60 | 0x10); /* accel 119 Hz, +-4 g */
    for (int n = 0; n < 10; n++) {
        do {
            delay_loops(2000);
            if (i2c_read(LSM9DS1_AG, STATUS_REG, &st, 1) != 0)
                return 3;
        } while (!(st & 1));
        i2c_read(LSM9DS1_AG, OUT_X_L_XL, d, 6);
        /* +-4 g: 0.122 mg per LSB */
        console_printf("{name}: %d a=%d,%d,%d mg\\n", n, le16(d) * 122 / 1000, le16(d + 2) * 122 / 1000,
                       le16(d + 4) * 122 / 1000);
    }
    return 0;
}
""",
    "adxl345": """
/* ADXL345 accelerometer on the FE310's I2C0. */
#define ADXL345 0x53u

static int read_sensor(void)
{
    uint8_t id = 0, src = 0, d[6];
    i2c_init();
    if (i2c_read(ADXL345, 0x00, &id, 1) != 0)
        return 3;
    console_printf("{name}: DEVID=0x%x\\n", id);
    i2c_write(ADXL345, 0x31, 0x08);        /* DATA_FORMAT: full resolution, +-2 g */
    i2c_write(ADXL345, 0x2C, 0x0A);        /* BW_RATE: 100 Hz */
    i2c_write(ADXL345, 0x2D, 0x08);        /* POWER_CTL: measure */
    for (int n = 0; n < 10; n++) {
        do {
            delay_loops(5000);
            i2c_read(ADXL345, 0x30, &src, 1);   /* INT_SOURCE.DATA_READY */
        } while (!(src & 0x80));
        i2c_read(ADXL345, 0x32, d, 6);
        /* full resolution: 256 LSB per g */
        console_printf("{name}: %d a=%d,%d,%d mg\\n", n, (int16_t)(d[0] | d[1] << 8) * 1000 / 256,
                       (int16_t)(d[2] | d[3] << 8) * 1000 / 256, (int16_t)(d[4] | d[5] << 8) * 1000 / 256);
    }
    return 0;
}
""",
    "pdm": """
/* The Nano 33 BLE Sense's PDM microphone: 16 kHz mono, EasyDMA into two buffers in turn. */
#define PDM_BASE           0x4001D000u
#define PDM_TASKS_START    REG32(PDM_BASE + 0x000u)
#define PDM_TASKS_STOP     REG32(PDM_BASE + 0x004u)
#define PDM_EVENTS_STARTED REG32(PDM_BASE + 0x100u)
#define PDM_EVENTS_END     REG32(PDM_BASE + 0x108u)
#define PDM_ENABLE         REG32(PDM_BASE + 0x500u)
#define PDM_PDMCLKCTRL     REG32(PDM_BASE + 0x504u)
#define PDM_MODE           REG32(PDM_BASE + 0x508u)
#define PDM_RATIO          REG32(PDM_BASE + 0x520u)
#define PDM_PSEL_CLK       REG32(PDM_BASE + 0x540u)
#define PDM_PSEL_DIN       REG32(PDM_BASE + 0x544u)
#define PDM_SAMPLE_PTR     REG32(PDM_BASE + 0x560u)
#define PDM_SAMPLE_MAXCNT  REG32(PDM_BASE + 0x564u)
#define N 256

static int16_t buf[2][N];

static int read_sensor(void)
{
    PDM_PSEL_CLK = 26;               /* P0.26 */
    PDM_PSEL_DIN = 25;               /* P0.25 */
    PDM_PDMCLKCTRL = 0x0A000000u;    /* 1.280 MHz */
    PDM_RATIO = 1;                   /* /80 -> 16 kHz */
    PDM_MODE = 1;                    /* mono */
    PDM_SAMPLE_PTR = (uint32_t)(uintptr_t)buf[0];
    PDM_SAMPLE_MAXCNT = N;
    PDM_ENABLE = 1;
    PDM_TASKS_START = 1;
    for (int n = 0, b = 0; n < 8; n++, b ^= 1) {
        while (!PDM_EVENTS_STARTED) {}     /* buffer b latched: queue the other one */
        PDM_EVENTS_STARTED = 0;
        PDM_SAMPLE_PTR = (uint32_t)(uintptr_t)buf[b ^ 1];
        while (!PDM_EVENTS_END) {}         /* buffer b filled */
        PDM_EVENTS_END = 0;
        uint32_t sum = 0;
        int peak = 0;
        for (int i = 0; i < N; i++) {
            int v = buf[b][i] < 0 ? -buf[b][i] : buf[b][i];
            sum += (uint32_t)v;
            if (v > peak) peak = v;
        }
        console_printf("{name}: %d level=%u peak=%d\\n", n, (unsigned)(sum / N), peak);
    }
    PDM_TASKS_STOP = 1;
    return 0;
}
""",
}

_MODEL_CODE = """
/* The model: tinysim writes the .tflite into the board's model partition at load time (as an
 * over-the-air update would), behind a 16-byte header {"TSM1", size, crc32, 0}. */
#include "tsrt.h"
#ifndef ARENA_SIZE
#define ARENA_SIZE 16384
#endif
extern const uint8_t __model_partition_start__[], __model_partition_end__[];
struct part_header { char magic[4]; uint32_t size, word2, reserved; };
static uint8_t arena[ARENA_SIZE] __attribute__((aligned(16), section(".noinit.arena")));
static tsrt_model model;

static int run_model(void)
{
    const struct part_header *h = (const struct part_header *)__model_partition_start__;
    if (memcmp(h->magic, "TSM1", 4) != 0) {
        console_printf("{name}: no model in the model partition\\n");
        return 2;
    }
    if (tsrt_init(&model, (const uint8_t *)(h + 1), h->size, arena, sizeof arena) != 0) {
        console_printf("{name}: model rejected: %s\\n", tsrt_error(&model));
        return 3;
    }
    for (int i = 0; i < tsrt_input_count(&model); i++)     /* replace with your features */
        memset(tsrt_input_data(&model, i), 0, tsrt_input_bytes(&model, i));
    uint32_t t0 = cycles_now();
    if (tsrt_invoke(&model) != 0) {
        console_printf("{name}: invoke failed: %s\\n", tsrt_error(&model));
        return 4;
    }
    uint32_t dt = cycles_now() - t0;
    const int8_t *out = (const int8_t *)tsrt_output_data(&model, 0);
    console_printf("{name}: inference in %u cycles, output[0]=%d\\n", (unsigned)dt, out[0]);
    return 0;
}
"""


def _main_c(name: str, c_ident: str, board: str, sens, model: bool) -> str:
    parts = [_HEAD.format(name=name, board=board)]
    if sens is not None:
        parts.append(_SENSOR_CODE[sens.template].replace("{name}", name))
    if model:
        parts.append(_MODEL_CODE.replace("{name}", name))
    body = [f'    console_printf("{name}: running on %s\\n", BOARD_NAME);', "    led_set(1);"]
    if sens is not None:
        body += ["    int rc = read_sensor();", "    if (rc != 0)", "        return rc;"]
    if model:
        body += ["    int mrc = run_model();", "    if (mrc != 0)", "        return mrc;"]
    body += ["    led_set(0);", f'    console_printf("{name}: done\\n");', "    return 0;"]
    parts.append("\nint main(void)\n{\n    board_init();\n" + "\n".join(body) + "\n}\n")
    return "".join(parts)
