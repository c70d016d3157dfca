"""Firmware images: 32-bit little-endian ARM or RISC-V ELF executables.

:func:`load_elf` reads the file once and returns an immutable
:class:`Firmware`: what to load where (segments, by physical address), the
section table and a symbol table with fast address -> function lookup.

Anything wrong with the file becomes a :class:`FirmwareError` naming the file
and saying what to do. pyelftools trusts the headers it reads, so a damaged
file can make it raise almost anything; every such failure is reported as a
corrupt/truncated ELF, and ranges it would not check are checked here.
"""

from __future__ import annotations

import bisect
import io
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Mapping

from elftools.elf.elffile import ELFFile

from .errors import FirmwareError

__all__ = ["Segment", "Section", "Symbol", "Firmware", "load_elf"]

_MAGIC = b"\x7fELF"
_ELF32_HEADER_SIZE = 52
_EM_ARM, _EM_RISCV = 40, 243
_MACHINES = {  # for messages about the wrong kind of ELF
    2: "SPARC", 3: "x86", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64", 40: "ARM",
    62: "x86-64", 83: "AVR", 94: "Xtensa", 183: "AArch64", 243: "RISC-V",
}
_NEEDS = {"arm": "an ARM (EM_ARM)", "riscv": "a 32-bit RISC-V (EM_RISCV)"}
_TOOLCHAIN = {"arm": "arm-none-eabi-gcc", "riscv": "riscv64-unknown-elf-gcc -march=rv32imac -mabi=ilp32"}

SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4
PF_X, PF_W, PF_R = 0x1, 0x2, 0x4  # Segment.flags bits


@dataclass(frozen=True)
class Segment:
    """A PT_LOAD segment: write ``data`` at ``paddr``, as a flash programmer would.

    Only ``data`` is loaded. The ``memsz - len(data)`` tail (.bss, a NOLOAD
    stack) is zeroed by the firmware's startup code at its *run* address
    (``vaddr``); zero-filling it at ``paddr`` would overwrite flash.
    """

    paddr: int  # load (physical) address: where the bytes live at reset, e.g. flash for .data
    vaddr: int  # run address
    data: bytes = field(repr=False)
    memsz: int  # size at run time; >= len(data)
    flags: int  # PF_R | PF_W | PF_X


@dataclass(frozen=True)
class Section:
    name: str
    addr: int  # run address (VMA)
    size: int
    load_addr: int  # LMA: where its bytes are stored; == addr for bss and non-loaded sections
    kind: Literal["code", "rodata", "data", "bss", "other"]
    alloc: bool  # occupies target memory (SHF_ALLOC)


@dataclass(frozen=True)
class Symbol:
    name: str
    addr: int  # ARM functions: Thumb bit cleared
    size: int
    kind: Literal["func", "object", "other"]


@dataclass(frozen=True, eq=False)
class Firmware:
    """A loaded firmware image; build it with :func:`load_elf`."""

    path: Path
    arch: Literal["arm", "riscv"]
    entry: int  # e_entry as written; on ARM it has the Thumb bit set (Cortex-M boots via the vector table)
    segments: tuple[Segment, ...]
    sections: tuple[Section, ...]
    _symbols: tuple[Symbol, ...] = field(repr=False)
    _by_name: Mapping[str, int] = field(repr=False)
    _func_starts: tuple[int, ...] = field(repr=False)
    _funcs: tuple[tuple[int, int, str], ...] = field(repr=False)  # (start, end, name), sorted

    def symbol(self, name: str) -> int | None:
        """Address of ``name`` (a global wins over a same-named static), or None."""
        return self._by_name.get(name)

    def symbols(self) -> tuple[Symbol, ...]:
        """All named symbols, sorted by address (no section/file/mapping symbols)."""
        return self._symbols

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def function_at(self, addr: int) -> tuple[str, int] | None:
        """``(name, offset)`` of the function containing ``addr``, or None."""
        if self.arch == "arm":
            addr &= ~1  # accept LR/PC values with the Thumb bit set
        i = bisect.bisect_right(self._func_starts, addr) - 1
        # Walk back a little: a short symbol inside a bigger function may start later.
        for j in range(i, max(i - 8, -1), -1):
            start, end, name = self._funcs[j]
            if start <= addr < end:
                return name, addr - start
        return None


def load_elf(path: str | Path, expect_arch: str | None = None, *,
             platform_name: str | None = None) -> Firmware:
    """Load a firmware ELF. ``expect_arch`` ("arm"/"riscv") rejects the other kind;
    ``platform_name`` only makes that message name the platform."""
    if expect_arch not in (None, "arm", "riscv"):
        raise ValueError(f"expect_arch must be 'arm', 'riscv' or None, not {expect_arch!r}")
    path = Path(path)
    data = _read(path)
    arch = _check_ident(path, data, expect_arch, platform_name)
    try:
        return _parse(path, data, arch)
    except FirmwareError:
        raise
    except Exception as e:  # pyelftools: ELFError, ELFParseError, struct.error, construct, ValueError...
        raise _corrupt(path, f"{type(e).__name__}: {e}") from e


