"""RV32 core support (SiFive E31 in the FE310-G002): CLINT, traps, counters, semihosting.

Unicorn executes the instructions and ``mret``; trap entry for interrupts and faults, the
CLINT timer and the ``mcycle``/``minstret`` counters are ours, so they follow virtual time
and are exact at the instruction that reads them.
"""
from __future__ import annotations

from unicorn import (UC_ARCH_RISCV, UC_ERR_FETCH_UNMAPPED, UC_ERR_INSN_INVALID,
                     UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED, UC_HOOK_CODE, UC_MODE_RISCV32,
                     UcError)
from unicorn import riscv_const as R

from ..base import Fault, StopInfo
from . import _native as N
from . import _semihost
from ._core import CoreBase
from .peripherals import Peripheral

ABI = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
       "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
       "t5", "t6"]
_REGS = {name: getattr(R, f"UC_RISCV_REG_X{i}") for i, name in enumerate(ABI)}
_REGS.update({f"x{i}": getattr(R, f"UC_RISCV_REG_X{i}") for i in range(32)})
_REGS.update({"fp": R.UC_RISCV_REG_X8, "pc": R.UC_RISCV_REG_PC, "mstatus": R.UC_RISCV_REG_MSTATUS,
              "mie": R.UC_RISCV_REG_MIE, "mip": R.UC_RISCV_REG_MIP, "mtvec": R.UC_RISCV_REG_MTVEC,
              "mepc": R.UC_RISCV_REG_MEPC, "mcause": R.UC_RISCV_REG_MCAUSE,
              "mtval": R.UC_RISCV_REG_MTVAL})

EBREAK, WFI = 0x00100073, 0x10500073
SEMI_PRE, SEMI_POST = 0x01F01013, 0x40705013          # slli x0,x0,0x1f / srai x0,x0,7
# CSRs read through csrrs rd, csr, x0 that must follow virtual time.
COUNTERS = {0xB00: ("cycle", 0), 0xB80: ("cycle", 32), 0xC00: ("cycle", 0), 0xC80: ("cycle", 32),
            0xB02: ("instret", 0), 0xB82: ("instret", 32), 0xC02: ("instret", 0),
            0xC82: ("instret", 32), 0xC01: ("time", 0), 0xC81: ("time", 32)}
MCAUSE_NAMES = {0: "instruction address misaligned", 1: "instruction access fault",
                2: "illegal instruction", 3: "breakpoint", 4: "load address misaligned",
                5: "load access fault", 6: "store address misaligned", 7: "store access fault",
                11: "environment call from M-mode"}


