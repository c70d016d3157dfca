"""Board support as a product: where it is, and the flags a developer's own build needs.

The board support (startup code, linker scripts, register headers, console, semihosting and
sensor-bus drivers, the ticker and the inference runtime) is the checkout's ``firmware/``
{boards,common,runtime}. A wheel ships a copy of it in ``tinysim/sdk/firmware`` (setup.py
copies it at build time), so a pip-installed tinysim can build firmware without a checkout.

The flags come from each board's ``board.mk``, the same file ``firmware/Makefile`` includes,
so the SDK and our own build cannot drift apart.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import TinysimError

__all__ = ["SdkError", "BoardFlags", "firmware_dir", "cmake_dir", "boards", "board_flags"]

_HERE = Path(__file__).resolve().parent


class SdkError(TinysimError):
    """The board support files are missing, or a board is unknown."""


def firmware_dir() -> Path:
    """The folder holding boards/, common/ and runtime/."""
    shipped = _HERE / "firmware"             # inside a wheel
    if (shipped / "boards").is_dir():
        return shipped
    checkout = _HERE.parent.parent / "firmware"   # an editable install of a checkout
    if (checkout / "boards").is_dir():
        return checkout
    raise SdkError(f"the board support files are missing: neither {shipped} nor {checkout} exists",
                   hint="reinstall tinysim from a wheel or sdist (pip install --force-reinstall tinysim), "
                   "or install a checkout with pip install -e .")


def cmake_dir() -> Path:
    """The folder holding the CMake toolchain file (tinysim-toolchain.cmake)."""
    return _HERE / "cmake"


def boards() -> list[str]:
    return sorted(p.parent.name for p in (firmware_dir() / "boards").glob("*/board.mk"))


_ASSIGN = re.compile(r"^\s*([A-Z_]+)\s*[:?]?=\s*(.*?)\s*$")


def _board_mk(board: str) -> dict[str, str]:
    known = boards()
    if board not in known:
        raise SdkError(f"unknown board {board!r}", hint=f"one of: {', '.join(known)}")
    out: dict[str, str] = {}
    for line in (firmware_dir() / "boards" / board / "board.mk").read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        m = _ASSIGN.match(line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


@dataclass(frozen=True)
class BoardFlags:
    """What compiling and linking for one board takes (lists of arguments, absolute paths)."""

    board: str
    cc: str                      # e.g. arm-none-eabi-gcc
    cflags: tuple[str, ...]      # includes, defines, arch and code-generation flags
    ldflags: tuple[str, ...]     # arch flags, linker script, no start files
    libs: tuple[str, ...]        # after the objects: libm/libc (runtime only) and libgcc
    sources: tuple[Path, ...]    # board support to compile with the app
    arena_size: int | None       # the inference arena the board's RAM allows


# Same as firmware/Makefile's CFLAGS minus warnings and optimisation, which are the app's choice.
# -fno-tree-loop-distribute-patterns: common/string.c's memset must not become a call to memset.
_CFLAGS = ("-std=gnu11", "-ffreestanding", "-fno-common", "-ffunction-sections", "-fdata-sections",
           "-fno-tree-loop-distribute-patterns")


def board_flags(board: str, *, runtime: bool = False, ticker: bool = False) -> BoardFlags:
    """Flags for ``board``; ``runtime`` adds the inference runtime (tsrt), ``ticker`` the periodic
    timer interrupt (it owns SysTick_Handler / mtimer_handler, so it is opt-in)."""
    mk = _board_mk(board)
    fw = firmware_dir()
    arch = mk.get("ARCH_FLAGS", "").split()
    cflags = [*arch, *_CFLAGS, f"-I{fw / 'common'}", f"-I{fw / 'boards' / board}", *mk.get("BOARD_DEFS", "").split()]
    sources = [fw / s for s in mk.get("BOARD_SRCS", "").split()]
    sources += [fw / "common" / f for f in ("fmt.c", "console.c", "semihost.c", "string.c")]
    libs = ["-lgcc"]
    if ticker:
        sources.append(fw / "boards" / board / "ticker.c")
    if runtime:
        # -ffp-contract=off: no fused multiply-adds, which would break bit-exactness with TFLM
        cflags += [f"-I{fw / 'runtime'}", "-ffp-contract=off"]
        sources += sorted((fw / "runtime").glob("*.c"))
        libs = [*mk.get("LIBM", "").split(), "-lgcc"]
    if "ARENA_SIZE" in mk:
        cflags.append(f"-DARENA_SIZE={mk['ARENA_SIZE']}")
    ldflags = [*arch, "-nostdlib", "-nostartfiles", "-T", str(fw / "boards" / board / "linker.ld"),
               "-Wl,--gc-sections"]
    arena = int(mk["ARENA_SIZE"]) if mk.get("ARENA_SIZE", "").isdigit() else None
    return BoardFlags(board, mk.get("CROSS", "") + "gcc", tuple(cflags), tuple(ldflags), tuple(libs),
                      tuple(sources), arena)
