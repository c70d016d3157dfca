"""Cortex-M4 core support: NVIC, SCB, SysTick, DWT, ITM, exception entry and return, faults.

Unicorn executes Thumb code but leaves the M-profile exception model to us: entry (stacking,
EXC_RETURN, vector fetch) and return (Unicorn reports a branch to EXC_RETURN as exception 8).
Register behaviour follows the ARMv7-M Architecture Reference Manual (DDI 0403E).
"""
from __future__ import annotations

from unicorn import (UC_ARCH_ARM, UC_ERR_FETCH_UNMAPPED, UC_ERR_INSN_INVALID,
                     UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED, UC_MODE_MCLASS, UC_MODE_THUMB,
                     UcError)
from unicorn import arm_const as A

from ..base import Fault, StopInfo
from . import _native as N
from . import _semihost
from ._core import CoreBase

EXC_NAMES = {1: "Reset", 2: "NMI", 3: "HardFault", 4: "MemManage", 5: "BusFault",
             6: "UsageFault", 11: "SVCall", 12: "DebugMonitor", 14: "PendSV", 15: "SysTick"}
CFSR_BITS = {0: "IACCVIOL", 1: "DACCVIOL", 3: "MUNSTKERR", 4: "MSTKERR", 5: "MLSPERR",
             7: "MMARVALID", 8: "IBUSERR", 9: "PRECISERR", 10: "IMPRECISERR", 11: "UNSTKERR",
             12: "STKERR", 13: "LSPERR", 15: "BFARVALID", 16: "UNDEFINSTR", 17: "INVSTATE",
             18: "INVPC", 19: "NOCP", 24: "UNALIGNED", 25: "DIVBYZERO"}
HFSR_BITS = {1: "VECTTBL", 30: "FORCED", 31: "DEBUGEVT"}
# QEMU exception numbers Unicorn reports through UC_HOOK_INTR.
EXCP_UDEF, EXCP_SWI, EXCP_PREFETCH_ABORT, EXCP_DATA_ABORT, EXCP_BKPT, EXCP_EXCEPTION_EXIT = 1, 2, 3, 4, 7, 8
EXCP_NOCP, EXCP_INVSTATE = 17, 18

PPB_BASE, PPB_SIZE = 0xE0000000, 0x100000
CPUID_M4 = 0x410FC241          # Cortex-M4 r0p1

_REGS = {f"r{i}": getattr(A, f"UC_ARM_REG_R{i}") for i in range(13)}
_REGS.update({"sb": A.UC_ARM_REG_R9, "sl": A.UC_ARM_REG_R10, "fp": A.UC_ARM_REG_R11,
              "ip": A.UC_ARM_REG_R12, "sp": A.UC_ARM_REG_SP, "r13": A.UC_ARM_REG_SP,
              "lr": A.UC_ARM_REG_LR, "r14": A.UC_ARM_REG_LR, "pc": A.UC_ARM_REG_PC,
              "r15": A.UC_ARM_REG_PC, "xpsr": A.UC_ARM_REG_XPSR, "ipsr": A.UC_ARM_REG_IPSR,
              "msp": A.UC_ARM_REG_MSP, "psp": A.UC_ARM_REG_PSP, "control": A.UC_ARM_REG_CONTROL,
              "primask": A.UC_ARM_REG_PRIMASK, "basepri": A.UC_ARM_REG_BASEPRI,
              "faultmask": A.UC_ARM_REG_FAULTMASK, "fpscr": A.UC_ARM_REG_FPSCR})
_REGS.update({f"s{i}": getattr(A, f"UC_ARM_REG_S{i}") for i in range(32)})
# Unicorn's ids of R0..R15, by the register number an instruction encodes (the divide hooks).
_GPR_IDS = [_REGS[f"r{i}"] for i in range(13)] + [A.UC_ARM_REG_SP, A.UC_ARM_REG_LR, A.UC_ARM_REG_PC]


