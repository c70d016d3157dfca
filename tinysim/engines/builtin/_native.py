"""Native (numba-compiled) basic-block hook: exact instruction counts and estimated cycles.

Python never runs per executed block. The hook below is compiled to machine code and
registered with Unicorn directly; it reads and writes one shared int64 array:

    header | pending blocks | per-slot tables (icount, cycles, block size, flags, accumulators)

A *slot* is a 2-byte granule of a code region (Thumb and RVC instructions are 2-byte
aligned). A block's costs are known once Python has decoded it; the first time a block
is seen (or seen with a different size, e.g. after a single step) the hook queues it and
stops Unicorn before the block runs; Python decodes it and emulation resumes.
"""
from __future__ import annotations

import ctypes

import numpy as np

# Header words.
INSNS, CYCLES, DEADLINE, STOP, LAST_ADDR, LAST_SIZE, NPEND, BLOCKS, NSLOTS, NREG, WATCH = range(11)
REGION0 = 16          # up to MAX_REGIONS x (base, size, first slot)
MAX_REGIONS = 5
PEND0 = 32            # pending (addr, size) pairs
MAX_PEND = 64
TABLES0 = PEND0 + 2 * MAX_PEND
N_TABLES = 6          # ICNT, CYC, BSIZE, FLAGS, ACC_I, ACC_C

# STOP bits: why the hook asked Unicorn to stop.
STOP_DEADLINE, STOP_NEWBLOCK, STOP_SPIN, STOP_WATCH = 1, 2, 4, 8
# FLAGS bits per block.
FLAG_SPIN = 1         # the block is a branch to itself: nothing but an exception can leave it
FLAG_WATCH = 2        # the block may unmask interrupts (cpsie, msr primask, csrs mstatus …)

_compiled = None


def _compile():
    """Compile the hook once per process (numba caches the machine code on disk)."""
    global _compiled
    if _compiled is not None:
        return _compiled
    from numba import carray, cfunc, types  # heavy import, kept off the import path

    from unicorn.unicorn_py3.unicorn import uclib

    stop_fn = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)(
        ctypes.cast(uclib.uc_emu_stop, ctypes.c_void_p).value)

    sig = types.void(types.voidptr, types.uint64, types.uint32, types.voidptr)

    @cfunc(sig, nopython=True)
    def block_hook(uc, addr, size, user):
        # Unicorn checks for a stop request right after this callback: a block we stop at
        # does NOT execute, so it is counted only when we let it run.
        hdr = carray(user, (TABLES0,), dtype=np.int64)
        nslots = hdr[NSLOTS]
        st = carray(user, (TABLES0 + N_TABLES * nslots,), dtype=np.int64)
        if st[CYCLES] >= st[DEADLINE]:
            st[STOP] |= STOP_DEADLINE
            stop_fn(uc)
            return
        a = np.int64(addr)
        slot = np.int64(-1)
        for r in range(st[NREG]):
            base = st[REGION0 + 3 * r]
            if a >= base and a < base + st[REGION0 + 3 * r + 1]:
                slot = st[REGION0 + 3 * r + 2] + ((a - base) >> 1)
                break
        t = TABLES0
        if slot < 0 or st[t + 2 * nslots + slot] != size or st[t + slot] <= 0:
            n = st[NPEND]
            if n < MAX_PEND:
                st[PEND0 + 2 * n] = a
                st[PEND0 + 2 * n + 1] = size
                st[NPEND] = n + 1
            st[STOP] |= STOP_NEWBLOCK
            stop_fn(uc)
            return
        fl = st[t + 3 * nslots + slot]
        if fl & FLAG_SPIN:
            st[STOP] |= STOP_SPIN
            stop_fn(uc)
            return
        ni = st[t + slot]
        nc = st[t + nslots + slot]
        st[INSNS] += ni
        st[CYCLES] += nc
        st[t + 4 * nslots + slot] += ni
        st[t + 5 * nslots + slot] += nc
        st[LAST_ADDR] = a
        st[LAST_SIZE] = size
        st[BLOCKS] += 1
        if (fl & FLAG_WATCH) and st[WATCH] != 0:
            # It may unmask interrupts: stop before the next block to take a pending one.
            st[STOP] |= STOP_WATCH
            st[DEADLINE] = -1

    _compiled = block_hook
    return block_hook


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
        t = [self.buf[TABLES0 + i * nslots: TABLES0 + (i + 1) * nslots] for i in range(N_TABLES)]
        self.icnt, self.cyc, self.bsize, self.flags, self.acc_i, self.acc_c = t
        self._handle = None

    def attach(self, uc) -> None:
        from unicorn.unicorn_py3.arch.types import uc_hook_h
        from unicorn.unicorn_py3.unicorn import uclib
        from unicorn import UC_HOOK_BLOCK

        hook = _compile()
        h = uc_hook_h()
        err = uclib.uc_hook_add(uc._uch, ctypes.byref(h), UC_HOOK_BLOCK,
                                ctypes.c_void_p(hook.address),
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
