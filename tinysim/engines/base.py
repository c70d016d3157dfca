"""The engine contract: what every emulation engine offers, and how engines are found.

An engine loads a platform and a firmware image, runs it in virtual time, and reports what
happened as plain data. Optional abilities are capability flags, never checks on names.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable, ClassVar

from ..elf import Firmware
from ..errors import EngineError
from ..platform import Platform


@dataclass(frozen=True)
class Capabilities:
    snapshot: bool = False          # snapshot()/restore()
    single_step: bool = False       # step()
    exact_counters: bool = False    # DWT CYCCNT / mcycle exact at the reading instruction
    cycle_model: bool = False       # cycles estimated from a per-core timing table
    memory_peaks: bool = False      # stack high-water mark
    block_profile: bool = False     # per-address instruction and cycle counts
    sensor_streams: bool = False    # attach_stream() feeds emulated sensors
    region_paint: bool = False      # paint()/painted_peak(): how much of a RAM region was written
    function_watch: bool = False    # watch_function(): a callback at a function's entry
    code_costs: bool = False        # code_cost()/call_cost(): counts for straight-line code
    leds: bool = False              # leds(): board LEDs and their toggles
    call_profile: bool = False      # start_profile()/call_profile(): per-function calling contexts


@dataclass(frozen=True)
class Fault:
    """A firmware fault, decoded."""
    kind: str                       # "unmapped-read", "unmapped-write", "unmapped-fetch",
                                    # "illegal-instruction", "hardfault", "stack-overflow", "lockup"
    description: str                # one line for people
    pc: int
    address: int | None = None      # the data address involved, when there is one
    function: str | None = None     # "main+0x12"
    registers: dict = field(default_factory=dict)   # e.g. CFSR/HFSR/BFAR/MMFAR, mcause/mtval
    decoded: tuple[str, ...] = ()   # named bits of the fault status registers
    call_site: str | None = None    # caller ("LR" on Arm, ra on RISC-V) as function+offset


@dataclass(frozen=True)
class StopInfo:
    """Why run() returned."""
    reason: str                     # "exit", "fault", "idle", "hang", "time-limit", "wall-limit",
                                    # "breakpoint", "paused", "event"
    exit_code: int | None = None
    fault: Fault | None = None
    detail: str = ""


@dataclass(frozen=True)
class Counters:
    instructions: int
    cycles: int                     # estimated (timing table) unless the engine says otherwise
    virtual_time_s: float


UartListener = Callable[[str, bytes], None]     # (peripheral name, bytes)


class Engine(ABC):
    """One emulated board running one firmware image."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()
    wall_time_s: float = 0.0        # host seconds spent inside run() and step()
    _registry: ClassVar[dict[str, type["Engine"]]] = {}

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if getattr(cls, "name", None):
            Engine._registry[cls.name] = cls

    def __init__(self, platform: Platform, firmware: Firmware):
        self.platform = platform
        self.firmware = firmware
        self._uart_listeners: list[UartListener] = []

    # -- events -------------------------------------------------------------------------
    def on_uart(self, listener: UartListener) -> None:
        self._uart_listeners.append(listener)

    def _emit_uart(self, port: str, data: bytes) -> None:
        for fn in self._uart_listeners:
            fn(port, data)

    # -- running ------------------------------------------------------------------------
    @abstractmethod
    def run(self, *, max_time_s: float | None = None, wall_limit_s: float | None = None,
            until: Callable[[], bool] | None = None, for_time_s: float | None = None) -> StopInfo:
        """Run until the firmware exits, faults or idles, a limit passes, pause() is called,
        or ``until()`` (checked at events) returns true. Can be called again to continue.

        ``max_time_s`` caps the virtual time since boot; ``for_time_s`` runs for a span of
        virtual time from now (the earlier of the two wins)."""

    def pause(self) -> None:
        """Ask a running run() to return (thread-safe); it returns reason "paused"."""
        raise EngineError(f"the {self.name} engine cannot pause")

    def step(self, count: int = 1) -> StopInfo:
        raise EngineError(f"the {self.name} engine cannot single-step")

    def snapshot(self):
        raise EngineError(f"the {self.name} engine cannot take snapshots")

    def restore(self, snap) -> None:
        raise EngineError(f"the {self.name} engine cannot restore snapshots")

    # -- state --------------------------------------------------------------------------
    @abstractmethod
    def read_memory(self, addr: int, size: int) -> bytes: ...

    @abstractmethod
    def write_memory(self, addr: int, data: bytes) -> None: ...

    @abstractmethod
    def read_register(self, name: str) -> int: ...

    @abstractmethod
    def write_register(self, name: str, value: int) -> None: ...

    @abstractmethod
    def counters(self) -> Counters: ...

    def attach_stream(self, sensor: str, channel: str, data, rate_hz: float) -> None:
        """Feed ``data`` (samples x channels, physical units) at ``rate_hz`` to a sensor."""
        raise EngineError(f"the {self.name} engine cannot feed sensors")

    def sensor_report(self) -> dict:
        """Per sensor: {"lost_samples": n} (samples the firmware did not read in time)."""
        return {}

    def stack_peak(self) -> int | None:
        """Deepest stack use in bytes seen so far, where the engine can tell."""
        return None

    def first_fault(self) -> Fault | None:
        """The first fault the firmware took, even if its own handler then ran on (the run
        may end as "idle" or "hang" inside the handler)."""
        return None

    def leds(self) -> dict[str, dict]:
        """Per LED: {"on": bool, "toggles": n} (capability ``leds``)."""
        return {}

    def paint(self, lo: int, hi: int) -> None:
        """Fill RAM [lo, hi) with a marker so painted_peak() can later tell how much of it
        the firmware wrote (capability ``region_paint``)."""
        raise EngineError(f"the {self.name} engine cannot paint memory regions")

    def painted_peak(self, lo: int, hi: int) -> int:
        """Bytes of the painted region [lo, hi) the firmware used."""
        raise EngineError(f"the {self.name} engine cannot paint memory regions")

    def watch_function(self, name: str, callback: Callable[[int, int, tuple[int, ...]], None]) -> bool:
        """Call ``callback(instructions, cycles, (arg0, arg1, arg2))`` at each entry to function
        ``name``, with the counters exact there (capability ``function_watch``). False if the
        ELF has no such symbol."""
        raise EngineError(f"the {self.name} engine cannot watch functions")

    def start_profile(self) -> None:
        """Track calls and returns from now on (capability ``call_profile``)."""
        raise EngineError(f"the {self.name} engine cannot profile calls",
                          hint="run with the builtin engine for --profile")

    def call_profile(self) -> dict:
        """The calling-context tree since start_profile(), as plain data (see tinysim.profile)."""
        raise EngineError(f"the {self.name} engine cannot profile calls")

    def code_cost(self, addr: int, size: int) -> tuple[int, int]:
        """(instructions, cycles) of the code at [addr, addr+size) run once, straight through
        (capability ``code_costs``)."""
        raise EngineError(f"the {self.name} engine cannot cost code")

    def call_cost(self) -> tuple[int, int]:
        """(instructions, cycles) of one call instruction (BL on Arm, JAL on RISC-V)."""
        raise EngineError(f"the {self.name} engine cannot cost code")

    def count_notes(self) -> tuple[str, ...]:
        """Where this run's counts or counter reads are not exact, or cost more than usual,
        and why (one sentence each); empty when there is nothing to say."""
        return ()

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def engine_class(name: str) -> type[Engine]:
    from . import builtin  # noqa: F401  (registers itself)
    try:
        return Engine._registry[name]
    except KeyError:
        raise EngineError(f"no engine named {name!r}",
                          hint="available: " + ", ".join(sorted(Engine._registry))) from None