class Clint(Peripheral):
    """SiFive CLINT: msip, mtimecmp, mtime (mtime ticks at ``timebase_hz`` of virtual time)."""
    model = "sifive.clint"
    TIME = {0xBFF8: N.TIME_LO, 0xBFFC: N.TIME_HI}        # mtime, read natively (delay loops)

    def __init__(self, machine, spec):
        super().__init__(machine, spec)
        self.timebase = int(self.options.get("timebase_hz", 32768))
        self.mtimecmp = 0xFFFFFFFFFFFFFFFF
        self.msip = 0
        self.mtime_offset = 0                 # mtime = cycles * timebase / clock + offset
        self.event = None

    def mtime(self, cycles: int) -> int:
        return (cycles * self.timebase // self.m.clock_hz + self.mtime_offset) & (2**64 - 1)

    def timer(self):
        return self.timebase, self.m.clock_hz, self.mtime_offset

    def touched(self, off, write):
        if write and off in (0xBFF8, 0xBFFC):           # the offset of the native mtime moved
            self.changed()

    def mtip(self) -> bool:
        return self.mtime(self.m.cycles) >= self.mtimecmp

    def read(self, off, size):
        if off == 0:
            return self.msip
        if off in (0x4000, 0x4004):
            return (self.mtimecmp >> (8 * (off - 0x4000))) & 0xFFFFFFFF
        if off in (0xBFF8, 0xBFFC):
            now = self.m.now(self.base + off)[1]
            return (self.mtime(now) >> (8 * (off - 0xBFF8))) & 0xFFFFFFFF
        return 0

    def write(self, off, size, value):
        if off == 0:
            self.msip = value & 1
            self.m.request_stop()
        elif off in (0x4000, 0x4004):
            shift = 8 * (off - 0x4000)
            self.mtimecmp = (self.mtimecmp & ~(0xFFFFFFFF << shift)) | (value << shift)
            self._arm()
        elif off in (0xBFF8, 0xBFFC):
            now = self.m.now(self.base + off)[1]
            shift = 8 * (off - 0xBFF8)
            cur = self.mtime(now)
            new = (cur & ~(0xFFFFFFFF << shift)) | (value << shift)
            self.mtime_offset += new - cur
            self._arm()

    def _arm(self):
        if self.event is not None:
            self.event.cancelled = True
            self.event = None
        if self.mtimecmp >= 2**63:
            return
        ticks = self.mtimecmp - self.mtime_offset
        cycle = max(-(-ticks * self.m.clock_hz // self.timebase), self.m.cycles)
        self.event = self.m.schedule(cycle, self.m.request_stop)


class Riscv(CoreBase):
    UC_MODE = (UC_ARCH_RISCV, UC_MODE_RISCV32)
    REGS = _REGS
    ARG_REGS = (R.UC_RISCV_REG_A0, R.UC_RISCV_REG_A1, R.UC_RISCV_REG_A2)

    @staticmethod
    def select_model(uc):
        uc.ctl_set_cpu_model(R.UC_CPU_RISCV32_SIFIVE_E31)

    def __init__(self, m):
        super().__init__(m)
        self.clint: Clint | None = None
        self.in_trap_fault = False
        self._hook_counter_reads()

    def map_peripherals(self):
        for p in self.m.peripherals.values():
            if isinstance(p, Clint):
                self.clint = p

    def reset(self):
        if getattr(self.m, "div_timing", None) is None:     # once per machine, as on the M4
            from ._divtiming import DivideTiming
            self.m.div_timing = DivideTiming(self.m, [_REGS[f"x{i}"] for i in range(32)])
        addr = self.m.platform.reset_address
        self.uc.reg_write(R.UC_RISCV_REG_PC, addr if addr is not None else self.m.firmware.entry)

    def pc(self):
        return self.uc.reg_read(R.UC_RISCV_REG_PC)

    def resume_pc(self):
        return self.pc()

    def get_state(self):
        return {"in_trap_fault": self.in_trap_fault, "fault": self.fault}

    def set_state(self, st):
        self.in_trap_fault = st["in_trap_fault"]
        self.fault = st["fault"]

    # -- counters ----------------------------------------------------------------------------------
    def _hook_counter_reads(self):
        """Hook every csrr of a counter CSR in the firmware's code (a scan at load time), so
        the value is computed from the exact instruction count at that instruction."""
        sites = []
        for seg in self.m.firmware.segments:
            if not seg.flags & 1:                       # PF_X
                continue
            d = seg.data
            for off in range(0, len(d) - 3, 2):
                w = int.from_bytes(d[off:off + 4], "little")
                if w & 0x707F == 0x2073 and (w >> 15) & 0x1F == 0 and (w >> 20) in COUNTERS:
                    sites.append(seg.paddr + off)
        self._counter_sites = set(sites)
        for a in sites:
            self.uc.hook_add(UC_HOOK_CODE, self._on_counter_read, begin=a, end=a)

    def on_new_block(self, b):
        """Code the load-time scan did not see (copied to RAM, loaded at run time): hook its
        counter reads before the block first runs (it is retranslated with the hook)."""
        for insn in b.insns:
            a = insn.addr
            if insn.size != 4 or not insn.name.startswith("csr") or a in self._counter_sites:
                continue
            w = int.from_bytes(self.m.read(a, 4), "little")
            if w & 0x707F == 0x2073 and (w >> 15) & 0x1F == 0 and (w >> 20) in COUNTERS:
                self._counter_sites.add(a)
                self.uc.hook_add(UC_HOOK_CODE, self._on_counter_read, begin=a, end=a)
                self.uc.ctl_remove_cache(a, a + 4)

    def _on_counter_read(self, uc, addr, size, _ud):
        w = int.from_bytes(self.m.read(addr, 4), "little")
        if size != 4 or w & 0x707F != 0x2073 or (w >> 20) not in COUNTERS:
            return
        m = self.m
        b = m.current_block()
        i0, c0 = m.retired_before(b, b.index_of(addr))
        what, shift = COUNTERS[w >> 20]
        if what == "cycle":
            v = c0
        elif what == "instret":
            v = i0
        else:
            v = self.clint.mtime(c0) if self.clint else 0
        rd = (w >> 7) & 0x1F
        if rd:
            uc.reg_write(getattr(R, f"UC_RISCV_REG_X{rd}"), (v >> shift) & 0xFFFFFFFF)
        # Skip the csrr: the rest of this block runs as a new block, so take back what the
        # hook counted for it from here on, keeping the csrr itself.
        m.unretire_tail(addr + 4)
        m.counter.forget_branch()                       # the rest is entered by fall-through
        uc.reg_write(R.UC_RISCV_REG_PC, addr + 4)

    # -- interrupts --------------------------------------------------------------------------------
    def set_irq_pending(self, irq: int):
        """A one-shot interrupt request from a model: its PLIC source turns pending until
        claimed. (Models with a level, like the UART and GPIO, drive the PLIC directly.)"""
        plic = self.m.plic
        if plic is None:
            from ...errors import EngineError
            raise EngineError(f"{self.m.platform.name}: a peripheral raised interrupt {irq} but the "
                              "platform has no PLIC (sifive.plic)",
                              hint="add the PLIC to the platform's peripherals, or drop the irq: entry")
        plic.request(irq)

    def _pending_causes(self) -> list[int]:
        causes = []
        if self.m.plic is not None and self.m.plic.meip():
            causes.append(11)
        if self.clint is not None:
            if self.clint.msip:
                causes.append(3)
            if self.clint.mtip():
                causes.append(7)
        return causes

    def _enabled(self, cause: int) -> bool:
        return bool(self.uc.reg_read(R.UC_RISCV_REG_MIE) >> cause & 1)

    def has_masked_pending(self) -> bool:
        return any(self._enabled(c) for c in self._pending_causes()) and \
            not self.uc.reg_read(R.UC_RISCV_REG_MSTATUS) & 8

    def can_wake(self) -> bool:
        return any(self._enabled(c) for c in self._pending_causes())

    def service_interrupts(self):
        if not self.uc.reg_read(R.UC_RISCV_REG_MSTATUS) & 8:
            return
        for cause in (11, 3, 7):                        # MEI > MSI > MTI
            if cause in self._pending_causes() and self._enabled(cause):
                self.trap(cause | 0x80000000, self.pc(), 0)
                return

    def trap(self, mcause: int, epc: int, tval: int) -> bool:
        uc = self.uc
        mtvec = uc.reg_read(R.UC_RISCV_REG_MTVEC)
        st = uc.reg_read(R.UC_RISCV_REG_MSTATUS)
        st = (st & ~(1 << 7)) | ((st >> 3 & 1) << 7)     # MPIE = MIE
        st = (st & ~8) | (3 << 11)                      # MIE = 0, MPP = M
        uc.reg_write(R.UC_RISCV_REG_MSTATUS, st)
        uc.reg_write(R.UC_RISCV_REG_MEPC, epc)
        uc.reg_write(R.UC_RISCV_REG_MCAUSE, mcause)
        uc.reg_write(R.UC_RISCV_REG_MTVAL, tval)
        base = mtvec & ~3
        if mtvec & 1 and mcause & 0x80000000:
            base += 4 * (mcause & 0x3FF)
        uc.reg_write(R.UC_RISCV_REG_PC, base)
        self.m.counter.forget_branch()                  # the handler is not a branch target
        if self.m.profiler is not None:
            self.m.profiler.exception_entry(epc)
        return self.m.platform.region_at(base) is not None and base != 0

    # -- stops -------------------------------------------------------------------------------------
    def on_intr(self, intno):
        self.intr = intno
        self.uc.emu_stop()

    def on_exception(self, intno, pc):
        if intno == 3:                                  # breakpoint reported as an interrupt
            return self.on_error(UcError(UC_ERR_INSN_INVALID), pc, None)
        return self.take_fault(2, pc, 0, "illegal-instruction", detail=f"exception {intno}")

    def on_error(self, err: UcError, pc: int, unmapped) -> StopInfo | None:
        m = self.m
        if err.errno in (UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED, UC_ERR_FETCH_UNMAPPED):
            kind, addr, _ = unmapped or ("fetch", pc, 4)
            if err.errno == UC_ERR_FETCH_UNMAPPED or kind == "fetch":
                return self.take_fault(1, pc, pc, "unmapped-fetch")
            return self.take_fault(5 if kind == "read" else 7, pc, addr, f"unmapped-{kind}")
        try:
            insn = m.read_u32(pc)
        except UcError:
            insn = None
        if insn == EBREAK:
            if self._word(pc - 4) == SEMI_PRE and self._word(pc + 4) == SEMI_POST:
                m.counter.hdr[N.INSNS] += 1             # the ebreak retires
                m.counter.hdr[N.CYCLES] += m.timing.cost("ebreak")
                op = self.uc.reg_read(R.UC_RISCV_REG_A0)
                param = self.uc.reg_read(R.UC_RISCV_REG_A1)
                result, stop = _semihost.handle(m, op, param, pc)
                self.uc.reg_write(R.UC_RISCV_REG_A0, result & 0xFFFFFFFF)
                self.uc.reg_write(R.UC_RISCV_REG_PC, pc + 4)
                return stop
            return StopInfo("breakpoint", detail=f"ebreak at {pc:#010x} ({self.symbolize(pc) or '?'})")
        return self.take_fault(2, pc, insn or 0, "illegal-instruction")

    def _word(self, addr):
        try:
            return self.m.read_u32(addr)
        except UcError:
            return None

    def take_fault(self, mcause, pc, tval, kind, detail="") -> StopInfo | None:
        self.uc.reg_write(R.UC_RISCV_REG_PC, pc)
        sp = self.uc.reg_read(R.UC_RISCV_REG_SP)
        if kind.startswith("unmapped") and self._stack_overflow(tval, sp):
            kind = "stack-overflow"
        fault = self._describe(kind, mcause, pc, tval, detail)
        again = self.in_trap_fault
        if self.fault is None:
            self.fault = fault
        self.in_trap_fault = True
        if again or not self.trap(mcause, pc, tval):
            return StopInfo("fault", fault=self.fault)
        return None

    def _describe(self, kind, mcause, pc, tval, detail) -> Fault:
        func = self.symbolize(pc)
        if kind in ("unmapped-read", "unmapped-write"):
            # A real peripheral of the chip that is not modelled: say so, not "bad pointer".
            detail = "; ".join(x for x in (self.m.platform.unmodelled_at(tval), detail) if x)
        ra = self.uc.reg_read(R.UC_RISCV_REG_RA)
        what = {"unmapped-read": f"load from unmapped address {tval:#010x}",
                "unmapped-write": f"store to unmapped address {tval:#010x}",
                "unmapped-fetch": f"instruction fetch from unmapped address {pc:#010x}",
                "illegal-instruction": f"illegal instruction {tval:#010x}",
                "stack-overflow": f"stack overflow: SP ran below the stack region (access at {tval:#010x})"
                }.get(kind, kind)
        desc = f"{MCAUSE_NAMES.get(mcause, f'mcause {mcause}')}: {what} at PC {pc:#010x}" + \
            (f" in {func}" if func else "") + (f" ({detail})" if detail else "")
        return Fault(kind, desc, pc=pc, address=None if kind.endswith(("instruction", "fetch")) else tval,
                     function=func, registers={"mcause": mcause, "mtval": tval, "sp":
                                               self.uc.reg_read(R.UC_RISCV_REG_SP), "ra": ra},
                     decoded=(MCAUSE_NAMES.get(mcause, str(mcause)),),
                     call_site=self.symbolize(ra))

    def on_spin(self, pc):
        if self.in_trap_fault:
            return StopInfo("fault", fault=self.fault,
                            detail=f"trap handler spins at {self.symbolize(pc) or hex(pc)}")
        return StopInfo("hang", detail=f"endless loop at {self.symbolize(pc) or hex(pc)}")

    def is_wfi_before(self, pc):
        return self._word(pc - 4) == WFI

    def after_run(self, err, stop_bits, requested):
        stop = super().after_run(err, stop_bits, requested)
        if stop is not None and stop.reason == "idle" and self.in_trap_fault:
            return StopInfo("fault", fault=self.fault, detail="trap handler waits forever")
        return stop

    def effective_address(self, insn, mem, read):
        rid = _REGS.get(mem.base)
        if rid is None:
            return None
        return (read(rid) + mem.disp) & 0xFFFFFFFF
