"""The call-graph profile's native hook (``_profile.c``): registration, the events the engine
tells it about, and reading its calling-context tree out as plain data.

Python runs here only when profiling starts, at exception entry/return (the engine's own
Python already runs then), before each run slice (to hand counts added outside blocks, such
as sleep, to the context they belong to) and once at the end.
"""
from __future__ import annotations

import ctypes

import numpy as np

from ...errors import EngineError
from . import _native as N

# Header words (mirrored in _profile.c).
(H_MAIN, H_I_INSNS, H_I_CYCLES, H_MEM_READ, H_SLOTS, H_ARCH, H_LAST_I, H_LAST_C, H_CUR, H_DEPTH,
 H_LOST, H_PEND_KIND, H_PEND_RET, H_PEND_START, H_NEXC, H_EXC_RET, H_NNODES, H_MAX_NODES, H_MAX_STACK,
 H_MAX_TREE_DEPTH, H_TRUNC_DEPTH, H_TRUNC_NODES, H_UNMATCHED, H_MAX_SEEN, H_BLOCKS, H_LOST_TOTAL,
 H_NREG, H_REGION0) = range(28)
N_PARENT, N_FUNC, N_CHILD, N_SIBLING, N_SELF_I, N_SELF_C, N_CALLS, N_DEPTH = range(8)
SLOT_ENTRY = 0x10
SLEEP = -2                 # the function address of the frame that holds sleep (WFI) cycles

MAX_NODES = 1 << 16        # distinct calling contexts kept; further calls fold into their caller
MAX_STACK = 4096           # frames tracked (deep recursion beyond: counted as lost, not popped)
MAX_TREE_DEPTH = 256       # deeper contexts fold into their ancestor at this depth


def _module():
    try:
        from . import _profile
    except ImportError as e:
        raise EngineError(f"the built-in engine's profile hook is not built ({e})",
                          hint="install tinysim with pip so its C extensions are compiled: "
                               "`pip install -e .` in the source tree (needs gcc and the Python headers)") from None
    return _profile


