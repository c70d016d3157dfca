"""Decoding translated blocks once: instruction count, estimated cycles, memory operands.

Runs in Python the first time a block is seen, never per execution; the results are kept
on disk (``DecodeCache``) so the next run of the same firmware does not decode again.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

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
    names_pc: bool = False   # "pc" among the operands (pop {…, pc}, ldr pc, ldr rX, [pc, …])


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


_ARM_MULTI = {"ldm", "ldmdb", "stm", "stmdb", "push", "pop", "vldmia", "vldmdb", "vstmia",
              "vstmdb", "vpush", "vpop"}
_ARM_WATCH = {"cps", "msr"}
_RV_COND = {"beq", "bne", "blt", "bge", "bltu", "bgeu", "c.beqz", "c.bnez"}
_RV_WATCH = {"csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci", "mret"}
_RV_COMPRESSED_MEM = {"c.lw", "c.sw", "c.lwsp", "c.swsp", "c.flw", "c.fsw", "c.flwsp", "c.fswsp",
                      "c.fld", "c.fsd", "c.fldsp", "c.fsdsp"}


class Decoder:
    def __init__(self, arch: str, timing: TimingTable):
        self.arch = arch
        self.timing = timing
        self._md = None

    @property
    def md(self):
        # capstone is imported on first use: a run whose blocks all come from the cache
        # never needs it.
        if self._md is None:
            import capstone as cs
            self._cs = cs
            self._cc_al = getattr(cs.arm, "ARM_CC_AL", 15)
            if self.arch == "arm":
                self._md = cs.Cs(cs.CS_ARCH_ARM, cs.CS_MODE_THUMB | cs.CS_MODE_MCLASS)
            else:
                self._md = cs.Cs(cs.CS_ARCH_RISCV, cs.CS_MODE_RISCV32 | cs.CS_MODE_RISCVC)
            self._md.detail = True
        return self._md

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
            insns.append(Insn(ins.address, ins.size, name, cost, mem, "pc" in ins.op_str))
        decoded = sum(i.size for i in insns)
        if decoded < len(code):
            # Bytes capstone cannot decode still execute as one (faulting) instruction.
            insns.append(Insn(addr + decoded, len(code) - decoded, "(undecoded)", 1, None))
        return Block(addr, len(code), tuple(insns), sum(i.cost for i in insns), spin, watch)

    def _arm(self, ins, name, prev_load):
        cs = self._cs
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
        conditional = ins.cc not in (self._cc_al, 0) and name in ("b", "bx", "bl", "blx")
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
        cs = self._cs
        mem = None
        for op in ins.operands:
            if op.type == cs.riscv.RISCV_OP_MEM:
                mem = MemRef(self.md.reg_name(op.mem.base), None, op.mem.disp, 0, False, False)
        ops = ins.operands
        if name in _RV_COMPRESSED_MEM and len(ops) == 3 and ops[1].type == cs.riscv.RISCV_OP_IMM:
            # capstone gives compressed loads/stores as (reg, offset, base), not a memory operand
            mem = MemRef(self.md.reg_name(ops[2].reg), None, ops[1].imm, 0, False, False)
        cost = self.timing.cost(name, 0, name in _RV_COND)
        if name in _RV_COND:
            cost = self.timing.conditional_branch
        return cost, mem


_DECODER_SOURCE = Path(__file__).read_bytes()
CACHE_VERSION = 1


def cache_dir() -> Path | None:
    """$TINYSIM_CACHE, else $XDG_CACHE_HOME/tinysim, else ~/.cache/tinysim; TINYSIM_CACHE=off
    disables the cache."""
    env = os.environ.get("TINYSIM_CACHE")
    if env == "off":
        return None
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tinysim"


class DecodeCache:
    """Decoded blocks of one firmware image under one timing table, kept on disk between
    runs. A block is found by its address and its exact bytes, so code written to RAM at
    run time is never mistaken for what an earlier run found there. The file's name hashes
    the image, the timing table and this module's source: any change to the decoder or the
    costs starts a new cache."""

    def __init__(self, arch: str, timing: TimingTable, image: list[tuple[int, bytes]]):
        h = hashlib.sha256(f"{CACHE_VERSION}|{arch}|{timing!r}|".encode())
        h.update(_DECODER_SOURCE)
        for addr, data in image:
            h.update(addr.to_bytes(8, "little"))
            h.update(hashlib.sha256(data).digest())
        d = cache_dir()
        self.path = None if d is None else d / "blocks" / f"{h.hexdigest()[:32]}.pickle"
        self.blocks: dict[tuple[int, bytes], Block] = {}
        self.added = 0
        if self.path is not None and self.path.is_file():
            try:
                with open(self.path, "rb") as f:
                    self.blocks = pickle.load(f)
            except Exception:          # a damaged or foreign file: decode afresh
                self.blocks = {}

    def get(self, addr: int, code: bytes) -> Block | None:
        return self.blocks.get((addr, code))

    def put(self, addr: int, code: bytes, block: Block) -> None:
        self.blocks[(addr, code)] = block
        self.added += 1

    def save(self) -> None:
        """Write new blocks (atomically: parallel runs of the same firmware may race)."""
        if not self.added or self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                pickle.dump(self.blocks, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
            self.added = 0
            self._prune()
        except OSError:                # a read-only home: run without the cache
            pass

    def _prune(self, keep: int = 256) -> None:
        files = sorted(self.path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in files[:-keep]:
            old.unlink(missing_ok=True)