# --------------------------------------------------------------------------- checks


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FirmwareError(f"{path}: firmware file not found",
                            hint="build the firmware first, or check the path") from None
    except IsADirectoryError:
        raise FirmwareError(f"{path}: is a directory, not a firmware file",
                            hint="pass the ELF file the linker produced, e.g. build/firmware.elf") from None
    except OSError as e:
        raise FirmwareError(f"{path}: cannot read firmware file ({e.strerror or e})",
                            hint="check the file's permissions") from None


def _corrupt(path: Path, why: str) -> FirmwareError:
    return FirmwareError(f"{path}: corrupt or truncated ELF ({why})",
                         hint="rebuild the firmware; if it was copied, check the copy is complete")


def _check_ident(path: Path, data: bytes, expect: str | None, platform: str | None) -> str:
    """Check magic, class, byte order and machine; return "arm" or "riscv"."""
    if data[:4] != _MAGIC:
        if 0 < len(data) < 4 and _MAGIC.startswith(data):
            raise _corrupt(path, f"only {len(data)} bytes")
        raise FirmwareError(f"{path}: not an ELF file ({_looks_like(data)})",
                            hint="pass the ELF the linker produced (e.g. build/firmware.elf); "
                                 ".bin/.hex images have no load addresses or symbols")
    if len(data) < 20:
        raise _corrupt(path, f"only {len(data)} bytes, shorter than an ELF header")
    ei_class, ei_data = data[4], data[5]
    if ei_class not in (1, 2) or ei_data not in (1, 2):
        raise _corrupt(path, f"bad ELF class {ei_class} / byte order {ei_data}")
    (machine,) = struct.unpack_from("<H" if ei_data == 1 else ">H", data, 18)
    arch = {_EM_ARM: "arm", _EM_RISCV: "riscv"}.get(machine)
    if ei_class != 1 or arch is None or (expect is not None and arch != expect):
        name = _MACHINES.get(machine, f"machine {machine}")
        if ei_class == 2 and name not in ("x86-64", "AArch64", "PowerPC64"):
            name = f"64-bit {name}"
        who = f"platform {platform}" if platform else "tinysim"
        needs = _NEEDS[expect] if expect else "a 32-bit ARM (EM_ARM) or RISC-V (EM_RISCV)"
        hint_arch = expect or "arm"
        hint = (f"build it for the target with a cross toolchain (e.g. {_TOOLCHAIN[hint_arch]})"
                + (", or choose a platform with this architecture" if arch else ""))
        raise FirmwareError(f"{path}: {name} ELF, but {who} needs {needs} ELF", hint=hint)
    if ei_data != 1:
        raise FirmwareError(f"{path}: big-endian {_MACHINES[machine]} ELF; tinysim supports little-endian only",
                            hint="build little-endian firmware (the default for arm-none-eabi and riscv)")
    if len(data) < _ELF32_HEADER_SIZE:
        raise _corrupt(path, f"only {len(data)} bytes, shorter than an ELF32 header")
    return arch


def _looks_like(data: bytes) -> str:
    if not data:
        return "the file is empty"
    if data[:1] == b":":
        return "looks like Intel HEX"
    if data[:2] == b"S0":
        return "looks like Motorola S-record"
    if len(data) >= 8 and data[3] in (0x20, 0x10) and data[4] & 1:
        return "looks like a raw binary image (stack pointer + reset vector)"
    return f"starts with bytes {data[:4].hex(' ')}, not 7f 45 4c 46"