class CallTree:
    """A calling-context tree kept by the native profile hook on one Machine."""

    def __init__(self, m):
        from unicorn import UC_HOOK_BLOCK
        from unicorn.unicorn_py3.arch.types import uc_hook_h
        from unicorn.unicorn_py3.unicorn import uclib
        mod = _module()
        lay = mod.layout()
        if lay["region0"] != H_REGION0:
            raise EngineError("the profile hook's compiled layout differs from _calltree.py's",
                              hint="rebuild the C extensions: `pip install -e .` in the source tree")
        self._excq0, self._max_excq = lay["excq0"], lay["max_excq"]
        self._stack0 = lay["stack0"]
        self._s_fields, self._n_fields = lay["s_fields"], lay["n_fields"]
        self.m = m
        counter = m.counter
        self.slots = np.zeros(max(counter.nslots, 1), dtype=np.int32)
        nodes0 = self._stack0 + MAX_STACK * self._s_fields
        self.buf = np.zeros(nodes0 + MAX_NODES * self._n_fields, dtype=np.int64)
        self.nodes = self.buf[nodes0:].reshape(MAX_NODES, self._n_fields)
        h = self.buf
        h[H_MAIN] = counter.buf.ctypes.data
        h[H_I_INSNS], h[H_I_CYCLES] = N.INSNS, N.CYCLES
        h[H_MEM_READ] = ctypes.cast(uclib.uc_mem_read, ctypes.c_void_p).value
        h[H_SLOTS] = self.slots.ctypes.data
        h[H_ARCH] = 0 if m.platform.arch == "arm" else 1
        h[H_LAST_I], h[H_LAST_C] = m.insns, m.cycles
        h[H_PEND_KIND] = 1          # K_OTHER: the first block opens the root frame
        h[H_PEND_RET] = h[H_PEND_START] = -1
        h[H_MAX_NODES], h[H_MAX_STACK], h[H_MAX_TREE_DEPTH] = MAX_NODES, MAX_STACK, MAX_TREE_DEPTH
        h[H_NREG] = len(counter.regions)
        for r, (base, size, first) in enumerate(counter.regions):
            h[H_REGION0 + 3 * r: H_REGION0 + 3 * r + 3] = (base, size, first)
        # Node 0: the root, above the first frame.
        self.nodes[0, [N_PARENT, N_FUNC, N_CHILD, N_SIBLING]] = (-1, -1, -1, -1)
        h[H_NNODES] = 1
        # Function starts: a jump to one from another function is a tail call.
        for s in m.firmware.symbols():
            if s.kind == "func":
                slot = counter.slot(s.addr & ~1)
                if slot >= 0:
                    self.slots[slot] |= SLOT_ENTRY
        handle = uc_hook_h()
        err = uclib.uc_hook_add(m.uc._uch, ctypes.byref(handle), UC_HOOK_BLOCK,
                                ctypes.c_void_p(mod.addresses()["profile_hook"]),
                                ctypes.c_void_p(self.buf.ctypes.data),
                                ctypes.c_uint64(1), ctypes.c_uint64(0))
        if err:
            raise EngineError(f"registering the profile hook failed (Unicorn error {err})")
        self._handle = handle
        # Blocks Unicorn translated before the hook existed would not call it.
        m.uc.ctl_flush_tb()

    # -- events from the engine ------------------------------------------------------------
    def exception_entry(self, return_pc: int) -> None:
        """The engine entered an exception handler; the interrupted code resumes at ``return_pc``."""
        h = self.buf
        n = int(h[H_NEXC])
        if n < self._max_excq:
            h[self._excq0 + n] = return_pc & ~1
            h[H_NEXC] = n + 1

    def exception_return(self) -> None:
        """The engine returned from an exception (Cortex-M EXC_RETURN; RISC-V's mret the hook sees)."""
        if self.buf[H_NEXC] > 0:        # entered and left before any of its blocks ran
            self.buf[H_NEXC] -= 1
        else:
            self.buf[H_EXC_RET] += 1

    def flush(self) -> None:
        """Counts added outside blocks (sleep, skipped spin iterations, exception entry,
        instructions taken back after a fault) belong to the context the core is in."""
        h, hdr = self.buf, self.m.counter.hdr
        cur = int(h[H_CUR])
        di, dc = int(hdr[N.INSNS]) - int(h[H_LAST_I]), int(hdr[N.CYCLES]) - int(h[H_LAST_C])
        if di or dc:
            if di == 0 and dc > 0:
                # Cycles without instructions: the core slept (WFI) there. A frame of its own,
                # so a sleeping main loop does not read as the hottest function.
                cur = self._child(cur, SLEEP)
            self.nodes[cur, N_SELF_I] += di
            self.nodes[cur, N_SELF_C] += dc
            h[H_LAST_I], h[H_LAST_C] = hdr[N.INSNS], hdr[N.CYCLES]

    def _child(self, parent: int, func: int) -> int:
        """As child() in _profile.c: the context ``func`` under ``parent``, made if new."""
        nodes, h = self.nodes, self.buf
        c = int(nodes[parent, N_CHILD])
        while c >= 0:
            if nodes[c, N_FUNC] == func:
                return c
            c = int(nodes[c, N_SIBLING])
        if h[H_NNODES] >= MAX_NODES:
            return parent
        c = int(h[H_NNODES])
        h[H_NNODES] += 1
        nodes[c, [N_PARENT, N_FUNC, N_CHILD, N_SIBLING, N_SELF_I, N_SELF_C, N_CALLS]] = \
            (parent, func, -1, nodes[parent, N_CHILD], 0, 0, 0)
        nodes[c, N_DEPTH] = nodes[parent, N_DEPTH] + 1
        nodes[parent, N_CHILD] = c
        return c

    # -- the result --------------------------------------------------------------------------
    def read(self) -> dict:
        """The tree as plain data: nodes (parent, function address, self instructions, self
        cycles, calls) in creation order, and what was truncated."""
        self.flush()
        h = self.buf
        n = int(h[H_NNODES])
        rows = self.nodes[:n]
        return {
            "nodes": [(int(r[N_PARENT]), int(r[N_FUNC]), int(r[N_SELF_I]), int(r[N_SELF_C]), int(r[N_CALLS]))
                      for r in rows],
            "max_depth": int(h[H_MAX_SEEN]),
            "depth_limit": MAX_TREE_DEPTH,
            "folded_calls_depth": int(h[H_TRUNC_DEPTH]),
            "folded_calls_nodes": int(h[H_TRUNC_NODES]),
            "lost_frames": int(h[H_LOST_TOTAL]),
            "unmatched_returns": int(h[H_UNMATCHED]),
            "blocks": int(h[H_BLOCKS]),
        }
