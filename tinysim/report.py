"""Results as plain data. Renderers (terminal, JSON, JUnit, TUI) read these objects."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

# Process exit codes of `tinysim run` for ends other than the firmware's own exit.
EXIT_USAGE = 2          # bad input: platform, firmware, options
EXIT_BREAKPOINT = 5
EXIT_FAULT = 70         # the firmware faulted (EX_SOFTWARE)
EXIT_WALL_LIMIT = 124   # the wall-clock limit passed (as timeout(1))
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class FaultReport:
    kind: str
    description: str
    pc: int
    address: int | None
    function: str | None
    call_site: str | None
    registers: dict
    decoded: tuple[str, ...]


@dataclass(frozen=True)
class RunResult:
    platform: str
    engine: str
    firmware: str
    exit_reason: str            # exit, fault, idle, hang, time-limit, wall-limit, breakpoint, interrupted
    exit_code: int | None       # the firmware's own exit code, when it exited
    detail: str
    uart: str
    instructions: int
    cycles: int
    cycles_estimated: bool      # cycles come from a timing table, not silicon
    timing_model: str
    clock_hz: int
    virtual_time_s: float
    wall_time_s: float
    mips: float
    flash_bytes: int
    ram_static_bytes: int
    stack_peak_bytes: int | None
    stack_size_bytes: int | None
    fault: FaultReport | None = None
    leds: dict = field(default_factory=dict)       # name -> {"on": bool, "toggles": int}
    sensors: dict = field(default_factory=dict)    # name -> {"lost_samples": int}
    uart_lines: tuple = ()                         # (virtual time s, line) per completed line
    notes: tuple = ()                              # where figures are not exact (or cost more), why
    timing_checked: str = ""                       # the timing model against silicon (TimingTable.silicon_summary)

    @property
    def process_exit_code(self) -> int:
        if self.exit_reason == "exit":
            return self.exit_code or 0
        return {"fault": EXIT_FAULT, "wall-limit": EXIT_WALL_LIMIT, "breakpoint": EXIT_BREAKPOINT,
                "interrupted": EXIT_INTERRUPTED}.get(self.exit_reason, 0)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["fault"] = None if self.fault is None else asdict(self.fault)
        if d["fault"]:
            d["fault"]["decoded"] = list(self.fault.decoded)
        return d