def _parse(path: Path, data: bytes, arch: str) -> Firmware:
    elf = ELFFile(io.BytesIO(data))
    h = elf.header
    if h["e_type"] == "ET_REL":
        raise FirmwareError(f"{path}: relocatable object file, not a linked firmware image",
                            hint="pass the linked executable (the linker's output, e.g. build/firmware.elf)")
    if h["e_type"] not in ("ET_EXEC", "ET_DYN"):
        raise FirmwareError(f"{path}: ELF of type {h['e_type']}, not an executable",
                            hint="pass the linked firmware executable")
    size = len(data)
    for what, off, num, entsize in (("program headers", h["e_phoff"], h["e_phnum"], h["e_phentsize"]),
                                    ("section headers", h["e_shoff"], h["e_shnum"], h["e_shentsize"])):
        if num and off + num * entsize > size:
            raise _corrupt(path, f"{what} end at byte {off + num * entsize} but the file has {size}")

    raw_segments = []
    segments: list[Segment] = []
    for i in range(elf.num_segments()):
        p = elf.get_segment(i).header
        if p["p_type"] != "PT_LOAD":
            continue
        off, filesz, memsz = p["p_offset"], p["p_filesz"], p["p_memsz"]
        if off + filesz > size:
            raise _corrupt(path, f"segment {i} needs bytes {off}..{off + filesz} but the file has {size}")
        if filesz > memsz or p["p_paddr"] + memsz > 1 << 32 or p["p_vaddr"] + memsz > 1 << 32:
            raise _corrupt(path, f"segment {i} has impossible sizes")
        raw_segments.append(p)
        if memsz:
            segments.append(Segment(p["p_paddr"], p["p_vaddr"], data[off:off + filesz], memsz, p["p_flags"]))
    if not any(seg.data for seg in segments):
        raise FirmwareError(f"{path}: no loadable (PT_LOAD) segments: nothing to put in memory",
                            hint="check the linker script maps the sections to MEMORY regions")

    sections: list[Section] = []
    symtab = None
    for i, sec in enumerate(elf.iter_sections()):
        if i == 0:
            continue  # the null section
        s = sec.header
        if s["sh_type"] != "SHT_NOBITS" and s["sh_offset"] + s["sh_size"] > size:
            raise _corrupt(path, f"section {sec.name or i} runs past the end of the file")
        if s["sh_type"] == "SHT_SYMTAB":
            symtab = sec
        flags = s["sh_flags"]
        alloc = bool(flags & SHF_ALLOC)
        if not alloc:
            kind = "other"
        elif flags & SHF_EXECINSTR:
            kind = "code"
        elif s["sh_type"] == "SHT_NOBITS":
            kind = "bss"
        elif flags & SHF_WRITE:
            kind = "data"
        else:
            kind = "rodata"
        load_addr = s["sh_addr"]
        if alloc and kind != "bss":
            load_addr = _lma(s, raw_segments)
        sections.append(Section(sec.name, s["sh_addr"], s["sh_size"], load_addr, kind, alloc))

    symbols, by_name, funcs = _symbols(symtab, arch, sections)
    return Firmware(
        path=path, arch=arch, entry=h["e_entry"], segments=tuple(segments), sections=tuple(sections),
        _symbols=symbols, _by_name=by_name,
        _func_starts=tuple(f[0] for f in funcs), _funcs=funcs,
    )


def _lma(s, segments) -> int:
    """Load address of a section: where the segment holding its bytes is loaded.

    Same test as binutils' ELF_SECTION_IN_SEGMENT: file bytes inside the
    segment's file image and run address inside its memory image.
    """
    addr, off, sz = s["sh_addr"], s["sh_offset"], s["sh_size"]
    for p in segments:
        if (p["p_offset"] <= off and off + sz <= p["p_offset"] + p["p_filesz"]
                and p["p_vaddr"] <= addr and addr + sz <= p["p_vaddr"] + p["p_memsz"]):
            return p["p_paddr"] + (addr - p["p_vaddr"])
    return addr


_BIND_RANK = {"STB_GLOBAL": 0, "STB_WEAK": 1}  # everything else (LOCAL) ranks 2


def _symbols(symtab, arch: str, sections: list[Section]):
    if symtab is None:  # stripped: no names, function_at finds nothing
        return (), {}, ()
    rows: list[tuple[Symbol, int]] = []
    for sym in symtab.iter_symbols():
        name = sym.name
        st_type = sym["st_info"]["type"]
        if (not name or sym["st_shndx"] == "SHN_UNDEF" or st_type in ("STT_SECTION", "STT_FILE")
                or name.startswith("$") or name.startswith(".L")):
            continue  # mapping symbols ($t/$d/$x...) and assembler locals are not names people want
        addr = sym["st_value"]
        kind = {"STT_FUNC": "func", "STT_OBJECT": "object"}.get(st_type, "other")
        if kind == "func" and arch == "arm":
            addr &= ~1
        rows.append((Symbol(name, addr, sym["st_size"], kind), _BIND_RANK.get(sym["st_info"]["bind"], 2)))

    by_name: dict[str, tuple[int, int]] = {}
    for s, rank in rows:
        if s.name not in by_name or rank < by_name[s.name][1]:
            by_name[s.name] = (s.addr, rank)
    symbols = tuple(sorted((s for s, _ in rows), key=lambda s: (s.addr, s.name)))

    # One entry per start address: prefer global, sized, then alphabetical (deterministic).
    fn = sorted(((s.addr, rank, s.size == 0, s.name, s.size) for s, rank in rows if s.kind == "func"))
    starts: list[tuple[int, str, int]] = []
    for addr, _rank, _nosize, name, size in fn:
        if not starts or starts[-1][0] != addr:
            starts.append((addr, name, size))
    code = sorted((s.addr, s.addr + s.size) for s in sections if s.alloc and s.kind == "code")
    funcs = []
    for i, (addr, name, size) in enumerate(starts):
        if size:
            end = addr + size
        else:  # hand-written assembly often lacks .size: run to the next function or section end
            nxt = starts[i + 1][0] if i + 1 < len(starts) else None
            sec_end = next((e for b, e in code if b <= addr < e), None)
            ends = [x for x in (nxt, sec_end) if x is not None]
            end = min(ends) if ends else addr
        funcs.append((addr, end, name))
    return symbols, {k: v[0] for k, v in by_name.items()}, tuple(funcs)