class SysTick:
    """SysTick counts core clock cycles; its state is derived from the cycle counter."""

    def __init__(self, core: "CortexM"):
        self.core = core
        self.ctrl = 0
        self.load = 0
        self.start = 0           # cycle at which the counter was (re)loaded with `val0`
        self.val0 = 0
        self.countflag = False
        self.event = None

    def period(self) -> int:
        return (self.load & 0xFFFFFF) + 1

    def value(self, now: int) -> int:
        if not self.ctrl & 1:
            return self.val0
        elapsed = now - self.start
        if elapsed < self.val0:
            return self.val0 - elapsed
        return (self.load & 0xFFFFFF) - (elapsed - self.val0) % self.period() if self.load else 0

    def _arm(self, now: int):
        m = self.core.m
        if self.event is not None:
            self.event.cancelled = True
            self.event = None
        if self.ctrl & 1 and self.load:
            # The counter reaches zero after val0 cycles (or a full period from a 0 start).
            first = self.start + (self.val0 if self.val0 else self.period())
            self.event = m.schedule(first, self._wrap)

    def _wrap(self):
        m = self.core.m
        self.countflag = True
        if self.ctrl & 2:
            self.core.pend(15)
        self.start = self.event.cycle
        self.val0 = self.period()
        self.event = m.schedule(self.start + self.period(), self._wrap)

    def read(self, off: int, now: int) -> int:
        if off == 0x0:
            v = self.ctrl | (self.countflag << 16)
            self.countflag = False
            return v
        if off == 0x4:
            return self.load
        if off == 0x8:
            return self.value(now)
        if off == 0xC:
            return 0xC0000000             # CALIB: no reference clock, TENMS not given
        return 0

    def write(self, off: int, value: int, now: int):
        if off == 0x0:
            was = self.ctrl & 1
            self.val0 = self.value(now)
            self.start = now
            self.ctrl = value & 7
            if not was and value & 1 and self.val0 == 0:
                self.val0 = self.period()
            self._arm(now)
        elif off == 0x4:
            self.load = value & 0xFFFFFF
        elif off == 0x8:                  # any write clears the counter and COUNTFLAG
            self.val0 = 0
            self.start = now
            self.countflag = False
            self._arm(now)


class _InvState(UcError):
    """UC_ERR_INSN_INVALID met with EPSR.T clear: INVSTATE, not an undefined instruction."""

    def __init__(self):
        super().__init__(UC_ERR_INSN_INVALID)


