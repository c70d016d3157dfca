"""Shared pytest fixtures. Append new fixtures; don't remove others'."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

# --------------------------------------------------------------------------- tiny firmware ELFs
# Built once per session with the cross toolchains; tests needing one are
# skipped (with the reason) where the toolchain is not installed.

_FW_C = """
int counter = 5;                               /* .data: run in RAM, stored in flash */
int zeroed[16];                                /* .bss */
const int table[8] = {1, 2, 3, 4, 5, 6, 7, 8}; /* .rodata */
static __attribute__((noinline)) int helper(int x) { return x * 3 + table[x & 7]; }
int add(int a, int b) { return a + helper(b); }
int main(void) {
    counter = add(counter, table[3]);
    for (;;) { zeroed[1]++; }
}
"""

_ARM_S = """
    .syntax unified
    .cpu cortex-m4
    .thumb
    .section .vectors, "a"
    .word __StackTop
    .word Reset_Handler
    .word Default_Handler
    .word Default_Handler

    .text
    .thumb_func
    .global Reset_Handler
    .type Reset_Handler, %function
Reset_Handler:
    bl main
1:  b 1b
    .size Reset_Handler, .-Reset_Handler

    /* no .size on purpose: function_at must still find it */
    .thumb_func
    .weak Default_Handler
    .type Default_Handler, %function
Default_Handler:
    nop
    b Default_Handler
"""

_ARM_LD = """
MEMORY { FLASH (rx) : ORIGIN = 0x00000000, LENGTH = 1M
         RAM (rwx)  : ORIGIN = 0x20000000, LENGTH = 256K }
ENTRY(Reset_Handler)
SECTIONS {
  .text : { KEEP(*(.vectors)) *(.text*) } > FLASH
  .rodata : { *(.rodata*) } > FLASH
  .data : { *(.data*) } > RAM AT> FLASH
  .bss (NOLOAD) : { *(.bss*) *(COMMON) } > RAM
  .stack (NOLOAD) : { . = ALIGN(8); __StackLimit = .; . += 0x800; __StackTop = .; } > RAM
}
"""

_RV_S = """
    .section .text.init, "ax"
    .global _start
    .type _start, @function
_start:
    la sp, __stack_top
    call main
1:  j 1b
    .size _start, .-_start
"""

_RV_LD = """
MEMORY { FLASH (rx) : ORIGIN = 0x20010000, LENGTH = 0x3F0000
         RAM (rwx)  : ORIGIN = 0x80000000, LENGTH = 16K }
ENTRY(_start)
SECTIONS {
  .text : { *(.text.init) *(.text*) } > FLASH
  .rodata : { *(.rodata*) *(.srodata*) } > FLASH
  .data : { *(.data*) *(.sdata*) } > RAM AT> FLASH
  .bss (NOLOAD) : { *(.sbss*) *(.bss*) *(COMMON) } > RAM
  .stack (NOLOAD) : { . = ALIGN(16); __stack_bottom = .; . += 0x400; __stack_top = .; } > RAM
}
"""


def _build(tmp: Path, gcc: str, flags: list[str], asm: str, ld: str) -> Path:
    if shutil.which(gcc) is None:
        pytest.skip(f"{gcc} not installed (needed to build a test ELF)")
    (tmp / "start.S").write_text(asm)
    (tmp / "main.c").write_text(_FW_C)
    (tmp / "link.ld").write_text(ld)
    out = tmp / "fw.elf"
    cmd = [gcc, *flags, "-O1", "-g", "-nostdlib", "-ffreestanding", "-T", "link.ld",
           "start.S", "main.c", "-o", str(out)]
    result = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"building the test ELF failed: {' '.join(cmd)}\n{result.stderr}")
    return out


@pytest.fixture(scope="session")
def arm_elf(tmp_path_factory) -> Path:
    """Cortex-M4 ELF for nano33ble's memory map (flash 0x0, RAM 0x20000000)."""
    return _build(tmp_path_factory.mktemp("arm_elf"), "arm-none-eabi-gcc",
                  ["-mcpu=cortex-m4", "-mthumb"], _ARM_S, _ARM_LD)


@pytest.fixture(scope="session")
def riscv_elf(tmp_path_factory) -> Path:
    """RV32IMAC ELF for hifive1's memory map (flash 0x20010000, DTIM 0x80000000)."""
    return _build(tmp_path_factory.mktemp("riscv_elf"), "riscv64-unknown-elf-gcc",
                  ["-march=rv32imac", "-mabi=ilp32"], _RV_S, _RV_LD)


# -- firmware from firmware/ (built once per session with the Debian cross toolchains) ----------
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def build_dir() -> Path:
    for tool in ("make", "arm-none-eabi-gcc", "riscv64-unknown-elf-gcc"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (./scripts/setup.sh installs it)")
    subprocess.run(["make", "-s", "-C", str(REPO / "firmware")], check=True)
    return REPO / "build"


@pytest.fixture(scope="session")
def fw(build_dir):
    """fw(board, app) -> path of the built ELF."""
    def get(board: str, app: str) -> Path:
        p = build_dir / board / f"{app}.elf"
        assert p.is_file(), f"{p} was not built"
        return p
    return get


@pytest.fixture(scope="session")
def timing_app(tmp_path_factory):
    """timing_app(app) -> {board: (result, UART text, ELF path, {name: cycles})}: the
    microbenchmark app built for both boards into a temporary tree and run for up to 1 s of
    virtual time; the last item holds the `tmb <name> cycles=<n>` lines it printed."""
    from tinysim import api

    def build_and_run(app: str) -> dict:
        for tool in ("make", "arm-none-eabi-gcc", "riscv64-unknown-elf-gcc"):
            if shutil.which(tool) is None:
                pytest.skip(f"{tool} is not installed (./scripts/setup.sh installs it)")
        out = tmp_path_factory.mktemp(app)
        subprocess.run(["make", "-s", "-C", str(REPO / "firmware"), app, f"BUILD_DIR={out}"],
                       check=True, capture_output=True)
        runs = {}
        for board in ("nano33ble", "hifive1"):
            elf = out / board / f"{app}.elf"
            r = api.run(board, elf, max_time_s=1.0)
            text = r.uart if isinstance(r.uart, str) else bytes(r.uart).decode()
            cycles = {m[1]: int(m[2]) for m in re.finditer(r"tmb (\w+) cycles=(\d+)", text)}
            runs[board] = (r, text, elf, cycles)
        return runs
    return build_and_run
