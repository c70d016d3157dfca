"""Static memory use of a firmware image on a platform.

Counts what the linker placed, before anything runs:

* flash: bytes stored in flash/rom, by *load* address -- so ``.data`` counts
  here too, because its initial values are copied from flash at startup;
* static RAM: everything whose *run* address is in RAM -- ``.data``, ``.bss``
  and any stack/heap the linker script reserves as sections.

Run-time stack use is the engine's job; :attr:`MemoryUse.stack_region` tells
it where the linker put the stack, if the firmware says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .elf import Firmware
from .platform import Platform

__all__ = ["SectionUse", "MemoryUse", "memory_use"]

# (bottom, top) symbol pairs, in order of preference: a generic name, then the
# ST/GCC-startup spelling, then the CMSIS/Nordic one.
_STACK_SYMBOLS = (
    ("__stack_bottom", "__stack_top"),
    ("_sstack", "_estack"),
    ("__StackLimit", "__StackTop"),
)


@dataclass(frozen=True)
class SectionUse:
    name: str
    addr: int  # run address
    size: int
    region: str | None  # platform memory region holding the run address; None if outside all
    kind: Literal["code", "rodata", "data", "bss", "other"]


@dataclass(frozen=True)
class MemoryUse:
    flash_bytes: int
    ram_static_bytes: int
    sections: tuple[SectionUse, ...]  # allocated, non-empty sections, in address order
    stack_region: tuple[int, int] | None  # (bottom, top) from linker symbols; None if not declared


def memory_use(fw: Firmware, platform: Platform) -> MemoryUse:
    flash = ram = 0
    uses: list[SectionUse] = []
    for s in fw.sections:
        if not s.alloc or s.size == 0:
            continue
        run = platform.region_at(s.addr)
        uses.append(SectionUse(s.name, s.addr, s.size, run.name if run else None, s.kind))
        if s.kind != "bss":  # bss has no stored bytes
            load = platform.region_at(s.load_addr)
            if load is not None and load.kind in ("flash", "rom"):
                flash += s.size
        if run is not None and run.kind == "ram":
            ram += s.size
    uses.sort(key=lambda u: (u.addr, u.name))
    return MemoryUse(flash, ram, tuple(uses), _stack_region(fw))


def _stack_region(fw: Firmware) -> tuple[int, int] | None:
    for bottom_name, top_name in _STACK_SYMBOLS:
        bottom, top = fw.symbol(bottom_name), fw.symbol(top_name)
        if bottom is not None and top is not None and bottom < top:
            return bottom, top
    return None
