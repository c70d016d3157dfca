"""Decoding translated blocks once: instruction count, estimated cycles, memory operands.

Runs in Python the first time a block is seen, never per execution.
"""
from __future__ import annotations

from dataclasses import dataclass

import capstone as cs

from ...timing import TimingTable


@dataclass(frozen=True)
class MemRef:
    base: str            # register name as capstone spells it ("r2", "sp", "a0", …)
    index: str | None
    disp: int
    scale: int           # left shift applied to the index (ARM) or 0
    subtracted: bool
    post_index: bool     # access uses the base as is; writeback happens afterwards


@dataclass(frozen=True)
class Insn:
    addr: int
    size: int
    name: str
    cost: int
    mem: MemRef | None


@dataclass(frozen=True)
class Block:
    addr: int
    size: int
    insns: tuple[Insn, ...]
    cycles: int
    spin: bool           # a branch to itself: only an exception can leave it
    watch: bool          # may unmask interrupts (the engine re-checks pending ones after it)

    @property
    def icount(self) -> int:
        return len(self.insns)

    def index_of(self, pc: int) -> int:
        """Instructions of this block that precede the one at ``pc``."""
        for i, insn in enumerate(self.insns):
            if insn.addr >= pc:
                return i
        return len(self.insns)


_ARM_COND_AL = getattr(cs.arm, "ARM_CC_AL", 15)
_ARM_MULTI = {"ldm", "ldmdb", "stm", "stmdb", "push", "pop", "vldmia", "vldmdb", "vstmia",
              "vstmdb", "vpush", "vpop"}
_ARM_WATCH = {"cps", "msr"}
_RV_COND = {"beq", "bne", "blt", "bge", "bltu", "bgeu", "c.beqz", "c.bnez"}
_RV_WATCH = {"csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci", "mret"}


class Decoder:
    def __init__(self, arch: str, timing: TimingTable):
        self.arch = arch
        self.timing = timing
        if arch == "arm":
            self.md = cs.Cs(cs.CS_ARCH_ARM, cs.CS_MODE_THUMB | cs.CS_MODE_MCLASS)
        else:
            self.md = cs.Cs(cs.CS_ARCH_RISCV, cs.CS_MODE_RISCV32 | cs.CS_MODE_RISCVC)
        self.md.detail = True

    def disasm(self, code: bytes, addr: int, count: int = 0):
        return self.md.disasm(code, addr, count)

    def decode(self, code: bytes, addr: int) -> Block:
        insns = []
        spin = watch = False
        prev_load = False
        for ins in self.md.disasm(code, addr):
            name = ins.insn_name()
            if self.arch == "arm":
                cost, mem, is_load = self._arm(ins, name, prev_load)
                prev_load = is_load
                if name in _ARM_WATCH:
                    watch = True
                # Only a block that is the self-branch alone spins: code before it in the same
                # block must run first (it typically arms the interrupt the loop waits for).
                if name == "b" and ins.operands and ins.operands[0].imm == ins.address == addr:
                    spin = True
            else:
                cost, mem = self._riscv(ins, name)
                if name in _RV_WATCH:
                    watch = True
                if bytes(ins.bytes) in (b"\x6f\x00\x00\x00", b"\x01\xa0") and ins.address == addr:  # j .
                    spin = True
            insns.append(Insn(ins.address, ins.size, name, cost, mem))
        decoded = sum(i.size for i in insns)
        if decoded < len(code):
            # Bytes capstone cannot decode still execute as one (faulting) instruction.
            insns.append(Insn(addr + decoded, len(code) - decoded, "(undecoded)", 1, None))
        return Block(addr, len(code), tuple(insns), sum(i.cost for i in insns), spin, watch)

    def _arm(self, ins, name, prev_load):
        t = self.timing
        mem = None
        nregs = 0
        for op in ins.operands:
            if op.type == cs.arm.ARM_OP_MEM:
                post = any(o.type in (cs.arm.ARM_OP_IMM, cs.arm.ARM_OP_REG) for o in
                           ins.operands[list(ins.operands).index(op) + 1:])
                mem = MemRef(self.md.reg_name(op.mem.base) if op.mem.base else "",
                             self.md.reg_name(op.mem.index) if op.mem.index else None,
                             op.mem.disp, op.shift.value if op.shift.type else 0,
                             bool(op.subtracted), post)
        if name in _ARM_MULTI:
            nregs = sum(1 for op in ins.operands if op.type == cs.arm.ARM_OP_REG) - \
                (0 if name in ("push", "pop", "vpush", "vpop") else 1)
        conditional = ins.cc not in (_ARM_COND_AL, 0) and name in ("b", "bx", "bl", "blx")
        cost = t.cost(name, nregs, conditional)
        is_load = name.startswith("ldr") and name != "ldrd"
        if is_load and prev_load and cost > 1:
            cost -= 1            # TRM: back-to-back LDRs pipeline, one cycle removed
        if name == "pop" and any(op.type == cs.arm.ARM_OP_REG and op.reg == cs.arm.ARM_REG_PC
                                 for op in ins.operands):
            cost += t.pipeline_refill
        if name == "ldr" and ins.operands and ins.operands[0].type == cs.arm.ARM_OP_REG and \
                ins.operands[0].reg == cs.arm.ARM_REG_PC:
            cost += t.pipeline_refill + 1
        return cost, mem, is_load

    def _riscv(self, ins, name):
        mem = None
        for op in ins.operands:
            if op.type == cs.riscv.RISCV_OP_MEM:
                mem = MemRef(self.md.reg_name(op.mem.base), None, op.mem.disp, 0, False, False)
        cost = self.timing.cost(name, 0, name in _RV_COND)
        if name in _RV_COND:
            cost = self.timing.conditional_branch
        return cost, mem
