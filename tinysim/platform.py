"""Boards as validated data.

A platform file (``platforms/<board>.yaml``) says what the emulator must build:
the core, its clock, the memory map, the peripherals and the board's LEDs.
:class:`PlatformSpec` (pydantic) is the single declaration of what such a file
may contain; every model forbids unknown keys so a typo is an error, not a
silently ignored setting. The JSON Schema in ``tinysim/schemas`` is generated
from it (``python -m tinysim.platform --schema``).

Validation runs in two passes: the shape (pydantic), then cross-field rules
(overlaps, arch/core agreement, LED wiring) that need the typed values. Each
pass reports *all* of its problems, each with file, line and key path.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from ._yaml import KeyPath, YamlDocument, dotted_path, load_yaml
from .errors import FirmwareError, PlatformError, Problem

__all__ = [
    "MemoryRegion",
    "Peripheral",
    "Led",
    "Platform",
    "PlatformSpec",
    "PLATFORMS_DIR",
    "load_platform",
    "list_platforms",
    "platform_schema",
]

# The repo root's platforms/; packaging for non-editable installs is handled elsewhere.
PLATFORMS_DIR = Path(__file__).resolve().parent.parent / "platforms"
if not PLATFORMS_DIR.is_dir():  # an installed wheel: the copy setup.py ships in tinysim/sdk/
    PLATFORMS_DIR = Path(__file__).resolve().parent / "sdk" / "platforms"

_ADDRESS_SPACE = 1 << 32  # every supported core is 32-bit

# --------------------------------------------------------------------------- numbers

_HEX = re.compile(r"0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*")
_SIZE = re.compile(r"(?P<num>[0-9]+)\s*(?P<unit>[KMG])(?:i?B)?", re.IGNORECASE)
_FREQ = re.compile(r"(?P<num>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>[kMG]?)Hz", re.IGNORECASE)
_SIZE_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
_FREQ_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}


def _fail(text: str) -> PydanticCustomError:
    # The text goes through the context so braces in user input can't break formatting.
    return PydanticCustomError("tinysim_value", "{text}", {"text": text})


def _plain_int(value: Any, what: str, example: str) -> int | None:
    """int for an int or a hex string; None if it is neither."""
    if isinstance(value, bool):
        raise _fail(f"expected {what} like {example}, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise _fail(f"{what} must not be negative, got {value}")
        return value
    if isinstance(value, str):
        text = value.strip()
        if _HEX.fullmatch(text):
            return int(text, 16)
    return None


def _address(value: Any) -> int:
    n = _plain_int(value, "an address", "0x20000000")
    if n is None:
        raise _fail(f"{value!r} is not a valid address: write an integer or hex like 0x20000000")
    return n


def _size(value: Any) -> int:
    n = _plain_int(value, "a size", "0x1000, 256K or 1M")
    if n is None and isinstance(value, str) and (m := _SIZE.fullmatch(value.strip())):
        n = int(m["num"]) * _SIZE_UNITS[m["unit"].lower()]
    if n is None:
        raise _fail(f"{value!r} is not a valid size: write an integer, hex like 0x1000, "
                    "or a size like 256K / 1M (K = 1024 bytes)")
    return n


def _frequency(value: Any) -> int:
    n = _plain_int(value, "a frequency", "64MHz")
    if n is None and isinstance(value, str) and (m := _FREQ.fullmatch(value.strip())):
        hz = float(m["num"]) * _FREQ_UNITS[m["unit"].lower()]
        if hz.is_integer():
            n = int(hz)
    if n is None:
        raise _fail(f"{value!r} is not a valid frequency: write Hz as an integer, "
                    "or with a unit like 64MHz, 320 MHz or 32.768kHz")
    return n


_NONNEG_INT = {"type": "integer", "minimum": 0}
Address = Annotated[int, BeforeValidator(_address), WithJsonSchema({
    "anyOf": [_NONNEG_INT, {"type": "string", "pattern": "^0[xX][0-9a-fA-F](_?[0-9a-fA-F])*$"}],
    "description": "Address: integer or hex string, e.g. 0x20000000.",
})]
Size = Annotated[int, BeforeValidator(_size), WithJsonSchema({
    "anyOf": [_NONNEG_INT, {"type": "string",
                            "pattern": "^(0[xX][0-9a-fA-F](_?[0-9a-fA-F])*|[0-9]+ *[KkMmGg]([iI]?[bB])?)$"}],
    "description": "Size in bytes: integer, hex, or with a suffix (256K, 1M; K = 1024).",
})]
Frequency = Annotated[int, BeforeValidator(_frequency), WithJsonSchema({
    "anyOf": [_NONNEG_INT, {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)? *[kKmMgG]?[hH][zZ]$"}],
    "description": "Frequency: Hz as an integer, or with a unit, e.g. 64MHz.",
})]

_IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"
_BOARD = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_MODEL = r"^[a-z0-9_]+(\.[a-z0-9_]+)+$"
_CORE = r"^[a-z0-9][a-z0-9+_-]*$"
# Human wording for pydantic's "String should match pattern ..." errors.
_PATTERN_HELP = {
    _IDENT: "must be an identifier (letters, digits and _, not starting with a digit)",
    _BOARD: "must be letters, digits, '_', '.' or '-'",
    _MODEL: "must be an emulator model name like nrf52840.gpio (vendor.block)",
    _CORE: "must be a lower-case core name like cortex-m4f or e31",
}
Ident = Annotated[str, Field(pattern=_IDENT)]


# --------------------------------------------------------------------------- the model


class _Strict(BaseModel):
    # strict: no silent "13" -> 13 or "yes" -> True; our number types parse explicitly.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MemorySpec(_Strict):
    """One memory region."""

    name: Ident = Field(description="Region name, e.g. flash, ram.")
    kind: Literal["flash", "ram", "rom"] = Field(
        description="flash/rom hold code and initial data; ram is writable.")
    base: Address
    size: Size


class PeripheralSpec(_Strict):
    """One memory-mapped peripheral the emulator models."""

    name: Ident = Field(description="Instance name, e.g. uarte0.")
    model: str = Field(pattern=_MODEL, description="Emulator model, e.g. nrf52840.uarte.")
    base: Address
    size: Size
    irq: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="Interrupt line (NVIC IRQ number on ARM, PLIC source on RISC-V).")
    options: dict[str, Any] = Field(default_factory=dict,
                                    description="Model-specific settings, e.g. {port: 0}.")


class LedSpec(_Strict):
    """An LED wired to a GPIO pin."""

    name: Ident
    peripheral: Ident = Field(description="Name of the GPIO peripheral driving it.")
    pin: Annotated[int, Field(ge=0, le=31)]
    active_low: bool = Field(default=False, description="true if the LED lights when the pin is low.")


class PlatformSpec(_Strict):
    """A tinysim platform (board) file."""

    model_config = ConfigDict(title="tinysim platform")

    name: str | None = Field(default=None, pattern=_BOARD,
                             description="Board name; defaults to the file name without .yaml.")
    description: str = ""
    arch: Literal["arm", "riscv"]
    core: str = Field(pattern=_CORE, description="CPU core, e.g. cortex-m4f, e31.")
    chip: str | None = Field(default=None, pattern=_BOARD,
                             description="The SoC, e.g. nrf52840: its full peripheral address table in "
                                         "platforms/chips/<chip>.yaml names peripherals tinysim does not model.")
    clock_hz: Frequency = Field(description="Core clock, e.g. 64MHz.")
    timing: str = Field(min_length=1, description="Per-core timing table, e.g. cortex-m4, sifive-e31.")
    renode_platform: str | None = Field(default=None, min_length=1,
                                        description="Optional metadata: the Renode platform (.repl) "
                                                    "that models this board, for a Renode engine.")
    vector_table: Address | None = Field(default=None,
                                         description="ARM only: initial VTOR (usually 0).")
    reset_address: Address | None = Field(default=None,
                                          description="RISC-V only: where the core starts executing.")
    memory: list[MemorySpec] = Field(min_length=1)
    peripherals: list[PeripheralSpec] = Field(default_factory=list)
    leds: list[LedSpec] = Field(default_factory=list)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class MemoryRegion:
    name: str
    kind: Literal["flash", "ram", "rom"]
    base: int
    size: int

    @property
    def end(self) -> int:
        """One past the last byte."""
        return self.base + self.size

    def contains(self, addr: int) -> bool:
        return self.base <= addr < self.end


@dataclass(frozen=True)
class Peripheral:
    name: str
    model: str
    base: int
    size: int
    irq: int | None
    # Read-only view; excluded from the hash so Peripheral (and Platform) stay hashable.
    options: Mapping[str, Any] = field(default_factory=lambda: types.MappingProxyType({}), hash=False)

    @property
    def end(self) -> int:
        return self.base + self.size

    def contains(self, addr: int) -> bool:
        return self.base <= addr < self.end


@dataclass(frozen=True)
class Led:
    name: str
    peripheral: str
    pin: int
    active_low: bool


@dataclass(frozen=True)
class Platform:
    name: str
    description: str
    arch: Literal["arm", "riscv"]
    core: str
    clock_hz: int
    memory: tuple[MemoryRegion, ...]
    peripherals: tuple[Peripheral, ...]
    leds: tuple[Led, ...]
    reset_address: int | None  # RISC-V: where the core starts; ARM: None (vector table)
    vector_table: int | None  # ARM: initial VTOR; RISC-V: None
    timing: str
    renode_platform: str | None  # Renode's .repl for this board, if given (metadata)
    source: str  # absolute path of the file it came from
    chip: str | None = None

    def chip_peripherals(self) -> tuple["ChipPeripheral", ...]:
        """Every peripheral of the chip's memory map (platforms/chips/<chip>.yaml), if known."""
        return chip_table(self.chip, Path(self.source).parent) if self.chip else ()

    def check_stack(self, firmware: str, names: tuple[str, str], lo: int, hi: int) -> None:
        """The stack the ELF's symbols describe must lie in one RAM region (it is painted
        before boot to measure its peak)."""
        r = self.region_at(lo)
        if r is None or r.kind != "ram" or hi > r.end:
            rams = ", ".join(f"{m.name} {_rng(m.base, m.size)}" for m in self.memory if m.kind == "ram")
            raise FirmwareError(
                f"{firmware}: stack symbols {names[0]}={lo:#010x} and {names[1]}={hi:#010x} lie outside the "
                f"RAM of platform {self.name} ({rams})",
                hint="check the linker script's stack placement against the platform's memory map, "
                     "or build the firmware for this board")

    def unmodelled_at(self, addr: int) -> str | None:
        """'TIMER0 (0x40008000-0x40008fff) is a peripheral of the nRF52840 that tinysim does not
        model' for an address of a chip peripheral the board does not declare; else None."""
        if self.peripheral_at(addr) is not None or self.region_at(addr) is not None:
            return None
        for c in self.chip_peripherals():
            if c.base <= addr < c.base + c.size:
                desc = f", {c.description}" if c.description else ""
                return (f"{c.name} ({_rng(c.base, c.size)}{desc}) is a peripheral of the {self.chip} "
                        "that tinysim does not model")
        return None

    def region_at(self, addr: int) -> MemoryRegion | None:
        return next((r for r in self.memory if r.contains(addr)), None)

    def peripheral_at(self, addr: int) -> Peripheral | None:
        return next((p for p in self.peripherals if p.contains(addr)), None)

    def peripheral(self, name: str) -> Peripheral:
        for p in self.peripherals:
            if p.name == name:
                return p
        names = ", ".join(p.name for p in self.peripherals) or "none"
        raise PlatformError(f"platform {self.name} has no peripheral {name!r} (it has: {names})",
                            hint=f"add it to {self.source} or use one of the listed names")


