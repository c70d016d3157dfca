"""Native basic-block hook: exact instruction counts and estimated cycles.

Python never runs per executed block. The hook is C (``_hook.c``, compiled at install time)
registered with Unicorn directly; it reads and writes one shared int64 array:

    header | pending blocks | per-slot records (icount, cycles, block size, flags, accumulators)

A *slot* is a 2-byte granule of a code region (Thumb and RVC instructions are 2-byte
aligned). A block's costs are known once Python has decoded it; the first time a block
is seen (or seen with a different size, e.g. after a single step) the hook queues it and
stops Unicorn before the block runs; Python decodes it and emulation resumes.
"""
from __future__ import annotations

import ctypes

import numpy as np

from ...errors import EngineError

# Header words (mirrored in _hook.c). EMU_STOP holds uc_emu_stop's address for the hook;
# DIV_PC the address of a divide by zero the divide trap stopped at.
(INSNS, CYCLES, DEADLINE, STOP, LAST_ADDR, LAST_SIZE, NPEND, BLOCKS, NSLOTS, NREG, WATCH, EMU_STOP,
 DIV_PC) = range(13)
REGION0 = 16          # up to MAX_REGIONS x (base, size, first slot)
MAX_REGIONS = 5
PEND0 = 32            # pending (addr, size) pairs
MAX_PEND = 64
TABLES0 = PEND0 + 2 * MAX_PEND
N_TABLES = 6          # fields of a slot's record: ICNT, CYC, BSIZE, FLAGS, ACC_I, ACC_C
N_CODE = 4            # the first N_CODE fields describe code; the rest are counts

# STOP bits: why the hook asked Unicorn to stop.
STOP_DEADLINE, STOP_NEWBLOCK, STOP_SPIN, STOP_WATCH, STOP_DIV0 = 1, 2, 4, 8, 16
# FLAGS bits per block.
FLAG_SPIN = 1         # the block is a branch to itself: nothing but an exception can leave it
FLAG_WATCH = 2        # the block may unmask interrupts (cpsie, msr primask, csrs mstatus …)


def _addresses() -> dict[str, int]:
    try:
        from . import _hook
    except ImportError as e:
        raise EngineError(
            f"the built-in engine's native callbacks are not built ({e})",
            hint="install tinysim with pip so its C extension is compiled: "
                 "`pip install -e .` in the source tree (needs gcc and the Python headers)") from None
    return _hook.addresses()


def _emu_stop_address() -> int:
    from unicorn.unicorn_py3.unicorn import uclib
    return ctypes.cast(uclib.uc_emu_stop, ctypes.c_void_p).value


class BlockCounter:
    """Owns the shared array and registers the native hook on a Unicorn instance."""

    def __init__(self, regions: list[tuple[int, int]]):
        if len(regions) > MAX_REGIONS:
            raise ValueError(f"at most {MAX_REGIONS} code regions")
        nslots = sum((size + 1) >> 1 for _, size in regions)
        self.nslots = nslots
        self.buf = np.zeros(TABLES0 + N_TABLES * nslots, dtype=np.int64)
        self.hdr = self.buf[:TABLES0]
        self.hdr[NSLOTS] = nslots
        self.hdr[NREG] = len(regions)
        self.hdr[DEADLINE] = np.iinfo(np.int64).max
        first = 0
        self.regions = []
        for r, (base, size) in enumerate(regions):
            self.hdr[REGION0 + 3 * r: REGION0 + 3 * r + 3] = (base, size, first)
            self.regions.append((base, size, first))
            first += (size + 1) >> 1
        # One record per slot, so the hook touches one cache line per block; the names
        # below are strided views of one field across all records.
        self.records = self.buf[TABLES0:].reshape(nslots, N_TABLES)
        self.icnt, self.cyc, self.bsize, self.flags, self.acc_i, self.acc_c = self.records.T
        self._handle = None

    def attach(self, uc) -> None:
        from unicorn.unicorn_py3.arch.types import uc_hook_h
        from unicorn.unicorn_py3.unicorn import uclib
        from unicorn import UC_HOOK_BLOCK

        hook = _addresses()["block_hook"]
        self.hdr[EMU_STOP] = _emu_stop_address()
        h = uc_hook_h()
        err = uclib.uc_hook_add(uc._uch, ctypes.byref(h), UC_HOOK_BLOCK,
                                ctypes.c_void_p(hook),
                                ctypes.c_void_p(self.buf.ctypes.data),
                                ctypes.c_uint64(1), ctypes.c_uint64(0))
        if err:
            raise RuntimeError(f"uc_hook_add failed: {err}")
        self._handle = h

    def slot(self, addr: int) -> int:
        for base, size, first in self.regions:
            if base <= addr < base + size:
                return first + ((addr - base) >> 1)
        return -1

    def slot_addr(self, slot: int) -> int:
        for base, size, first in self.regions:
            if first <= slot < first + ((size + 1) >> 1):
                return base + 2 * (slot - first)
        raise IndexError(slot)

    def restore_counts(self, saved: np.ndarray) -> None:
        """Counters and accumulators from a snapshot; the code descriptions stay (they
        describe code, not state)."""
        code = self.records[:, :N_CODE].copy()
        self.buf[:] = saved
        self.records[:, :N_CODE] = code

    # -- header accessors -------------------------------------------------------------
    def take_pending(self) -> list[tuple[int, int]]:
        n = int(self.hdr[NPEND])
        out = [(int(self.buf[PEND0 + 2 * i]), int(self.buf[PEND0 + 2 * i + 1])) for i in range(n)]
        self.hdr[NPEND] = 0
        return out

    def take_stop(self) -> int:
        s = int(self.hdr[STOP])
        self.hdr[STOP] = 0
        return s


