"""The Python API. The CLI and the TUI are thin layers over these functions."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .elf import Firmware, load_elf
from .engines.base import Engine, StopInfo, engine_class
from .memory import memory_use
from .platform import Platform, load_platform
from .report import FaultReport, RunResult
from .timing import load_timing


def open_board(platform: str | Path | Platform, firmware: str | Path | Firmware,
               engine: str = "builtin") -> Engine:
    """Load a platform and an ELF into an engine, ready to run (use as a context manager)."""
    plat = platform if isinstance(platform, Platform) else load_platform(platform)
    fw = firmware if isinstance(firmware, Firmware) else load_elf(firmware, expect_arch=plat.arch)
    return engine_class(engine)(plat, fw)


class UartRecorder:
    """Collects UART output, and each completed line with the virtual time it ended at."""

    def __init__(self, eng: Engine):
        self.eng = eng
        self.data = bytearray()
        self.lines: list[tuple[float, str]] = []
        self._partial = bytearray()

    def __call__(self, port: str, data: bytes) -> None:
        self.data.extend(data)
        self._partial.extend(data)
        while b"\n" in self._partial:
            line, _, rest = bytes(self._partial).partition(b"\n")
            self.lines.append((round(self.eng.counters().virtual_time_s, 9),
                               line.decode("utf-8", "replace").rstrip("\r")))
            self._partial = bytearray(rest)


def run(platform: str | Path | Platform, firmware: str | Path | Firmware, *,
        engine: str = "builtin", max_time_s: float | None = None,
        wall_limit_s: float | None = None,
        on_uart: Callable[[str, bytes], None] | None = None,
        prepare: Callable[[Engine], None] | None = None) -> RunResult:
    """Boot ``firmware`` on ``platform`` and run it to its end or a limit; return the report.
    ``prepare(engine)`` runs before the first instruction (e.g. to attach sensor streams)."""
    with open_board(platform, firmware, engine) as eng:
        if prepare is not None:
            prepare(eng)
        return run_engine(eng, max_time_s=max_time_s, wall_limit_s=wall_limit_s, on_uart=on_uart)


def run_engine(eng: Engine, *, max_time_s=None, wall_limit_s=None, on_uart=None) -> RunResult:
    """Run a prepared engine to its end or a limit (Ctrl-C ends it as "interrupted"),
    recording the UART, and return the report."""
    uart = UartRecorder(eng)
    eng.on_uart(uart)
    if on_uart is not None:
        eng.on_uart(on_uart)
    try:
        stop = eng.run(max_time_s=max_time_s, wall_limit_s=wall_limit_s)
    except KeyboardInterrupt:
        stop = StopInfo("interrupted", detail="interrupted by the user")
    return make_result(eng, stop, bytes(uart.data), uart.lines)


def make_result(eng: Engine, stop: StopInfo, uart: bytes, lines=()) -> RunResult:
    plat, fw = eng.platform, eng.firmware
    mem = memory_use(fw, plat)
    c = eng.counters()
    wall = eng.wall_time_s
    region = mem.stack_region
    f = stop.fault or eng.first_fault()
    fault = None if not f else FaultReport(f.kind, f.description, f.pc, f.address, f.function,
                                          f.call_site, dict(f.registers), tuple(f.decoded))
    leds = eng.leds()
    return RunResult(
        platform=plat.name, engine=eng.name, firmware=str(fw.path), exit_reason=stop.reason,
        exit_code=stop.exit_code, detail=stop.detail, uart=uart.decode("utf-8", "replace"),
        instructions=c.instructions, cycles=c.cycles,
        cycles_estimated=eng.capabilities.cycle_model, timing_model=plat.timing,
        clock_hz=plat.clock_hz, virtual_time_s=c.virtual_time_s, wall_time_s=wall,
        mips=(c.instructions / wall / 1e6) if wall > 0 else 0.0,
        flash_bytes=mem.flash_bytes, ram_static_bytes=mem.ram_static_bytes,
        stack_peak_bytes=eng.stack_peak(),
        stack_size_bytes=(region[1] - region[0]) if region else None,
        fault=fault, leds=leds, sensors=eng.sensor_report(), uart_lines=tuple(lines),
        notes=eng.count_notes(),
        timing_checked=load_timing(plat.timing).silicon_summary() if eng.capabilities.cycle_model else "")