# --------------------------------------------------------------------------- loading


def list_platforms() -> list[str]:
    """Names of the bundled boards (``platforms/*.yaml``), sorted."""
    if not PLATFORMS_DIR.is_dir():
        return []
    return sorted(p.stem for p in PLATFORMS_DIR.glob("*.yaml") if p.is_file())


def load_platform(name_or_path: str | Path) -> Platform:
    """Load a bundled board by name (``"nano33ble"``) or a platform YAML file by path.

    Raises PlatformError listing every problem in the file.
    """
    path, display = _resolve(name_or_path)
    doc = load_yaml(path, display=display, error=PlatformError)
    return _build(doc, path)


def _resolve(name_or_path: str | Path) -> tuple[Path, str]:
    text = str(name_or_path)
    is_path = (isinstance(name_or_path, Path) or "/" in text or os.sep in text
               or text.endswith((".yaml", ".yml")))
    if is_path:
        return Path(name_or_path), text
    path = PLATFORMS_DIR / f"{text}.yaml"
    if not path.is_file():
        boards = list_platforms()
        close = difflib.get_close_matches(text, boards, n=1)
        msg = f"unknown platform {text!r}"
        msg += f" (did you mean {close[0]!r}?)" if close else ""
        msg += f"; available: {', '.join(boards) or 'none'}"
        raise PlatformError(msg, hint=f"use one of the available names, or pass the path "
                                      f"of a platform .yaml file (bundled ones are in {PLATFORMS_DIR})")
    rel = os.path.relpath(path)
    return path, (str(path) if rel.startswith("..") else rel)


