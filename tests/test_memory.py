from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tinysim.elf import load_elf
from tinysim.memory import MemoryUse, memory_use
from tinysim.platform import load_platform


def size_tool(tool: str, elf: Path, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} not installed")
    return subprocess.run([tool, *args, str(elf)], check=True, capture_output=True, text=True).stdout


def sysv_sizes(tool: str, elf: Path) -> dict[str, tuple[int, int]]:
    """``size -A``: {section: (size, addr)}."""
    out = {}
    for line in size_tool(tool, elf, "-A").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith("."):
            out[parts[0]] = (int(parts[1]), int(parts[2]))
    return out


def berkeley(tool: str, elf: Path) -> tuple[int, int, int]:
    """``size`` (Berkeley): text, data, bss."""
    text, data, bss = size_tool(tool, elf).splitlines()[1].split()[:3]
    return int(text), int(data), int(bss)


def test_arm_memory_use_matches_size(arm_elf):
    use = memory_use(load_elf(arm_elf), load_platform("nano33ble"))
    assert isinstance(use, MemoryUse)
    sysv = sysv_sizes("arm-none-eabi-size", arm_elf)
    got = {s.name: (s.size, s.addr) for s in use.sections}
    assert got == {n: v for n, v in sysv.items() if n in (".text", ".rodata", ".data", ".bss", ".stack")}
    # Flash holds text + rodata + .data's initial values; RAM holds .data + .bss + .stack.
    assert use.flash_bytes == sysv[".text"][0] + sysv[".rodata"][0] + sysv[".data"][0]
    assert use.ram_static_bytes == sysv[".data"][0] + sysv[".bss"][0] + sysv[".stack"][0]
    text, data, bss = berkeley("arm-none-eabi-size", arm_elf)
    assert (use.flash_bytes, use.ram_static_bytes) == (text + data, data + bss)


def test_arm_sections_and_regions(arm_elf):
    use = memory_use(load_elf(arm_elf), load_platform("nano33ble"))
    regions = {s.name: (s.region, s.kind) for s in use.sections}
    assert regions == {".text": ("flash", "code"), ".rodata": ("flash", "rodata"),
                       ".data": ("ram", "data"), ".bss": ("ram", "bss"), ".stack": ("ram", "bss")}
    assert [s.addr for s in use.sections] == sorted(s.addr for s in use.sections)


def test_arm_stack_region_from_cmsis_symbols(arm_elf):
    fw = load_elf(arm_elf)
    use = memory_use(fw, load_platform("nano33ble"))
    assert use.stack_region == (fw.symbol("__StackLimit"), fw.symbol("__StackTop"))
    assert use.stack_region[1] - use.stack_region[0] == 0x800


def test_riscv_memory_use(riscv_elf):
    fw = load_elf(riscv_elf)
    use = memory_use(fw, load_platform("hifive1"))
    text, data, bss = berkeley("riscv64-unknown-elf-size", riscv_elf)
    assert (use.flash_bytes, use.ram_static_bytes) == (text + data, data + bss)
    assert {s.name: s.region for s in use.sections}[".data"] == "dtim"
    assert use.stack_region == (fw.symbol("__stack_bottom"), fw.symbol("__stack_top"))


STM32_LIKE = """\
arch: arm
core: cortex-m4
clock_hz: 80MHz
timing: cortex-m4
renode_platform: platforms/cpus/stm32l4.repl
vector_table: 0x08000000
memory:
  - {name: flash, kind: flash, base: 0x08000000, size: 1M}
  - {name: sram, kind: ram, base: 0x10000000, size: 64K}
"""


def test_sections_outside_the_platform(arm_elf, tmp_path):
    # An image linked for another memory map: nothing lands in this board's regions.
    board = tmp_path / "stm32like.yaml"
    board.write_text(STM32_LIKE)
    use = memory_use(load_elf(arm_elf), load_platform(board))
    assert (use.flash_bytes, use.ram_static_bytes) == (0, 0)
    assert all(s.region is None for s in use.sections)


def test_no_stack_symbols(arm_elf, tmp_path):
    if shutil.which("arm-none-eabi-strip") is None:
        pytest.skip("arm-none-eabi-strip not installed")
    out = tmp_path / "stripped.elf"
    subprocess.run(["arm-none-eabi-strip", "-o", str(out), str(arm_elf)], check=True)
    use = memory_use(load_elf(out), load_platform("nano33ble"))
    assert use.stack_region is None
    assert use.flash_bytes > 0  # sizes come from sections, not symbols


def test_renode_platform_is_optional_metadata(arm_elf, tmp_path):
    """A board file without a Renode .repl loads: nothing in tinysim needs it."""
    board = tmp_path / "stm32like.yaml"
    board.write_text(STM32_LIKE.replace("renode_platform: platforms/cpus/stm32l4.repl\n", ""))
    plat = load_platform(board)
    assert plat.renode_platform is None
    assert plat.clock_hz == 80_000_000
    with_repl = tmp_path / "with.yaml"
    with_repl.write_text(STM32_LIKE)
    assert load_platform(with_repl).renode_platform == "platforms/cpus/stm32l4.repl"
