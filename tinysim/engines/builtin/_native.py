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
# DIV_PC the address of a divide by zero the divide trap stopped at; PREV the FLAGS of the
# block that ran last (how it ended: resolved when the next block starts), 0 when unknown;
# TSTATE the index in the array of the timing model's state (after the records); LAST_REG the
# region the last block was found in (a hint the hook bounds-checks: any value is safe).
(INSNS, CYCLES, DEADLINE, STOP, LAST_ADDR, LAST_SIZE, NPEND, BLOCKS, NSLOTS, NREG, WATCH, EMU_STOP,
 DIV_PC, PREV, TSTATE, LAST_REG) = range(16)
REGION0 = 16          # up to MAX_REGIONS x (base, size, first slot)
MAX_REGIONS = 5
PEND0 = 32            # pending (addr, size) pairs
MAX_PEND = 64
TABLES0 = PEND0 + 2 * MAX_PEND
N_TABLES = 6          # fields of a slot's record: ICNT, CYC, BSIZE, FLAGS, ACC_I, ACC_C
F_ACC_C = 5           # the record's accumulated cycles
N_CODE = 4            # the first N_CODE fields describe code; the rest are counts

# STOP bits: why the hook asked Unicorn to stop.
STOP_DEADLINE, STOP_NEWBLOCK, STOP_SPIN, STOP_WATCH, STOP_DIV0 = 1, 2, 4, 8, 16
# FLAGS bits per block.
FLAG_SPIN = 1         # the block is a branch to itself: nothing but an exception can leave it
FLAG_WATCH = 2        # the block may unmask interrupts (cpsie, msr primask, csrs mstatus …)
FLAG_POLL = 8         # a loop that only polls one register (see _hook.c, skip_polls)
# How a block ends (FLAGS bits 4-7), the cycles its conditional branch adds when taken (bits
# 8-11, Cortex-M4: P) and the cycles a taken branch *to* the block adds (bits 12-15,
# Cortex-M4: a 32-bit first instruction at a halfword address needs a second fetch).
END_SHIFT, TAKEN_SHIFT, ENTRY_SHIFT = 4, 8, 12
FLAG_IFLUSH = 1 << 16  # the block holds FENCE.I: the instruction cache is invalidated first
# FLAGS bits 17..31: a block with a single memory access keeps 1 + the cycles before it there, so
# a timer register read natively knows the cycle of the reading instruction (0: not known).
ACCESS_SHIFT, ACCESS_MASK = 17, 0x7FFF
END_NONE, END_COND, END_JUMP, END_CALL, END_RET, END_INDIRECT, END_ICALL = range(7)

# Timing model state (mirrored in _hook.c), kept at the end of the shared array so snapshots
# carry it: which model, its parameters, counters, then the predictor's tables.
(T_MODEL, T_MISS_PENALTY, T_BHT_N, T_BTB_N, T_RAS_N, T_RAS_TOP, T_RAS_COUNT, T_BTB_NEXT,
 T_BRANCHES, T_MISSES, T_BHT0) = range(11)
MODEL_NONE, MODEL_CORTEX_M4, MODEL_E31 = 0, 1, 2
T_MAX_BHT, T_MAX_BTB, T_MAX_RAS = 1024, 64, 16
T_BTB0 = T_BHT0 + T_MAX_BHT            # (branch end address, target) pairs
T_RAS0 = T_BTB0 + 2 * T_MAX_BTB
T_WHERE0, T_WHERE_N = T_RAS0 + T_MAX_RAS, 1024   # BTB index by address: slot + 1, 0 for none
T_CACHE0 = T_WHERE0 + T_WHERE_N
# Instruction cache state (mirrored in _hook.c), at T_CACHE0: see fetch_lines() there.
(C_ON, C_ENABLED, C_BASE, C_END, C_LINE_SHIFT, C_SETS, C_WAYS, C_PENALTY, C_UNCACHED, C_COUNT,
 C_HITS, C_MISSES, C_LFSR, C_EPOCH, C_TAGS0) = range(15)