def _build(doc: YamlDocument, path: Path) -> Platform:
    try:
        spec = PlatformSpec.model_validate(doc.data if doc.data is not None else {})
    except ValidationError as e:
        problems = [_problem_from_pydantic(doc, err) for err in e.errors(include_url=False)]
        _raise(doc, problems)
    problems = [Problem(doc.file, doc.line(loc), dotted_path(loc), msg) for loc, msg in _check(spec)]
    if problems:
        _raise(doc, problems)
    return _to_platform(spec, path)


def _raise(doc: YamlDocument, problems: list[Problem]) -> typing.NoReturn:
    # Top to bottom, as the user reads the file; sort is stable within a line.
    problems = sorted(problems, key=lambda p: p.line if p.line is not None else 0)
    count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
    raise PlatformError(f"{doc.file}: {count}", problems,
                        hint="fix the listed keys; `python -m tinysim.platform --schema` "
                             "prints everything a platform file may contain")


def _to_platform(spec: PlatformSpec, path: Path) -> Platform:
    return Platform(
        name=spec.name or path.stem,
        description=spec.description.strip(),
        arch=spec.arch,
        core=spec.core,
        clock_hz=spec.clock_hz,
        memory=tuple(MemoryRegion(m.name, m.kind, m.base, m.size) for m in spec.memory),
        peripherals=tuple(
            Peripheral(p.name, p.model, p.base, p.size, p.irq, types.MappingProxyType(dict(p.options)))
            for p in spec.peripherals),
        leds=tuple(Led(l.name, l.peripheral, l.pin, l.active_low) for l in spec.leds),
        reset_address=spec.reset_address,
        vector_table=spec.vector_table,
        timing=spec.timing,
        renode_platform=spec.renode_platform,
        source=str(path.resolve()),
        chip=spec.chip,
    )


