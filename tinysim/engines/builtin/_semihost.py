"""ARM semihosting operations (also used by the RISC-V semihosting sequence, RV32 = AArch32).

Every pointer and length comes from the firmware and may be garbage: memory is read only where
the platform has RAM or flash, and a bad pointer ends the run as a fault of the firmware naming
the call, the address and the PC (never an exception out of the engine).
"""
from __future__ import annotations

from ..base import Fault, StopInfo

SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_CLOCK, SYS_TIME, SYS_ERRNO = 0x03, 0x04, 0x05, 0x10, 0x11, 0x13
SYS_EXIT, SYS_EXIT_EXTENDED, SYS_ELAPSED, SYS_TICKFREQ = 0x18, 0x20, 0x30, 0x31
ADP_STOPPED_APPLICATION_EXIT = 0x20026
ADP_STOPPED_RUNTIME_ERROR_UNKNOWN = 0x20023
NAMES = {SYS_WRITEC: "SYS_WRITEC", SYS_WRITE0: "SYS_WRITE0", SYS_WRITE: "SYS_WRITE", SYS_CLOCK: "SYS_CLOCK",
         SYS_TIME: "SYS_TIME", SYS_ERRNO: "SYS_ERRNO", SYS_EXIT: "SYS_EXIT",
         SYS_EXIT_EXTENDED: "SYS_EXIT_EXTENDED", SYS_ELAPSED: "SYS_ELAPSED", SYS_TICKFREQ: "SYS_TICKFREQ"}
WRITE0_MAX = 1 << 16            # longest string SYS_WRITE0 prints


class BadPointer(Exception):
    def __init__(self, what: str, addr: int, size: int):
        super().__init__(what)
        self.what, self.addr, self.size = what, addr, size


def _span(m, addr: int, size: int, what: str, writable: bool = False) -> None:
    """Raise BadPointer unless [addr, addr+size) lies inside one RAM (or, to read, flash) region."""
    r = m.platform.region_at(addr)
    if r is None or addr + size > r.end or size < 0 or (writable and r.kind != "ram"):
        raise BadPointer(what, addr, size)


def _read(m, addr: int, size: int, what: str) -> bytes:
    _span(m, addr, size, what)
    return m.read(addr, size) if size else b""


def _u32(m, addr: int, what: str) -> int:
    return int.from_bytes(_read(m, addr, 4, what), "little")


def handle(m, op: int, param: int, pc: int | None = None) -> tuple[int, StopInfo | None]:
    """Run one semihosting call; returns (value for r0/a0, stop or None)."""
    try:
        return _handle(m, op, param)
    except BadPointer as e:
        name = NAMES.get(op, f"op {op:#x}")
        where = f" at PC {pc:#010x}" + (f" in {m.symbolize(pc)}" if m.symbolize(pc) else "") if pc is not None else ""
        regions = ", ".join(f"{r.name} {r.base:#010x}-{r.end:#010x}" for r in m.platform.memory)
        desc = (f"semihosting {name}{where}: {e.what} at {e.addr:#010x} ({e.size} bytes) is outside "
                f"the board's memory ({regions})")
        return 0xFFFFFFFF, StopInfo("fault", fault=Fault("semihosting-bad-pointer", desc, pc=pc or 0,
                                                         address=e.addr, function=m.symbolize(pc) if pc else None))


def _handle(m, op: int, param: int) -> tuple[int, StopInfo | None]:
    if op == SYS_WRITEC:
        m.emit_uart("semihosting", _read(m, param, 1, "the character pointer"))
        return 0, None
    if op == SYS_WRITE0:
        r = m.platform.region_at(param)
        if r is None:
            raise BadPointer("the string pointer", param, 1)
        # Read only what is mapped: a string may end at the last byte of RAM.
        data = m.read(param, min(r.end - param, WRITE0_MAX))
        nul = data.find(0)
        if nul < 0 and r.end - param <= WRITE0_MAX:
            raise BadPointer("the string (no NUL before the end of its memory)", param, len(data))
        m.emit_uart("semihosting", data[:nul] if nul >= 0 else data)
        return 0, None
    if op == SYS_WRITE:
        fd, buf, n = (_u32(m, param + 4 * i, "the parameter block") for i in range(3))
        if fd in (1, 2):
            m.emit_uart("semihosting", _read(m, buf, n, "the buffer"))
            return 0, None
        return n, None                                     # nothing written: n bytes left
    if op == SYS_EXIT:
        code = 0 if param == ADP_STOPPED_APPLICATION_EXIT else 1
        return 0, StopInfo("exit", exit_code=code, detail=f"SYS_EXIT reason {param:#x}")
    if op == SYS_EXIT_EXTENDED:
        reason, sub = _u32(m, param, "the parameter block"), _u32(m, param + 4, "the parameter block")
        if reason == ADP_STOPPED_APPLICATION_EXIT:
            code = sub & 0xFF if sub < 0x80000000 else (sub - (1 << 32)) & 0xFF
        else:
            code = 1
        return 0, StopInfo("exit", exit_code=code, detail="SYS_EXIT_EXTENDED")
    if op == SYS_CLOCK:
        return m.cycles * 100 // m.clock_hz, None          # centiseconds of virtual time
    if op == SYS_TIME:
        return 0, None
    if op == SYS_ERRNO:
        return 0, None
    if op == SYS_ELAPSED:
        _span(m, param, 8, "the result block", writable=True)
        t = m.cycles
        m.write_u32(param, t & 0xFFFFFFFF)
        m.write_u32(param + 4, (t >> 32) & 0xFFFFFFFF)
        return 0, None
    if op == SYS_TICKFREQ:
        return m.clock_hz, None
    counts = m.__dict__.setdefault("semihost_unsupported", {})
    counts[op] = counts.get(op, 0) + 1
    return 0xFFFFFFFF, None                                 # unsupported: -1, as hosts do


def notes(m) -> list[str]:
    """Report lines for what the firmware asked and tinysim could not do."""
    return [f"semihosting op {op:#x} not supported, called {n} time{'s' if n > 1 else ''}"
            for op, n in sorted(getattr(m, "semihost_unsupported", {}).items())]