STAMP_SHIFT = 32      # FLAGS bits 32..: the cache EPOCH + 1 at which the block's lines all hit
C_MAX_TAGS = 1024
LFSR_SEED = 0xACE1           # any non-zero 16-bit value; fixed so runs repeat exactly
T_SIZE = T_CACHE0 + C_TAGS0 + C_MAX_TAGS


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
        self.buf = np.zeros(TABLES0 + N_TABLES * nslots + T_SIZE, dtype=np.int64)
        self.hdr = self.buf[:TABLES0]
        self.hdr[NSLOTS] = nslots
        self.hdr[TSTATE] = TABLES0 + N_TABLES * nslots
        self.tstate = self.buf[TABLES0 + N_TABLES * nslots:]
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
        self.records = self.buf[TABLES0:TABLES0 + N_TABLES * nslots].reshape(nslots, N_TABLES)
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

    def set_model(self, timing) -> None:
        """The branch model the hook applies between blocks (from the core's timing table)."""
        t = self.tstate
        t[:] = 0
        bp = timing.predictor
        if timing.core == "cortex-m4":
            t[T_MODEL] = MODEL_CORTEX_M4
        elif bp is not None:
            t[T_MODEL] = MODEL_E31
            t[T_MISS_PENALTY] = bp["mispredict_penalty"]
            t[T_BHT_N] = bp["bht_entries"]
            t[T_BTB_N] = bp["btb_entries"]
            t[T_RAS_N] = bp["ras_entries"]
            if not (t[T_BHT_N] <= T_MAX_BHT and t[T_BHT_N] & (t[T_BHT_N] - 1) == 0
                    and 0 < t[T_BTB_N] <= T_MAX_BTB and 0 < t[T_RAS_N] <= T_MAX_RAS):
                raise EngineError(f"{timing.source}: branch predictor sizes out of range",
                                  hint=f"bht_entries a power of two up to {T_MAX_BHT}, btb_entries "
                                       f"1..{T_MAX_BTB}, ras_entries 1..{T_MAX_RAS}")
            t[T_BHT0:T_BHT0 + T_MAX_BHT] = 1          # weakly not taken
            t[T_BTB0:T_RAS0] = -1
        ic = timing.icache
        if ic is not None:
            c = self.cache
            line, ways = ic["line_bytes"], ic["ways"]
            sets = ic["size_bytes"] // (line * ways)
            if line & (line - 1) or sets & (sets - 1) or sets * ways > C_MAX_TAGS or not sets:
                raise EngineError(f"{timing.source}: icache geometry out of range",
                                  hint=f"line_bytes and size/(line*ways) powers of two, at most "
                                       f"{C_MAX_TAGS} lines")
            c[C_ON] = 1
            c[C_ENABLED] = int(ic["enabled_at_reset"])
            c[C_BASE], c[C_END] = ic["cached"]
            c[C_LINE_SHIFT] = line.bit_length() - 1
            c[C_SETS], c[C_WAYS] = sets, ways
            c[C_PENALTY] = ic.get("miss_cycles", 0)
            c[C_UNCACHED] = ic.get("uncached_line_cycles", 0)
            c[C_COUNT] = int(ic.get("count_at_reset", False))
            c[C_LFSR] = LFSR_SEED

    @property
    def cache(self) -> np.ndarray:
        """The instruction cache's state words (a view: writes reach the hook)."""
        return self.tstate[T_CACHE0:]

    def invalidate_icache(self) -> None:
        """Every line invalid (FENCE.I; nRF52840 ICACHECNF.CACHEEN cleared)."""
        self.cache[C_TAGS0:] = 0
        self.cache[C_EPOCH] += 1

    def fetch(self, addr: int, size: int, flags: int = 0) -> int:
        """Cycles fetching ``size`` bytes of code at ``addr`` (a block with FLAGS ``flags``)
        adds, updating the cache as the hook does; 0 without a cache."""
        if not self.cache[C_ON]:
            return 0
        if flags & FLAG_IFLUSH:
            self.invalidate_icache()
        from . import _hook
        return _hook.fetch(self.buf.ctypes.data, addr, size)

    def forget_branch(self) -> None:
        """The engine moved the PC itself (exception entry or return): the next block was not
        reached through the last block's branch."""
        self.hdr[PREV] = 0

    def pause_model(self) -> int:
        """Stop the hook resolving branches and fetching through the cache (single-stepping
        does both itself)."""
        model = int(self.tstate[T_MODEL]) | int(self.cache[C_ON]) << 8
        self.tstate[T_MODEL] = MODEL_NONE
        self.cache[C_ON] = 0
        return model

    def resume_model(self, model: int) -> None:
        self.tstate[T_MODEL] = model & 0xFF
        self.cache[C_ON] = model >> 8

    def resolve(self, prev: int, fl: int, end: int, to: int) -> int:
        """Cycles the control transfer of a block with FLAGS ``prev`` ending at ``end`` adds
        when the next block (FLAGS ``fl``) starts at ``to``; updates the predictor as the hook
        does."""
        from . import _hook
        return _hook.resolve(self.buf.ctypes.data, prev, fl, end, to)

    @property
    def branch_stats(self) -> tuple[int, int]:
        """(control transfers the predictor resolved, mispredicted ones)."""
        return int(self.tstate[T_BRANCHES]), int(self.tstate[T_MISSES])

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
        self.flags[:] &= (1 << STAMP_SHIFT) - 1      # the tags changed: every block looks again
        self.hdr[TSTATE] = TABLES0 + N_TABLES * self.nslots

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
# the shadow does not, the block hook's array, a timer (NUM, DEN, OFFSET: TIME_LO/TIME_HI words
# read floor(cycle * NUM / DEN) + OFFSET at the reading instruction's cycle; DEN 0 = off), the
# poll skipper's state (SKIP, the counters one iteration moves, the last poll), the Python write
# callback, then one entry per 32-bit word of the mapping (SLOW: ask Python), then one write
# mode per word (W_STORE: the write only keeps the value, in the read entry).
(M_FALLBACK, M_FALLBACK_USER, M_NWORDS, M_STATE, M_T_NUM, M_T_DEN, M_T_OFFSET, M_P_SKIP, M_P_NCTR,
 M_P_ADDR, M_P_SIZE, M_P_WORD, M_P_VALUE, M_P_DELTA_OK, M_P_CTR0) = range(15)
