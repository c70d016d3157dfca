"""Data-dependent divide timing: registers the native hook (``_divtime.c``) on each divide.

The divides are found once, when the firmware is loaded, by their encodings in its
executable segments (at the load and the run address): data that happens to look like a
divide never executes, so a spurious hook never fires. Code generated at run time is not
scanned: its divides cost their static table figure.
"""
from __future__ import annotations

import ctypes

import numpy as np

from ...errors import EngineError
from . import _native as N

# Table header and record layout (mirrored in _divtime.c).
(D_MAIN, D_REG_READ, D_BASE, D_EXTRA, D_COUNT, D_I_CYCLES, D_I_STOP, D_STOP_SKIP, D_I_LAST_ADDR,
 D_I_NREG, D_I_REGION0, D_I_TABLES0, D_NFIELDS, D_F_ACC_C) = range(14)
D_REC0 = 16
R_BACK, R_KIND, R_RN, R_RM, R_HIDE, R_FIELDS = range(6)
K_UDIV, K_SDIV, K_DIV, K_DIVU, K_REM, K_REMU = range(6)
_RV_KIND = {4: K_DIV, 5: K_DIVU, 6: K_REM, 7: K_REMU}      # funct3 of the M extension's divides


def _native():
    try:
        from . import _divtime
    except ImportError as e:
        raise EngineError(
            f"the built-in engine's native divide timing is not built ({e})",
            hint="install tinysim with pip so its C extensions are compiled: "
                 "`pip install -e .` in the source tree (needs gcc and the Python headers)") from None
    return _divtime


def cycles(kind: int, a: int, b: int, base: int = 0, hide: int = 0) -> int:
    """Cycles a divide of ``a`` by ``b`` adds beyond what its block already charged: the
    native rule itself (Cortex-M4 kinds: beyond ``base``; E31 kinds: the latency beyond
    ``hide``)."""
    return _native().cycles(kind, a & 0xFFFFFFFF, b & 0xFFFFFFFF, base, hide)


def find_thumb(data: bytes, base: int) -> list[tuple[int, int, int, int]]:
    """(address, kind, Rn, Rm) of each T32 SDIV/UDIV encoding at a halfword boundary:
    1111 1011 1001 Rn | 1111 Rd 1111 Rm (SDIV), 1111 1011 1011 Rn | ... (UDIV)."""
    n = len(data) // 2
    if n < 2:
        return []
    hw = np.frombuffer(data[:2 * n], dtype="<u2")
    hits = np.nonzero(((hw[:-1] & 0xFFD0) == 0xFB90) & ((hw[1:] & 0xF0F0) == 0xF0F0))[0]
    return [(base + 2 * int(i), K_UDIV if hw[i] & 0x20 else K_SDIV, int(hw[i] & 0xF), int(hw[i + 1] & 0xF))
            for i in hits]


def find_riscv(data: bytes, base: int) -> list[tuple[int, int, int, int]]:
    """(address, kind, rs1, rs2) of each RV32M DIV/DIVU/REM/REMU (OP, funct7 = 1, funct3 4..7)
    at a halfword boundary (RVC code)."""
    n = len(data) // 2
    if n < 2:
        return []
    hw = np.frombuffer(data[:2 * n], dtype="<u2").astype(np.uint32)
    w = hw[:-1] | (hw[1:] << 16)
    hits = np.nonzero((w & 0xFE00407F) == 0x02004033)[0]
    return [(base + 2 * int(i), _RV_KIND[(int(w[i]) >> 12) & 7], (int(w[i]) >> 15) & 31, (int(w[i]) >> 20) & 31)
            for i in hits]


class DivideTiming:
    """The native code hooks that time each divide by its operands (one per divide address)."""

    def __init__(self, machine, reg_ids: list[int]):
        from unicorn import UC_HOOK_CODE
        from unicorn.unicorn_py3.arch.types import uc_hook_h
        from unicorn.unicorn_py3.unicorn import uclib
        m = machine
        arm = m.platform.arch == "arm"
        find = find_thumb if arm else find_riscv
        found: dict[int, tuple[int, int, int]] = {}
        code: dict[int, bytes] = {}          # the bytes from each divide on (E31 decode)
        for seg in m.firmware.segments:
            if not seg.flags & 1:
                continue
            data = bytes(seg.data)
            for base in {seg.paddr, seg.vaddr}:
                for addr, kind, rn, rm in find(data, base):
                    found[addr] = (kind, rn, rm)
                    code[addr] = data[addr - base:addr - base + 64]
        self.addresses = tuple(sorted(found))
        counter = m.counter
        self.table = np.zeros(D_REC0 + R_FIELDS * len(found), dtype=np.int64)
        t = self.table
        t[D_MAIN] = counter.buf.ctypes.data
        t[D_REG_READ] = ctypes.cast(uclib.uc_reg_read, ctypes.c_void_p).value
        t[D_BASE] = m.timing.cost("udiv" if arm else "div")
        t[D_I_CYCLES], t[D_I_STOP], t[D_STOP_SKIP] = N.CYCLES, N.STOP, N.STOP_DIV0
        t[D_I_LAST_ADDR], t[D_I_NREG], t[D_I_REGION0] = N.LAST_ADDR, N.NREG, N.REGION0
        t[D_I_TABLES0], t[D_NFIELDS], t[D_F_ACC_C] = N.TABLES0, N.N_TABLES, N.F_ACC_C
        hook = _native().addresses()["divide_hook"]
        self._handles = []
        for i, addr in enumerate(self.addresses):
            kind, rn, rm = found[addr]
            r = D_REC0 + R_FIELDS * i
            t[r + R_BACK], t[r + R_KIND] = r, kind
            t[r + R_RN], t[r + R_RM] = reg_ids[rn], reg_ids[rm]
            if not arm:
                t[r + R_HIDE] = m.decoder.divide_hide(code[addr], addr)
            h = uc_hook_h()
            err = uclib.uc_hook_add(m.uc._uch, ctypes.byref(h), UC_HOOK_CODE, ctypes.c_void_p(hook),
                                    ctypes.c_void_p(t.ctypes.data + 8 * r),
                                    ctypes.c_uint64(addr), ctypes.c_uint64(addr))
            if err:
                raise EngineError(f"could not hook the divide at {addr:#x} (Unicorn error {err})")
            self._handles.append(h)

    @property
    def extra_cycles(self) -> int:
        """Cycles the divides' operands added beyond their static costs, so far."""
        return int(self.table[D_EXTRA])

    @property
    def timed(self) -> int:
        """Divides executed (and timed) so far."""
        return int(self.table[D_COUNT])