# Divide-trap table words (mirrored in _hook.c): the block counter's array, uc_reg_read,
# uc_mem_read, ENABLED (CCR.DIV_0_TRP), SEEN (divides checked), then Unicorn's register ids
# of R0..R15.
D_STATE, D_REG_READ, D_MEM_READ, D_ENABLED, D_SEEN, D_REGS0 = range(6)


class DivideTrap:
    """The native code hook on SDIV/UDIV addresses that stops Unicorn at a zero divisor
    (STOP_DIV0, address in DIV_PC); a non-zero divide runs no Python."""

    def __init__(self, uc, counter: BlockCounter, addresses, reg_ids):
        from unicorn import UC_HOOK_CODE
        from unicorn.unicorn_py3.arch.types import uc_hook_h
        from unicorn.unicorn_py3.unicorn import uclib
        self.table = np.zeros(D_REGS0 + 16, dtype=np.int64)
        self.table[D_STATE] = counter.buf.ctypes.data
        self.table[D_REG_READ] = ctypes.cast(uclib.uc_reg_read, ctypes.c_void_p).value
        self.table[D_MEM_READ] = ctypes.cast(uclib.uc_mem_read, ctypes.c_void_p).value
        self.table[D_REGS0:] = reg_ids
        hook = _addresses()["div_hook"]
        self.addresses = tuple(addresses)
        self._handles = []
        for a in addresses:
            h = uc_hook_h()
            err = uclib.uc_hook_add(uc._uch, ctypes.byref(h), UC_HOOK_CODE, ctypes.c_void_p(hook),
                                    ctypes.c_void_p(self.table.ctypes.data),
                                    ctypes.c_uint64(a), ctypes.c_uint64(a))
            if err:
                raise RuntimeError(f"uc_hook_add failed: {err}")
            self._handles.append(h)

    def enable(self, on: bool) -> None:
        self.table[D_ENABLED] = int(on)

    @property
    def seen(self) -> int:
        """Divides the trap checked while enabled."""
        return int(self.table[D_SEEN])


# MMIO table words (mirrored in _hook.c): the Python read callback that answers whatever
# the shadow does not, then one entry per 32-bit word of the mapping (SLOW: ask Python).
M_FALLBACK, M_FALLBACK_USER, M_NWORDS, M_WORDS0 = range(4)
SLOW = -1


class ShadowedMmio:
    """An MMIO mapping whose reads the native callback answers from a shadow table where a
    word holds a value, and Python answers elsewhere; writes always go to Python."""

    def __init__(self, uc, base: int, size: int, on_read, on_write):
        from unicorn.unicorn_py3.unicorn import MMIO_READ_CFUNC, MMIO_WRITE_CFUNC, uccallback, uclib
        self.array = np.full(M_WORDS0 + size // 4, SLOW, dtype=np.int64)
        self.words = memoryview(self.array)          # cheap per-item writes from Python
        # uccallback: an exception in a model is kept and re-raised by emu_start, as for
        # Unicorn's own mmio_map.
        self._read = uccallback(uc, MMIO_READ_CFUNC)(on_read)
        self._write = uccallback(uc, MMIO_WRITE_CFUNC)(on_write)
        self.array[M_FALLBACK] = ctypes.cast(self._read, ctypes.c_void_p).value
        self.array[M_NWORDS] = size // 4
        err = uclib.uc_mmio_map(uc._uch, base, size,
                                ctypes.c_void_p(_addresses()["mmio_read"]),
                                ctypes.c_void_p(self.array.ctypes.data), self._write, None)
        if err:
            raise RuntimeError(f"uc_mmio_map failed: {err}")


class RegBatch:
    """A fixed list of 32-bit registers read or written in one call into Unicorn.

    Exception entry and return move up to 26 registers; each single access through
    Unicorn's Python binding costs microseconds (it looks up the register's class first)."""

    def __init__(self, uc, regs):
        from unicorn.unicorn_py3.unicorn import uclib
        n = len(regs)
        self._args = None
        self._vals = (ctypes.c_uint64 * n)()
        base = ctypes.addressof(self._vals)
        self._args = (uc._uch, (ctypes.c_int * n)(*regs),
                      (ctypes.c_void_p * n)(*(base + 8 * i for i in range(n))), n)
        self._read, self._write, self._n = uclib.uc_reg_read_batch, uclib.uc_reg_write_batch, n

    def read(self) -> list[int]:
        ctypes.memset(self._vals, 0, 8 * self._n)
        err = self._read(*self._args)
        if err:
            from unicorn import UcError
            raise UcError(err)
        return list(self._vals)

    def write(self, values) -> None:
        self._vals[:] = [v & 0xFFFFFFFF for v in values]
        err = self._write(*self._args)
        if err:
            from unicorn import UcError
            raise UcError(err)
