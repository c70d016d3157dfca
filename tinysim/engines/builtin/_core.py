"""What the Cortex-M and RISC-V core support share: the run-stop protocol and sleeping."""
from __future__ import annotations

from unicorn import UC_HOOK_MEM_UNMAPPED, UcError

from ..base import Fault, StopInfo
from . import _native as N


class CoreBase:
    REGS: dict[str, int] = {}

    def __init__(self, m):
        self.m = m
        self.uc = m.uc
        self.intr: int | None = None          # exception number Unicorn reported, if any
        self.unmapped: tuple[str, int, int] | None = None   # (access, address, size)
        self.fault: Fault | None = None       # the first fault the firmware took
        self._last_access = (-1, -1)
        self.unlocated_accesses = 0           # MMIO accesses not matched to their instruction
        self.deferred_stop: StopInfo | None = None     # a stop decided inside a code hook          # (block serial, insn index) of the last MMIO access
        self.uc.hook_add(UC_HOOK_MEM_UNMAPPED, self._on_unmapped)

    def _on_unmapped(self, uc, access, addr, size, value, _ud):
        from unicorn import UC_MEM_FETCH_UNMAPPED, UC_MEM_WRITE_UNMAPPED
        kind = {UC_MEM_WRITE_UNMAPPED: "write", UC_MEM_FETCH_UNMAPPED: "fetch"}.get(access, "read")
        self.unmapped = (kind, addr, size)
        return False

    # -- registers ---------------------------------------------------------------------------
    def read_reg(self, name: str) -> int:
        try:
            return self.uc.reg_read(self.REGS[name.lower()])
        except KeyError:
            from ...errors import EngineError
            raise EngineError(f"no register named {name!r}",
                              hint="registers: " + ", ".join(sorted(self.REGS))) from None

    def write_reg(self, name: str, value: int) -> None:
        try:
            self.uc.reg_write(self.REGS[name.lower()], value)
        except KeyError:
            from ...errors import EngineError
            raise EngineError(f"no register named {name!r}") from None

    # -- run/stop protocol ----------------------------------------------------------------------
    def after_run(self, err: UcError | None, stop_bits: int, requested: bool) -> StopInfo | None:
        """Account for what ran and turn the reason Unicorn stopped into a StopInfo (or None
        to go on). Called after every emu_start."""
        m = self.m
        pc = self.pc()
        m.install_pending()
        if err is not None:
            m.unretire_tail(pc)
        intr, self.intr = self.intr, None
        if self.deferred_stop is not None:
            stop, self.deferred_stop = self.deferred_stop, None
            return stop
        if err is not None:
            unmapped, self.unmapped = self.unmapped, None
            return self.on_error(err, pc, unmapped)
        if intr is not None:
            return self.on_exception(intr, pc)
        if stop_bits & N.STOP_SPIN:
            self.spin_block = next(((a, s) for a, s in m.blocks if a == pc and m.blocks[(a, s)].spin),
                                   (pc, 2))
            return self.on_spin(pc)
        if not requested and not (stop_bits & ~N.STOP_SPIN):
            if self.is_wfi_before(pc):
                # A RISC-V wfi does not end Unicorn's block: the hook counted the instructions
                # after it, which run (and are counted) again from the successor on wake-up.
                m.unretire_tail(pc)
                return StopInfo("idle")
        return None

    def sleep(self, stop: StopInfo, limit: int | None) -> StopInfo | None:
        """The core waits for an interrupt (WFI) or spins in a one-block loop. Let virtual time
        pass to the next event; end the run if nothing can ever wake it."""
        m = self.m
        if self.can_wake():
            return None
        if stop.reason == "hang" and self.pc() != self.spin_block[0]:
            return None             # an interrupt was just taken: its handler runs, time does not skip
        nxt = m.next_event_cycle()
        if nxt is None:
            return stop
        spin = None
        if stop.reason == "hang":
            spin = m.block(*self.spin_block)
        target = nxt if limit is None else min(nxt, limit)
        m.advance_idle(target, spin)
        return None

    def exact_counters(self, addr: int) -> tuple[int, int]:
        """Instructions and cycles retired before the instruction accessing ``addr`` now."""
        m = self.m
        b = m.current_block()
        serial = int(m.counter.hdr[N.BLOCKS])
        after = self._last_access[1] if self._last_access[0] == serial else -1
        k = b.single_access              # a block with one memory access: it is that one
        if k is None or k <= after:
            k = self.locate_access(b, addr, after)
        self._last_access = (serial, k)
        return m.retired_before(b, k)

    def locate_access(self, b, addr: int, after: int) -> int:
        first = None
        seen: dict[int, int] = {}           # a block's accesses share base registers: read each once

        def read(rid: int) -> int:
            v = seen.get(rid)
            if v is None:
                v = seen[rid] = self.uc.reg_read(rid)
            return v
        for i, insn in enumerate(b.insns):
            mem = insn.mem
            if mem is None or not mem.base:
                continue
            ea = self.effective_address(insn, mem, read)
            if ea is not None and ea <= addr < ea + 8:
                if i > after:
                    return i
                if first is None:
                    first = i
        # Register-list accesses (LDM/STM/PUSH/POP) carry no single memory operand.
        for i, insn in enumerate(b.insns):
            if i > after and insn.mem is None:
                span = self.multiple_access(insn)
                if span is not None and span[0] <= addr < span[1]:
                    return i
        if first is not None:
            return first
        self.unlocated_accesses += 1        # counters read here are those at the block's start
        return 0

    def multiple_access(self, insn) -> tuple[int, int] | None:
        """[lo, hi) of the addresses a register-list load/store touches (None: not one)."""
        return None

    def on_new_block(self, b) -> None:
        """A block about to run for the first time (decoded, not yet executed)."""

    def symbolize(self, addr):
        return self.m.symbolize(addr)

    def _stack_overflow(self, addr: int | None, sp: int) -> bool:
        region = self.m.stack_region
        if region is None:
            return False
        lo, _ = region
        return sp < lo + 64 and (addr is None or lo - 4096 <= addr < lo)