@dataclass(frozen=True)
class ChipPeripheral:
    name: str
    base: int
    size: int
    description: str = ""


_CHIP_CACHE: dict[Path, tuple[ChipPeripheral, ...]] = {}


def chip_table(chip: str, platforms_dir: Path | None = None) -> tuple[ChipPeripheral, ...]:
    """A chip's peripheral address table: data (name, base, size) from its reference manual,
    kept beside the platform files in ``chips/<chip>.yaml``. Missing or unreadable: empty."""
    for d in (platforms_dir, PLATFORMS_DIR):
        path = (d / "chips" / f"{chip}.yaml") if d else None
        if path is not None and path.is_file():
            break
    else:
        return ()
    if path not in _CHIP_CACHE:
        import yaml
        try:
            data = yaml.safe_load(path.read_text()) or {}
            items = data.get("peripherals", []) if isinstance(data, dict) else []
            _CHIP_CACHE[path] = tuple(ChipPeripheral(str(i["name"]), int(i["base"]), int(i["size"]),
                                                     str(i.get("description", "")))
                                      for i in items if isinstance(i, dict))
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError):
            _CHIP_CACHE[path] = ()
    return _CHIP_CACHE[path]


# --------------------------------------------------------------------------- pydantic errors -> Problems


def _problem_from_pydantic(doc: YamlDocument, err: Mapping[str, Any], root: Any = None) -> Problem:
    loc: KeyPath = tuple(err["loc"])
    kind, value = err["type"], err.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1], root or PlatformSpec)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        if close:
            msg = f"unknown key (did you mean '{close[0]}'?)"
        else:
            msg = f"unknown key; allowed here: {', '.join(allowed)}"
    elif kind == "missing":
        msg = "required key is missing"
    elif kind in ("model_type", "dict_type"):
        msg = f"expected a mapping (key: value lines), got {_type_name(value)}"
    elif kind == "list_type":
        msg = f"expected a list ('- ' items), got {_type_name(value)}"
    elif kind == "string_pattern_mismatch":
        help_ = _PATTERN_HELP.get(err.get("ctx", {}).get("pattern"), err["msg"])
        msg = f"{_short(value)} {help_}"
    elif kind == "tinysim_value":
        msg = err["msg"]
    else:
        text = err["msg"]
        if text.startswith("Input should be"):
            text = "must be" + text[len("Input should be"):]
        msg = f"{text}, got {_short(value)}"
    return Problem(doc.file, doc.line(loc), dotted_path(loc), msg)


