"""ARM semihosting operations (also used by the RISC-V semihosting sequence, RV32 = AArch32)."""
from __future__ import annotations

from ..base import StopInfo

SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_CLOCK, SYS_TIME, SYS_ERRNO = 0x03, 0x04, 0x05, 0x10, 0x11, 0x13
SYS_EXIT, SYS_EXIT_EXTENDED, SYS_ELAPSED, SYS_TICKFREQ = 0x18, 0x20, 0x30, 0x31
ADP_STOPPED_APPLICATION_EXIT = 0x20026
ADP_STOPPED_RUNTIME_ERROR_UNKNOWN = 0x20023


def handle(m, op: int, param: int) -> tuple[int, StopInfo | None]:
    """Run one semihosting call; returns (value for r0/a0, stop or None)."""
    if op == SYS_WRITEC:
        m.emit_uart("semihosting", m.read(param, 1))
        return 0, None
    if op == SYS_WRITE0:
        out = bytearray()
        while len(out) < 1 << 16:
            chunk = m.read(param + len(out), 64)
            nul = chunk.find(0)
            if nul >= 0:
                out += chunk[:nul]
                break
            out += chunk
        m.emit_uart("semihosting", bytes(out))
        return 0, None
    if op == SYS_WRITE:
        fd, buf, n = (m.read_u32(param + 4 * i) for i in range(3))
        if fd in (1, 2):
            m.emit_uart("semihosting", m.read(buf, n))
            return 0, None
        return n, None
    if op == SYS_EXIT:
        code = 0 if param == ADP_STOPPED_APPLICATION_EXIT else 1
        return 0, StopInfo("exit", exit_code=code, detail=f"SYS_EXIT reason {param:#x}")
    if op == SYS_EXIT_EXTENDED:
        reason, sub = m.read_u32(param), m.read_u32(param + 4)
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
        t = m.cycles
        m.write_u32(param, t & 0xFFFFFFFF)
        m.write_u32(param + 4, t >> 32)
        return 0, None
    if op == SYS_TICKFREQ:
        return m.clock_hz, None
    return 0xFFFFFFFF, None                                 # unsupported: -1, as hosts do