class CortexM(CoreBase):
    UC_MODE = (UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    REGS = _REGS
    ARG_REGS = (A.UC_ARM_REG_R0, A.UC_ARM_REG_R1, A.UC_ARM_REG_R2)

    @staticmethod
    def select_model(uc):
        uc.ctl_set_cpu_model(A.UC_CPU_ARM_CORTEX_M4)

    def __init__(self, m):
        super().__init__(m)
        self.nirq = 64
        self.vtor = m.platform.vector_table or 0
        self.pending: set[int] = set()
        self.active: list[int] = []
        self.enabled_irqs: set[int] = set()
        self.ipr = bytearray(self.nirq)
        self.shpr = bytearray(12)             # priorities of exceptions 4..15
        self.shcsr = 0
        self.cfsr = self.hfsr = self.mmfar = self.bfar = 0
        self.ccr = 0x200                      # STKALIGN
        self.aircr = 0
        self.scr = 0
        self.cpacr = 0
        self.demcr = 0
        self.dwt_ctrl = 0x40000000            # NUMCOMP = 4
        self.cyccnt_base = 0                  # CYCCNT = base + cycles since enabled
        self.cyccnt_since = None
        self.systick = SysTick(self)
        self.itm_ter = 0

    # -- machine setup -------------------------------------------------------------------------
    def map_peripherals(self):
        core = self

        class _Ppb:
            base, size = PPB_BASE, PPB_SIZE

            def read(self, off, size):
                return core.ppb_read(PPB_BASE + off, size)

            def write(self, off, size, value):
                core.ppb_write(PPB_BASE + off, size, value)

        self.m.map_mmio(PPB_BASE, PPB_SIZE, [_Ppb()])

    def reset(self):
        if getattr(self.m, "div_timing", None) is None:
            # once per machine: a system reset (SYSRESETREQ) keeps the hooks; new ones would
            # add to them, and the old ones would point at a freed table
            from ._divtiming import DivideTiming
            self.m.div_timing = DivideTiming(self.m, _GPR_IDS)
        sp = self.m.read_u32(self.vtor)
        pc = self.m.read_u32(self.vtor + 4)
        self.uc.reg_write(A.UC_ARM_REG_MSP, sp)
        self.uc.reg_write(A.UC_ARM_REG_SP, sp)
        self.uc.reg_write(A.UC_ARM_REG_LR, 0xFFFFFFFF)
        self.uc.reg_write(A.UC_ARM_REG_PC, pc & ~1)

    def pc(self) -> int:
        return self.uc.reg_read(A.UC_ARM_REG_PC)

    def resume_pc(self) -> int:
        return self.pc() | 1

    def get_state(self):
        return {k: (v.copy() if isinstance(v, (set, list, bytearray)) else v)
                for k, v in vars(self).items() if k not in ("m", "uc", "systick", "_rb")} | \
            {"systick": {k: v for k, v in vars(self.systick).items() if k != "core"}}

    def set_state(self, st):
        st = dict(st)
        for k, v in st.pop("systick").items():
            setattr(self.systick, k, v)
        for k, v in st.items():
            setattr(self, k, v.copy() if isinstance(v, (set, list, bytearray)) else v)
        self._trap_divide_by_zero()         # the native trap follows the restored CCR

    # -- the private peripheral bus ---------------------------------------------------------------
    def cyccnt(self, cycles: int) -> int:
        if self.cyccnt_since is None:
            return self.cyccnt_base & 0xFFFFFFFF
        return (self.cyccnt_base + cycles - self.cyccnt_since) & 0xFFFFFFFF

    def _cycles_now(self, addr) -> int:
        return self.exact_counters(addr)[1]

    def _cyccnt_update(self, now):
        running = bool(self.dwt_ctrl & 1 and self.demcr & (1 << 24))
        if running and self.cyccnt_since is None:
            self.cyccnt_since = now
        elif not running and self.cyccnt_since is not None:
            self.cyccnt_base = self.cyccnt(now)
            self.cyccnt_since = None

    def ppb_read(self, addr: int, size: int) -> int:
        shift = (addr & 3) * 8
        word = addr & ~3
        v = self._ppb_read_word(word)
        return (v >> shift) & ((1 << (8 * size)) - 1) if size < 4 else v

    def _ppb_read_word(self, a: int) -> int:
        if a == 0xE0001004:
            return self.cyccnt(self._cycles_now(a))
        if a == 0xE0001000:
            return self.dwt_ctrl
        if 0xE000E010 <= a < 0xE000E020:
            return self.systick.read(a - 0xE000E010, self._cycles_now(a) if a == 0xE000E018 else self.m.cycles)
        if 0xE0000000 <= a < 0xE0000080:
            return 1                                   # ITM stimulus port: FIFO ready
        if a == 0xE0000E00:
            return self.itm_ter
        if 0xE000E100 <= a < 0xE000E120:
            return self._bits(self.enabled_irqs, a - 0xE000E100)
        if 0xE000E180 <= a < 0xE000E1A0:
            return self._bits(self.enabled_irqs, a - 0xE000E180)
        if 0xE000E200 <= a < 0xE000E220:
            return self._bits({e - 16 for e in self.pending if e >= 16}, a - 0xE000E200)
        if 0xE000E280 <= a < 0xE000E2A0:
            return self._bits({e - 16 for e in self.pending if e >= 16}, a - 0xE000E280)
        if 0xE000E300 <= a < 0xE000E320:
            return self._bits({e - 16 for e in self.active if e >= 16}, a - 0xE000E300)
        if 0xE000E400 <= a < 0xE000E400 + self.nirq:
            return int.from_bytes(self.ipr[a - 0xE000E400:a - 0xE000E400 + 4], "little")
        if a == 0xE000E004:
            return (self.nirq // 32) - 1               # ICTR
        return {
            0xE000ED00: CPUID_M4, 0xE000ED04: self._icsr(), 0xE000ED08: self.vtor,
            0xE000ED0C: 0xFA050000 | (self.aircr & 0x700), 0xE000ED10: self.scr,
            0xE000ED14: self.ccr, 0xE000ED18: int.from_bytes(self.shpr[0:4], "little"),
            0xE000ED1C: int.from_bytes(self.shpr[4:8], "little"),
            0xE000ED20: int.from_bytes(self.shpr[8:12], "little"), 0xE000ED24: self._shcsr(),
            0xE000ED28: self.cfsr, 0xE000ED2C: self.hfsr, 0xE000ED34: self.mmfar,
            0xE000ED38: self.bfar, 0xE000ED88: self.cpacr, 0xE000EDFC: self.demcr,
            0xE000EF34: 0xC0000000,                    # FPCCR: ASPEN | LSPEN
        }.get(a, 0)

    @staticmethod
    def _bits(s: set, byte_off: int) -> int:
        base = byte_off * 8
        return sum(1 << (n - base) for n in s if base <= n < base + 32)

    def ppb_write(self, addr: int, size: int, value: int):
        a = addr & ~3
        if size < 4:                                   # byte/halfword writes: merge
            if 0xE000E400 <= addr < 0xE000E400 + self.nirq:
                self.ipr[addr - 0xE000E400:addr - 0xE000E400 + size] = value.to_bytes(size, "little")
                return
            if 0xE000ED18 <= addr < 0xE000ED24:
                self.shpr[addr - 0xE000ED18:addr - 0xE000ED18 + size] = value.to_bytes(size, "little")
                return
            if 0xE0000000 <= addr < 0xE0000080:
                self._itm(addr, value & 0xFF)
                return
            old = self._ppb_read_word(a)
            shift = (addr & 3) * 8
            mask = ((1 << (8 * size)) - 1) << shift
            value = (old & ~mask) | ((value << shift) & mask)
        self._ppb_write_word(a, value & 0xFFFFFFFF, addr)

    def _itm(self, addr, byte):
        port = (addr - 0xE0000000) // 4
        if self.itm_ter >> port & 1:
            self.m.emit_uart(f"itm{port}", bytes([byte]))

    def _ppb_write_word(self, a: int, v: int, addr: int):
        m = self.m
        if a == 0xE0001004:
            now = self._cycles_now(addr)
            self.cyccnt_base = v
            if self.cyccnt_since is not None:
                self.cyccnt_since = now
        elif a == 0xE0001000:
            self.dwt_ctrl = (self.dwt_ctrl & ~0x1FFF) | (v & 0x1FFF)
            self._cyccnt_update(self._cycles_now(addr))
        elif a == 0xE000EDFC:
            self.demcr = v
            self._cyccnt_update(self._cycles_now(addr))
        elif 0xE000E010 <= a < 0xE000E020:
            self.systick.write(a - 0xE000E010, v, self._cycles_now(addr))
        elif 0xE0000000 <= a < 0xE0000080:
            self._itm(a, v & 0xFF)
        elif a == 0xE0000E00:
            self.itm_ter = v
        elif 0xE000E100 <= a < 0xE000E120:
            base = (a - 0xE000E100) * 8
            self.enabled_irqs |= {base + i for i in range(32) if v >> i & 1}
            self._changed()
        elif 0xE000E180 <= a < 0xE000E1A0:
            base = (a - 0xE000E180) * 8
            self.enabled_irqs -= {base + i for i in range(32) if v >> i & 1}
        elif 0xE000E200 <= a < 0xE000E220:
            base = (a - 0xE000E200) * 8
            for i in range(32):
                if v >> i & 1:
                    self.pend(16 + base + i)
        elif 0xE000E280 <= a < 0xE000E2A0:
            base = (a - 0xE000E280) * 8
            self.pending -= {16 + base + i for i in range(32) if v >> i & 1}
        elif 0xE000E400 <= a < 0xE000E400 + self.nirq:
            self.ipr[a - 0xE000E400:a - 0xE000E400 + 4] = v.to_bytes(4, "little")
        elif a == 0xE000EF00:                          # STIR
            self.pend(16 + (v & 0x1FF))
        elif a == 0xE000ED04:                          # ICSR
            if v >> 31 & 1:
                self.pend(2)
            if v >> 28 & 1:
                self.pend(14)
            if v >> 27 & 1:
                self.pending.discard(14)
            if v >> 26 & 1:
                self.pend(15)
            if v >> 25 & 1:
                self.pending.discard(15)
        elif a == 0xE000ED08:
            self.vtor = v & 0xFFFFFF80
        elif a == 0xE000ED0C:
            if v >> 16 == 0x05FA:
                self.aircr = v & 0x700
                if v & 4:                              # SYSRESETREQ
                    self.pending.add(-1)
                    m.request_stop()
        elif a == 0xE000ED10:
            self.scr = v
        elif a == 0xE000ED14:
            self.ccr = v
            self._trap_divide_by_zero()
        elif 0xE000ED18 <= a < 0xE000ED24:
            self.shpr[a - 0xE000ED18:a - 0xE000ED14] = v.to_bytes(4, "little")
        elif a == 0xE000ED24:
            self.shcsr = v & 0x70000
        elif a == 0xE000ED28:
            self.cfsr &= ~v                            # write one to clear
        elif a == 0xE000ED2C:
            self.hfsr &= ~v
        elif a == 0xE000ED34:
            self.mmfar = v
        elif a == 0xE000ED38:
            self.bfar = v
        elif a == 0xE000ED88:
            self.cpacr = v

    def _trap_divide_by_zero(self):
        """CCR.DIV_0_TRP: Unicorn's SDIV/UDIV return 0 for a zero divisor, so a native hook on
        each divide in the firmware's code (found once) stops at a zero divisor and
        after_run raises the UsageFault; a non-zero divide runs no Python."""
        m = self.m
        trap = getattr(m, "div_trap", None)
        if trap is None and self.ccr & (1 << 4):
            # the divides the timing hooks found when the firmware was loaded
            trap = m.div_trap = N.DivideTrap(self.uc, m.counter, list(m.div_timing.addresses), _GPR_IDS)
            self.uc.ctl_flush_tb()
        if trap is not None:
            trap.enable(bool(self.ccr & (1 << 4)))

    def _divide_by_zero(self, pc: int) -> StopInfo | None:
        self.m.unretire_tail(pc)
        return self.take_fault(6, 1 << 25, pc, None, "divide-by-zero")

    def _icsr(self) -> int:
        ipsr = self.uc.reg_read(A.UC_ARM_REG_IPSR) & 0x1FF
        best = self._best_pending(ignore_mask=True)
        v = ipsr | ((best if best and best > 0 else 0) << 12)
        if any(e >= 16 for e in self.pending):
            v |= 1 << 22
        if 14 in self.pending:
            v |= 1 << 28
        if 15 in self.pending:
            v |= 1 << 26
        if len(self.active) <= 1:
            v |= 1 << 11                                # RETTOBASE
        return v

    def _shcsr(self) -> int:
        v = self.shcsr
        for exc, bit in ((4, 0), (5, 1), (6, 3), (11, 7), (14, 10), (15, 11)):
            if exc in self.active:
                v |= 1 << bit
        return v

    # -- exceptions ---------------------------------------------------------------------------------
    def pend(self, exc: int):
        self.pending.add(exc)
        self.m.request_stop()

    def set_irq_pending(self, irq: int):
        self.pend(16 + irq)

    def _changed(self):
        if self.pending:
            self.m.request_stop()

    def priority(self, exc: int) -> int:
        if exc == 2:
            return -2
        if exc == 3:
            return -1
        if exc >= 16:
            p = self.ipr[exc - 16] if exc - 16 < self.nirq else 0
        elif exc >= 4:
            p = self.shpr[exc - 4]
        else:
            return 0
        group_mask = (0xFF << (((self.aircr >> 8) & 7) + 1)) & 0xFF
        return p & group_mask

    def enabled(self, exc: int) -> bool:
        if exc >= 16:
            return exc - 16 in self.enabled_irqs
        if exc in (4, 5, 6):
            return bool(self.shcsr >> {4: 16, 5: 17, 6: 18}[exc] & 1)
        return True

    def exec_priority(self, ignore_mask: bool = False) -> int:
        prio = 256
        for e in self.active:
            prio = min(prio, self.priority(e))
        if not ignore_mask:
            uc = self.uc
            basepri = uc.reg_read(A.UC_ARM_REG_BASEPRI) & 0xFF
            if basepri:
                prio = min(prio, basepri)
            if uc.reg_read(A.UC_ARM_REG_PRIMASK) & 1:
                prio = min(prio, 0)
            if uc.reg_read(A.UC_ARM_REG_FAULTMASK) & 1:
                prio = min(prio, -1)
        return prio

    def _best_pending(self, ignore_mask=False) -> int | None:
        if not self.pending:                 # the usual case after each run slice: no register reads
            return None
        cur = self.exec_priority(ignore_mask)
        best = None
        for e in sorted(self.pending):
            if e > 0 and self.enabled(e) and self.priority(e) < cur:
                if best is None or self.priority(e) < self.priority(best):
                    best = e
        return best

    def has_masked_pending(self) -> bool:
        return any(e > 0 and self.enabled(e) for e in self.pending) and self._best_pending() is None

    def can_wake(self) -> bool:
        return -1 in self.pending or self._best_pending(ignore_mask=True) is not None

    def service_interrupts(self):
        if -1 in self.pending:                          # system reset request
            self.pending.clear()
            self.active.clear()
            self.uc.reg_write(A.UC_ARM_REG_IPSR, 0)
            self.reset()
            return
        while True:
            e = self._best_pending()
            if e is None:
                return
            if not self.enter(e, self.pc()):
                return

    def enter(self, exc: int, return_pc: int) -> bool:
        """Exception entry (ARMv7-M ARM B1.5.6). False if stacking failed (run ends)."""
        uc, m = self.uc, self.m
        rb = self._reg_batches()
        ipsr, control, sp, xpsr = rb["state"].read()
        ipsr &= 0x1FF
        use_psp = ipsr == 0 and bool(control & 2)
        fpca = bool(control & 4)
        frame = 0x68 if fpca else 0x20
        new_sp = sp - frame
        if new_sp & 4:
            new_sp -= 4
            xpsr |= 1 << 9
        else:
            xpsr &= ~(1 << 9)
        words = rb["frame"].read()
        words += [return_pc & ~1, xpsr | (1 << 24)]
        if fpca:
            words += rb["fp"].read()             # S0-S15, FPSCR
            words += [0]
        try:
            m.write(new_sp, b"".join((w & 0xFFFFFFFF).to_bytes(4, "little") for w in words))
        except UcError:
            self.fault = self.fault or Fault(
                "stack-overflow", f"stacking for {self.exc_name(exc)} failed: SP {new_sp:#010x} "
                "is outside RAM", pc=return_pc, address=new_sp, function=self.symbolize(return_pc))
            self.lockup = True
            return False
        new_control = control & ~2 & ~4 if use_psp else control & ~4     # now on MSP
        excret = 0xFFFFFFF1 if ipsr else (0xFFFFFFFD if use_psp else 0xFFFFFFF9)
        if fpca:
            excret &= ~0x10
        vector = m.read_u32(self.vtor + 4 * exc)
        # SP, CONTROL, LR, IPSR, PC in this order
        rb["entry"].write((new_sp, new_control, excret, exc, vector & ~1))
        m.counter.forget_branch()               # the handler is not a branch target
        self.pending.discard(exc)
        self.active.append(exc)
        if m.profiler is not None:
            m.profiler.exception_entry(return_pc)
        return True

    def exc_return(self, excret: int):
        """Exception return (ARMv7-M ARM B1.5.8) through an EXC_RETURN value in PC."""
        uc, m = self.uc, self.m
        if m.profiler is not None:
            m.profiler.exception_return()
        m.counter.forget_branch()
        if self.active:
            self.active.pop()
        if excret & 8:
            uc.reg_write(A.UC_ARM_REG_IPSR, 0)
            if excret & 4:
                uc.reg_write(A.UC_ARM_REG_CONTROL, uc.reg_read(A.UC_ARM_REG_CONTROL) | 2)
        sp = uc.reg_read(A.UC_ARM_REG_SP)
        std = bool(excret & 0x10)
        n = 8 if std else 26
        raw = m.read(sp, 4 * n)
        w = [int.from_bytes(raw[4 * i:4 * i + 4], "little") for i in range(n)]
        rb = self._reg_batches()
        rb["frame"].write(w[:6])                  # R0-R3, R12, LR
        if not std:
            rb["fp"].write(w[8:25])               # S0-S15, FPSCR
            uc.reg_write(A.UC_ARM_REG_CONTROL, uc.reg_read(A.UC_ARM_REG_CONTROL) | 4)
        sp += 4 * (8 if std else 26)
        if w[7] & (1 << 9):
            sp += 4
        rb["return"].write((sp, w[7], w[7] & 0x1FF, w[6] & ~1))    # SP, XPSR, IPSR, PC

    def _reg_batches(self) -> dict:
        """Register groups that exception entry and return move, each in one call."""
        rb = getattr(self, "_rb", None)
        if rb is None:
            from ._native import RegBatch
            uc = self.uc
            rb = self._rb = {
                "state": RegBatch(uc, (A.UC_ARM_REG_IPSR, A.UC_ARM_REG_CONTROL, A.UC_ARM_REG_SP,
                                       A.UC_ARM_REG_XPSR)),
                "frame": RegBatch(uc, (A.UC_ARM_REG_R0, A.UC_ARM_REG_R1, A.UC_ARM_REG_R2,
                                       A.UC_ARM_REG_R3, A.UC_ARM_REG_R12, A.UC_ARM_REG_LR)),
                "fp": RegBatch(uc, tuple(getattr(A, f"UC_ARM_REG_S{i}") for i in range(16)) +
                               (A.UC_ARM_REG_FPSCR,)),
                "entry": RegBatch(uc, (A.UC_ARM_REG_SP, A.UC_ARM_REG_CONTROL, A.UC_ARM_REG_LR,
                                       A.UC_ARM_REG_IPSR, A.UC_ARM_REG_PC)),
                "return": RegBatch(uc, (A.UC_ARM_REG_SP, A.UC_ARM_REG_XPSR, A.UC_ARM_REG_IPSR,
                                        A.UC_ARM_REG_PC)),
            }
        return rb

    def exc_name(self, exc: int) -> str:
        return EXC_NAMES.get(exc, f"IRQ{exc - 16}" if exc >= 16 else f"exception {exc}")

    def in_fault_handler(self) -> bool:
        return (self.uc.reg_read(A.UC_ARM_REG_IPSR) & 0x1FF) in (2, 3, 4, 5, 6)

    # -- stops ---------------------------------------------------------------------------------------
    def on_intr(self, intno: int):
        self.intr = intno
        self.uc.emu_stop()

    def on_exception(self, intno: int, pc: int) -> StopInfo | None:
        uc = self.uc
        if intno == EXCP_EXCEPTION_EXIT:
            self.exc_return(pc | 1)
            return None
        if intno == EXCP_BKPT:
            insn = int.from_bytes(self.m.read(pc, 2), "little")
            if insn == 0xBEAB:                          # semihosting
                op, param = uc.reg_read(A.UC_ARM_REG_R0), uc.reg_read(A.UC_ARM_REG_R1)
                result, stop = _semihost.handle(self.m, op, param, pc)
                uc.reg_write(A.UC_ARM_REG_R0, result & 0xFFFFFFFF)
                uc.reg_write(A.UC_ARM_REG_PC, pc + 2)
                return stop
            uc.reg_write(A.UC_ARM_REG_PC, pc)
            return StopInfo("breakpoint", detail=f"BKPT #{insn & 0xFF} at {pc:#010x} "
                            f"({self.symbolize(pc) or '?'})")
        if intno == EXCP_SWI:
            self.enter(11, pc)
            return None
        if intno in (EXCP_UDEF, EXCP_NOCP, EXCP_INVSTATE):
            bit = {EXCP_UDEF: 16, EXCP_NOCP: 19, EXCP_INVSTATE: 17}[intno]
            return self.take_fault(6, 1 << bit, pc, None,
                                   "illegal-instruction" if intno == EXCP_UDEF else "hardfault")
        return self.take_fault(6, 1 << 16, pc, None, "illegal-instruction")

    def thumb_clear(self) -> bool:
        """EPSR.T is 0: a BX/BLX/POP/LDR to PC with bit 0 clear left Thumb state, which
        M-profile cores do not have."""
        return not self.uc.reg_read(A.UC_ARM_REG_XPSR) >> 24 & 1

    def after_run(self, err, stop_bits, requested):
        if err is not None and err.errno == UC_ERR_INSN_INVALID and self.thumb_clear():
            err = _InvState()
        if stop_bits & N.STOP_DIV0 and err is None:
            # The native divide trap stopped before a divide by zero (DIV_PC): fault there.
            self.deferred_stop = self._divide_by_zero(int(self.m.counter.hdr[N.DIV_PC]))
            requested = True
        # The engine's own PC writes (exception entry and return, hooks) clear EPSR.T too; only
        # a firmware branch that can interwork, ending the last block, means Arm state.
        plain = err is None and self.intr is None and self._interworking_branch_last()
        stop = super().after_run(err, stop_bits, requested)
        if stop is None and plain and self.thumb_clear():
            # Unicorn stopped between the branch and its target (a new block): resuming with
            # PC|1 would run the target as Thumb. On silicon the target raises INVSTATE.
            return self.take_fault(6, 1 << 17, self.pc(), None, "invalid-state")
        return stop

    def _interworking_branch_last(self) -> bool:
        c = self.m.counter
        if not c.hdr[N.LAST_SIZE]:
            return False
        last = self.m.current_block().insns
        if not last:
            return False
        i = last[-1]
        return i.name in ("bx", "blx") or (i.name in ("pop", "ldr", "ldm", "ldmia", "ldmdb", "ldr.w", "pop.w",
                                                        "ldm.w", "ldmia.w") and i.names_pc)

    def on_error(self, err: UcError, pc: int, unmapped) -> StopInfo | None:
        if isinstance(err, _InvState):
            return self.take_fault(6, 1 << 17, pc, None, "invalid-state")
        if err.errno in (UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED, UC_ERR_FETCH_UNMAPPED):
            kind, addr, _ = unmapped or ({UC_ERR_READ_UNMAPPED: "read", UC_ERR_WRITE_UNMAPPED: "write"}
                                         .get(err.errno, "fetch"), pc, 4)
            if kind == "fetch" or err.errno == UC_ERR_FETCH_UNMAPPED:
                return self.take_fault(5, 1 << 8, addr, None, "unmapped-fetch")
            return self.take_fault(5, 1 << 9 | 1 << 15, pc, addr, f"unmapped-{kind}")
        if err.errno == UC_ERR_INSN_INVALID:
            return self.take_fault(6, 1 << 16, pc, None, "illegal-instruction")
        return self.take_fault(6, 1 << 16, pc, None, "illegal-instruction", detail=str(err))

    def take_fault(self, exc: int, cfsr_bits: int, pc: int, addr: int | None, kind: str,
                   detail: str = "") -> StopInfo | None:
        """Record a fault, then enter its handler (escalated to HardFault as on silicon) so the
        firmware's own handler runs; the run ends when that handler spins or idles."""
        uc = self.uc
        self.uc.reg_write(A.UC_ARM_REG_PC, pc & ~1)
        lockup = self.in_fault_handler()
        self.cfsr |= cfsr_bits
        if cfsr_bits & (1 << 15):
            self.bfar = addr or 0
        target = exc if self.enabled(exc) else 3
        if target == 3:
            self.hfsr |= 1 << 30
        sp = uc.reg_read(A.UC_ARM_REG_SP)
        if self._stack_overflow(addr, sp):
            kind = "stack-overflow"
        if self.fault is None:
            self.fault = self._describe(kind, pc, addr, detail)
        if lockup or self.m.read_u32(self.vtor + 4 * target) in (0, 0xFFFFFFFF):
            return StopInfo("fault", fault=self._describe(kind, pc, addr, detail, lockup=lockup))
        if not self.enter(target, pc):
            return StopInfo("fault", fault=self.fault)
        return None

    def _describe(self, kind, pc, addr, detail, lockup=False) -> Fault:
        uc = self.uc
        func = self.symbolize(pc)
        if kind in ("unmapped-read", "unmapped-write") and addr is not None:
            # A real peripheral of the chip that is not modelled: say so, not "bad pointer".
            detail = "; ".join(x for x in (self.m.platform.unmodelled_at(addr), detail) if x)
        lr = self.uc.reg_read(A.UC_ARM_REG_LR)
        what = {"unmapped-read": f"read of unmapped address {addr:#010x}" if addr is not None else "",
                "unmapped-write": f"write to unmapped address {addr:#010x}" if addr is not None else "",
                "unmapped-fetch": f"instruction fetch from unmapped address {pc:#010x}",
                "illegal-instruction": "undefined instruction",
                "stack-overflow": "stack overflow: SP ran below the stack region" +
                (f" (access at {addr:#010x})" if addr is not None else ""),
                "hardfault": "invalid state (Thumb bit clear or bad EXC_RETURN)",
                "invalid-state": "branch to an even address: EPSR.T clear, Arm state does not exist on "
                                 "M-profile (BX/BLX/POP/LDR PC need bit 0 set for Thumb)",
                "divide-by-zero": "integer divide by zero (CCR.DIV_0_TRP)"}.get(kind, kind)
        decoded = tuple(f"CFSR.{n}" for b, n in sorted(CFSR_BITS.items()) if self.cfsr >> b & 1) + \
            tuple(f"HFSR.{n}" for b, n in sorted(HFSR_BITS.items()) if self.hfsr >> b & 1)
        regs = {"CFSR": self.cfsr, "HFSR": self.hfsr, "BFAR": self.bfar, "MMFAR": self.mmfar,
                "SP": uc.reg_read(A.UC_ARM_REG_SP), "LR": lr}
        handler = "HardFault" if self.hfsr & (1 << 30) or lockup else "fault"
        desc = f"{handler}: {what} at PC {pc:#010x}" + (f" in {func}" if func else "")
        if lockup:
            desc = "lockup: fault inside a fault handler; " + desc
        if detail:
            desc += f" ({detail})"
        return Fault(kind if not lockup else "lockup", desc, pc=pc, address=addr, function=func,
                     registers=regs, decoded=decoded,
                     call_site=self.symbolize(lr & ~1) if lr < 0xF0000000 else None)

    def on_spin(self, pc: int) -> StopInfo:
        if self.in_fault_handler():
            exc = self.uc.reg_read(A.UC_ARM_REG_IPSR) & 0x1FF
            f = self.fault or Fault("hardfault", f"{self.exc_name(exc)} handler entered", pc=pc,
                                    function=self.symbolize(pc))
            return StopInfo("fault", fault=f, detail=f"{self.exc_name(exc)} handler spins at "
                            f"{self.symbolize(pc) or hex(pc)}")
        return StopInfo("hang", detail=f"endless loop at {self.symbolize(pc) or hex(pc)}")

    def is_wfi_before(self, pc: int) -> bool:
        try:
            h = int.from_bytes(self.m.read(pc - 2, 2), "little")
            w = self.m.read(pc - 4, 4)
        except UcError:
            return False
        return h in (0xBF30, 0xBF20) or w in (bytes.fromhex("aff30380"), bytes.fromhex("aff30280"))

    def multiple_access(self, insn) -> tuple[int, int] | None:
        name = insn.name
        if not name.startswith(("ldm", "stm", "push", "pop", "vldm", "vstm", "vpush", "vpop")):
            return None
        ins = next(self.m.decoder.disasm(self.m.read(insn.addr, insn.size), insn.addr), None)
        if ins is None:
            return None
        regs = [self.m.decoder.md.reg_name(op.reg) for op in ins.operands]
        if name.startswith(("push", "pop", "vpush", "vpop")):
            base, listed = "sp", regs
        else:
            base, listed = regs[0], regs[1:]
        rid = _REGS.get(base)
        if rid is None:
            return None
        size = sum(8 if r.startswith("d") else 4 for r in listed)
        lo = self.uc.reg_read(rid)
        if name.endswith("db") or name in ("push", "vpush"):
            lo -= size                               # decrement before
        return lo, lo + size

    def effective_address(self, insn, mem, read) -> int | None:
        def reg(name):
            if name == "pc":
                return (insn.addr + 4) & ~3
            rid = _REGS.get(name)
            return None if rid is None else read(rid)
        base = reg(mem.base)
        if base is None:
            return None
        if mem.post_index:
            return base
        off = mem.disp
        if mem.index:
            idx = reg(mem.index)
            if idx is None:
                return None
            off = idx << mem.scale
        return (base - off if mem.subtracted else base + off) & 0xFFFFFFFF