def _allowed_keys(loc: KeyPath, root: Any = None) -> list[str]:
    """Field names of the model that sits at ``loc`` in ``root`` (a PlatformSpec by default)."""
    tp: Any = root or PlatformSpec
    for part in loc:
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
            tp = tp.model_fields[part].annotation if part in tp.model_fields else None
        elif typing.get_origin(tp) is list and isinstance(part, int):
            tp = typing.get_args(tp)[0]
        else:
            return []
        while typing.get_origin(tp) in (typing.Union, types.UnionType, Annotated):
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (empty)"
    return {dict: "a mapping", list: "a list", str: "text", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- cross-field rules

_ARM_CORE = re.compile(r"cortex-m(0|0\+|0plus|1|3|4|4f|7|7f|23|33|33f|35p|55|85)")
_RISCV_CORE = re.compile(r"e2[014]|e3[14]|rv32[a-z0-9_]*")
_VTOR_ALIGN = 128  # VTOR.TBLOFF starts at bit 7 on ARMv7-M/ARMv8-M
_PAGE = 0x1000     # the emulator maps memory in 4 KB pages
NVIC_IRQS = 64     # external interrupt lines the built-in engine's NVIC models
# Cores the built-in engine emulates (Unicorn's Cortex-M4 and SiFive E31 models).
SUPPORTED_CORES = {"arm": ("cortex-m4", "cortex-m4f"), "riscv": ("e31", "rv32imac")}


def _core_arch(core: str) -> str | None:
    if _ARM_CORE.fullmatch(core):
        return "arm"
    if _RISCV_CORE.fullmatch(core):
        return "riscv"
    return None


def _rng(base: int, size: int) -> str:
    return f"0x{base:08x}-0x{base + size - 1:08x}"


def _check(spec: PlatformSpec) -> list[tuple[KeyPath, str]]:
    """Rules that span fields; returns (key path, message) for every violation."""
    out: list[tuple[KeyPath, str]] = []

    core_arch = _core_arch(spec.core)
    if core_arch is None:
        out.append((("core",), f"unknown core {spec.core!r}: expected a Cortex-M core "
                               "(cortex-m0 ... cortex-m85, cortex-m4f) or a RISC-V one (e31, rv32imac, ...)"))
    elif core_arch != spec.arch:
        out.append((("arch",), f"arch is {spec.arch} but core {spec.core} is a "
                               f"{'RISC-V' if core_arch == 'riscv' else 'ARM'} core; set arch: {core_arch}"))
    elif spec.core not in SUPPORTED_CORES[core_arch]:
        # A known core the engine does not emulate would run on another core's instruction set.
        out.append((("core",), f"core {spec.core!r} is not emulated by tinysim: the built-in engine runs "
                               f"{' and '.join(SUPPORTED_CORES[core_arch])} ({core_arch})"))

    for i, m in enumerate(spec.memory):
        if m.base % _PAGE:
            out.append((("memory", i, "base"), f"0x{m.base:x} is not aligned to {_PAGE // 1024} KB (0x{_PAGE:x}): "
                                               "the emulator maps memory in pages; memories on real chips "
                                               "start on such a boundary (e.g. 0x20000000)"))

    # IRQ numbers: NVIC lines on ARM, PLIC sources (1..n, 0 means none) on RISC-V.
    plic = next((p for p in spec.peripherals if p.model == "sifive.plic"), None)
    sources = int(plic.options.get("sources", 52)) if plic is not None else None
    for i, p in enumerate(spec.peripherals):
        if p.irq is None or p.model == "sifive.plic":
            continue
        if spec.arch == "arm" and p.irq >= NVIC_IRQS:
            out.append((("peripherals", i, "irq"), f"IRQ {p.irq} is beyond the {NVIC_IRQS} interrupt lines "
                                                   f"tinysim's NVIC models (0-{NVIC_IRQS - 1})"))
        elif spec.arch == "riscv" and sources is not None and not 1 <= p.irq <= sources:
            out.append((("peripherals", i, "irq"), f"PLIC source {p.irq} is outside 1-{sources} "
                                                   f"(the {plic.name} has {sources} sources; 0 means none)"))

    # Names share one namespace: the emulator puts memory and peripherals on one bus.
    seen: dict[str, str] = {}
    for list_name, items in (("memory", spec.memory), ("peripherals", spec.peripherals)):
        for i, item in enumerate(items):
            if item.name in seen:
                out.append(((list_name, i, "name"), f"name {item.name!r} is already used by {seen[item.name]}"))
            else:
                seen[item.name] = f"{list_name}[{i}]"

    placed: list[tuple[str, int, int]] = []  # (label, base, size) of everything mapped so far
    for list_name, items in (("memory", spec.memory), ("peripherals", spec.peripherals)):
        for i, item in enumerate(items):
            if item.size == 0:
                out.append(((list_name, i, "size"), "size must be greater than 0"))
                continue
            if item.base + item.size > _ADDRESS_SPACE:
                out.append(((list_name, i, "size"),
                            f"0x{item.base:x} + 0x{item.size:x} runs past the 32-bit address space"))
                continue
            for label, base, size in placed:
                if item.base < base + size and base < item.base + item.size:
                    out.append(((list_name, i, "base"),
                                 f"{item.name} ({_rng(item.base, item.size)}) overlaps {label} "
                                 f"({_rng(base, size)})"))
                    break
            placed.append((f"{list_name}[{i}] {item.name}", item.base, item.size))

    if not any(m.kind == "ram" for m in spec.memory):
        out.append((("memory",), "no region of kind ram: firmware needs RAM for its stack and data"))

    def in_memory(addr: int) -> bool:
        return any(m.base <= addr < m.base + m.size for m in spec.memory)

    if spec.arch == "arm":
        if spec.reset_address is not None:
            out.append((("reset_address",), "ARM cores start from the vector table; "
                                            "remove reset_address and set vector_table"))
        if spec.vector_table is None:
            out.append((("vector_table",), "required for arch arm (the initial VTOR, usually 0)"))
        elif not in_memory(spec.vector_table):
            out.append((("vector_table",), f"0x{spec.vector_table:x} is not inside any memory region"))
        elif spec.vector_table % _VTOR_ALIGN:
            out.append((("vector_table",), f"0x{spec.vector_table:x} is not {_VTOR_ALIGN}-byte aligned "
                                           "as VTOR requires"))
    else:
        if spec.vector_table is not None:
            out.append((("vector_table",), "RISC-V cores have no vector table; "
                                           "remove vector_table and set reset_address"))
        if spec.reset_address is None:
            out.append((("reset_address",), "required for arch riscv (where the core starts executing)"))
        elif not in_memory(spec.reset_address):
            out.append((("reset_address",), f"0x{spec.reset_address:x} is not inside any memory region"))
        elif spec.reset_address % 2:
            out.append((("reset_address",), f"0x{spec.reset_address:x} is not 2-byte aligned"))

    models = {p.name: p.model for p in spec.peripherals}
    led_names: set[str] = set()
    for i, led in enumerate(spec.leds):
        if led.name in led_names:
            out.append((("leds", i, "name"), f"LED name {led.name!r} is used twice"))
        led_names.add(led.name)
        if led.peripheral not in models:
            gpios = [n for n, m in models.items() if _is_gpio(m)]
            out.append((("leds", i, "peripheral"),
                        f"no peripheral named {led.peripheral!r}; GPIO peripherals: {', '.join(gpios) or 'none'}"))
        elif not _is_gpio(models[led.peripheral]):
            out.append((("leds", i, "peripheral"),
                        f"{led.peripheral} is a {models[led.peripheral]}, not a GPIO peripheral"))
    return out


def _is_gpio(model: str) -> bool:
    return "gpio" in model.rsplit(".", 1)[-1]


# --------------------------------------------------------------------------- schema / CLI


def platform_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) for platform files, generated from PlatformSpec."""
    schema = PlatformSpec.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text() -> str:
    """The schema exactly as committed in tinysim/schemas/platform.schema.json."""
    return json.dumps(platform_schema(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinysim.platform",
                                     description="Check platform files or print their JSON Schema.")
    parser.add_argument("--schema", action="store_true", help="print the JSON Schema and exit")
    parser.add_argument("platforms", nargs="*", help="board names or .yaml paths to check")
    args = parser.parse_args(argv)
    if args.schema:
        sys.stdout.write(schema_text())
        return 0
    status = 0
    for item in args.platforms or list_platforms():
        try:
            p = load_platform(item)
        except PlatformError as e:
            print(e, file=sys.stderr)
            status = 1
        else:
            print(f"{p.name}: ok ({p.core}, {len(p.memory)} regions, {len(p.peripherals)} peripherals)")
    return status


if __name__ == "__main__":
    sys.exit(main())