M_P_MAX_CTR = 8
M_P_VAL0 = M_P_CTR0 + M_P_MAX_CTR
M_P_D0 = M_P_VAL0 + M_P_MAX_CTR + 2
M_WFALLBACK = M_P_D0 + M_P_MAX_CTR + 2
M_WFALLBACK_USER = M_WFALLBACK + 1
M_WORDS0 = M_WFALLBACK_USER + 1
SLOW, TIME_LO, TIME_HI = -1, -2, -3
W_PYTHON, W_STORE = 0, 1      # write modes, one per word after the read entries


class ShadowedMmio:
    """An MMIO mapping whose reads the native callback answers from a shadow table where a
    word holds a value, and Python answers elsewhere; writes go to Python except to the words
    whose write mode is W_STORE (kept in the table natively)."""

    def __init__(self, uc, base: int, size: int, on_read, on_write, state_address: int,
                 poll_counters: list[int]):
        from unicorn.unicorn_py3.unicorn import MMIO_READ_CFUNC, MMIO_WRITE_CFUNC, uccallback, uclib
        n = size // 4
        self.array = np.full(M_WORDS0 + 2 * n, SLOW, dtype=np.int64)
        self.array[M_WORDS0 + n:] = W_PYTHON
        self.n = n
        self.words = memoryview(self.array)          # cheap per-item writes from Python
        # uccallback: an exception in a model is kept and re-raised by emu_start, as for
        # Unicorn's own mmio_map.
        self._read = uccallback(uc, MMIO_READ_CFUNC)(on_read)
        self._write = uccallback(uc, MMIO_WRITE_CFUNC)(on_write)
        self.array[M_STATE:M_WORDS0] = 0
        self.array[M_FALLBACK] = ctypes.cast(self._read, ctypes.c_void_p).value
        self.array[M_FALLBACK_USER] = 0
        self.array[M_WFALLBACK] = ctypes.cast(self._write, ctypes.c_void_p).value
        self.array[M_NWORDS] = n
        self.array[M_STATE] = state_address
        assert 2 <= len(poll_counters) <= M_P_MAX_CTR
        self.array[M_P_NCTR] = len(poll_counters)
        self.array[M_P_CTR0:M_P_CTR0 + len(poll_counters)] = poll_counters
        self.array[M_P_ADDR] = -1
        table = ctypes.c_void_p(self.array.ctypes.data)
        err = uclib.uc_mmio_map(uc._uch, base, size, ctypes.c_void_p(_addresses()["mmio_read"]), table,
                                ctypes.c_void_p(_addresses()["mmio_write"]), table)
        if err:
            raise RuntimeError(f"uc_mmio_map failed: {err}")

    def set_timer(self, num: int, den: int, offset: int) -> None:
        """The counter TIME_LO/TIME_HI words read (den 0: Python answers them)."""
        a = self.array
        a[M_T_NUM], a[M_T_DEN] = num, den
        offset &= (1 << 64) - 1
        a[M_T_OFFSET] = offset - (1 << 64) if offset >= 1 << 63 else offset


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
