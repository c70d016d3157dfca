"""Peripheral models of the built-in engine, behind the real chips' register maps.

Each model registers itself by its ``model`` name (the name platform files use). Python runs
only when firmware touches a register, never per instruction.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, ClassVar

from ....errors import EngineError

if TYPE_CHECKING:
    from .. import Machine
    from ....platform import Peripheral as PeripheralSpec

MODELS: dict[str, type["Peripheral"]] = {}


class Peripheral:
    model: ClassVar[str] = ""
    FAST: ClassVar[tuple[int, ...]] = ()
    """Word offsets of registers whose reads have no side effects and do not depend on time
    (GPIO input, event and status flags): the native side answers reads of them from a
    shadow copy, so firmware polling them runs without a trip through Python. The shadow
    is refreshed by ``changed()`` after every access the model handles and before each run
    slice; a model whose state changes otherwise (an input pin driven by another model)
    calls ``changed()`` itself."""
    STORE: ClassVar[tuple[int, ...]] = ()
    """Word offsets of registers whose writes only keep the value (configuration: addresses,
    pointers, counts, a baud rate) and whose reads give it back: written and read natively in
    the shadow table, which holds them (``self.regs`` reads and writes them there), so setting
    up a transfer costs no trip through Python per register."""
    TIME: ClassVar[dict[int, int]] = {}
    """Word offsets of the low and high words of a counter that runs with virtual time (the
    CLINT's mtime), as ``_native.TIME_LO``/``TIME_HI``: firmware polls such counters in delay
    loops, so the native side reads them at the cycle of the reading instruction from
    ``timer()`` where the block has a single memory access, and asks ``read()`` otherwise."""

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.model:
            MODELS[cls.model] = cls

    def __init__(self, machine: "Machine", spec: "PeripheralSpec"):
        self.m = machine
        self.name = spec.name
        self.base = spec.base
        self.size = spec.size
        self.irq = spec.irq
        self.options = dict(spec.options or {})
        self.regs: dict[int, int] = {}
        self._shadow = None           # (memoryview of the native table, first word) once mapped
        self._timer = None            # the native mapping that reads TIME words, once mapped

    def changed(self) -> None:
        """Push the current values of the FAST registers to the native shadow."""
        if self._shadow is not None:
            table, first = self._shadow
            for off in self.FAST:
                table[first + (off >> 2)] = self.read(off, 4) & 0xFFFFFFFF
        if self._timer is not None:
            self._timer.set_timer(*self.timer())

    def timer(self) -> tuple[int, int, int]:
        """(num, den, offset): the TIME counter reads floor(cycle * num / den) + offset."""
        raise NotImplementedError

    def touched(self, offset: int, write: bool) -> None:
        """The firmware accessed ``offset`` through Python: refresh the shadow if that can
        have changed a FAST register. Models narrow this down where it is known."""
        self.changed()

    def read(self, offset: int, size: int) -> int:
        return self.regs.get(offset, 0)

    def write(self, offset: int, size: int, value: int) -> None:
        self.regs[offset] = value

    # Snapshots copy the model's own state; configuration and the machine are shared.
    _SHARED = ("m", "options", "name", "base", "size", "irq", "_shadow", "_timer")

    def keep_stored_natively(self, table, first: int) -> None:
        """The STORE registers move into the native table (word ``first`` is offset 0)."""
        self.regs = NativeRegs(self.regs, table, first, self.STORE)

    def get_state(self) -> dict:
        return {k: (dict(v.levels) if isinstance(v, GpioLeds) else copy.deepcopy(v))
                for k, v in vars(self).items()
                if k not in self._SHARED and k not in ("event", "devices")}

    def set_state(self, state: dict) -> None:
        native = self.regs if isinstance(self.regs, NativeRegs) else None
        for k, v in state.items():
            cur = getattr(self, k, None)
            if isinstance(cur, GpioLeds):
                cur.levels = dict(v)
            else:
                setattr(self, k, copy.deepcopy(v))
        if native is not None and not isinstance(self.regs, NativeRegs):
            self.keep_stored_natively(native.table, native.first)


class NativeRegs(dict):
    """A model's registers where the STORE ones live in the native MMIO table (firmware writes
    them there without Python); the others are plain dict entries. A copy (snapshots) is a
    plain dict of all of them."""

    def __init__(self, regs: dict, table, first: int, store):
        super().__init__({k: v for k, v in regs.items() if k not in store})
        self.table, self.first, self.store = table, first, frozenset(store)
        for off in self.store:
            table[first + off // 4] = regs.get(off, 0) & 0xFFFFFFFF

    def __getitem__(self, off):
        if off in self.store:
            return self.table[self.first + off // 4]
        return super().__getitem__(off)

    def get(self, off, default=None):
        if off in self.store:
            return self.table[self.first + off // 4]
        return super().get(off, default)

    def __setitem__(self, off, value):
        if off in self.store:
            self.table[self.first + off // 4] = value & 0xFFFFFFFF
        else:
            super().__setitem__(off, value)

    def __contains__(self, off):
        return off in self.store or super().__contains__(off)

    def __deepcopy__(self, memo):
        return {**dict(self.items()), **{off: self.table[self.first + off // 4] for off in self.store}}


class NordicEvents:
    """nRF52 convention: EVENTS_x registers from 0x100, and INTEN bit n is the event at
    0x100 + 4n; an event whose bit is enabled raises the peripheral's IRQ."""
    INTEN, INTENSET, INTENCLR = 0x300, 0x304, 0x308
    inten = 0

    def touched(self, off: int, write: bool) -> None:
        # Events change only in tasks (and their shorts) and when firmware clears them;
        # reads and configuration writes (INTEN, SHORTS, ENABLE, pointers) leave them be.
        if write and (off < 0x200 or off in self.FAST):
            self.changed()

    def read_inten(self, off: int) -> int | None:
        return self.inten if off in (self.INTEN, self.INTENSET, self.INTENCLR) else None

    def write_inten(self, off: int, value: int) -> bool:
        if off == self.INTEN:
            self.inten = value
        elif off == self.INTENSET:
            self.inten |= value
        elif off == self.INTENCLR:
            self.inten &= ~value
        else:
            return False
        return True

    def _event(self, off: int) -> None:
        self.regs[off] = 1
        if self.inten >> ((off - 0x100) // 4) & 1 and self.irq is not None:
            self.m.raise_irq(self.irq)


class BusMaster:
    """A bus controller with sensor devices on it (``options: {devices: [{name, model,
    address}]}``); snapshots include the devices' state."""

    def _make_devices(self) -> dict:
        from .sensors import SENSORS
        devices = {}
        for d in self.options.get("devices", ()):
            cls = SENSORS.get(d["model"])
            if cls is None:
                raise EngineError(f"{self.name}: no I2C device model {d['model']!r}",
                                  hint="models: " + ", ".join(sorted(SENSORS)))
            devices[int(d["address"])] = cls(self.m, d["name"], int(d["address"]), dict(d))
        return devices

    def get_state(self):
        st = super().get_state()
        st["devices"] = {a: d.get_state() for a, d in self.devices.items()}
        return st

    def set_state(self, state):
        state = dict(state)
        for a, d in state.pop("devices").items():
            self.devices[a].set_state(d)
        super().set_state(state)


def create(machine: "Machine", spec: "PeripheralSpec") -> Peripheral:
    from . import fe310, memsys, nrf52840  # noqa: F401  (register the models)
    from .. import riscv  # noqa: F401  (the CLINT lives with the RISC-V core)
    cls = MODELS.get(spec.model)
    if cls is None:
        raise EngineError(f"peripheral {spec.name!r}: no model named {spec.model!r} in the built-in engine",
                          hint="models: " + ", ".join(sorted(MODELS)))
    return cls(machine, spec)


class GpioLeds:
    """Turns pin levels into LED on/off events for the platform's LEDs on one GPIO port."""

    def __init__(self, machine: "Machine", port_name: str):
        self.m = machine
        self.leds = [led for led in machine.platform.leds if led.peripheral == port_name]
        self.levels: dict[int, int] = {}

    def update(self, out: int) -> None:
        for led in self.leds:
            level = (out >> led.pin) & 1
            if self.levels.get(led.pin) != level:
                self.levels[led.pin] = level
                self.m.led_changed(led.name, bool(level) != led.active_low)
