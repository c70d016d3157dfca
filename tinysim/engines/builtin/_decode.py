"""Decoding translated blocks once: instruction count, estimated cycles, memory operands.

Runs in Python the first time a block is seen, never per execution; the results are kept
on disk (``DecodeCache``) so the next run of the same firmware does not decode again.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ...cache import cache_dir, load, store
from ...timing import TimingTable
from ._native import (ACCESS_MASK, ACCESS_SHIFT, END_CALL, END_COND, END_ICALL, END_INDIRECT,
                      END_JUMP, END_NONE, END_RET, END_SHIFT, ENTRY_SHIFT, FLAG_IFLUSH, TAKEN_SHIFT)


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
    # How the block ends and what a taken branch costs beyond ``cycles``, resolved at run time
    # by the native hook once the next block is known (_native.END_*).
    end: int = 0
    taken: int = 0       # Cortex-M4: cycles a taken conditional branch at its end adds (P)
    entry: int = 0       # Cortex-M4: cycles a taken branch *to* this block adds
    iflush: bool = False  # holds FENCE.I: the instruction cache is invalidated (E31 §3.1)
    poll: bool = False   # a loop that only polls one register (one load, ALU work, branch back)

    @property
    def icount(self) -> int:
        return len(self.insns)

    @property
    def timing_flags(self) -> int:
        """The FLAGS bits the native hook resolves branches with."""
        return (self.end << END_SHIFT) | (min(self.taken, 15) << TAKEN_SHIFT) | \
            (min(self.entry, 15) << ENTRY_SHIFT) | (FLAG_IFLUSH if self.iflush else 0)

    @cached_property
    def single_access(self) -> int | None:
        """Index of the block's only memory access (an instruction with a base register), None
        with none, several or one that cannot be placed: any access the block makes is by it."""
        at = [i for i, x in enumerate(self.insns) if x.mem is not None or _accesses_without_operand(x.name)]
        if len(at) != 1 or self.insns[at[0]].mem is None or not self.insns[at[0]].mem.base:
            return None
        return at[0]

    @property
    def access_flags(self) -> int:
        """FLAGS bits ACCESS: with a single memory access in the block, 1 + the cycles of the
        instructions before it, so that the native side knows the cycle a timer register is
        read at (as ``exact_counters`` finds it); 0 otherwise."""
        k = self.single_access
        if k is None:
            return 0
        before = 1 + sum(x.cost for x in self.insns[:k])
        return before << ACCESS_SHIFT if before <= ACCESS_MASK else 0

    def index_of(self, pc: int) -> int:
        """Instructions of this block that precede the one at ``pc``."""
        for i, insn in enumerate(self.insns):
            if insn.addr >= pc:
                return i
        return len(self.insns)


def _accesses_without_operand(name: str) -> bool:
    """Instructions that touch memory though capstone gives them no memory operand (register
    lists; RISC-V atomics, whose address operand may not be one), or that cannot be decoded."""
    return name in _ARM_MULTI or name.startswith(("amo", "lr.", "sc.")) or name == "(undecoded)"


_ARM_MULTI = {"ldm", "ldmdb", "stm", "stmdb", "push", "pop", "vldmia", "vldmdb", "vstmia",
              "vstmdb", "vpush", "vpop"}
_ARM_WATCH = {"cps", "msr"}
_ARM_SINGLE_LOAD = {"ldr", "ldrb", "ldrh", "ldrsb", "ldrsh", "ldrt", "ldrbt", "ldrht", "ldrsbt",
                    "ldrsht", "ldrex", "ldrexb", "ldrexh"}
_ARM_MEMORY = _ARM_SINGLE_LOAD | _ARM_MULTI | {
    "ldrd", "str", "strb", "strh", "strt", "strbt", "strht", "strex", "strexb", "strexh", "strd",
    "vldr", "vstr", "tbb", "tbh", "pld", "pli"}
_ARM_BRANCH = {"b", "bl", "bx", "blx", "cbz", "cbnz", "tbb", "tbh", "it"}
_RV_COND = {"beq", "bne", "blt", "bge", "bltu", "bgeu", "c.beqz", "c.bnez"}
# Poll loops (Decoder._poll_loop): what may sit between the one load and the closing branch.
_RV_PURE = frozenset("""lui auipc addi slti sltiu xori ori andi slli srli srai add sub sll slt sltu xor
    srl sra or and c.li c.lui c.addi c.andi c.slli c.srli c.srai c.mv c.add c.sub c.xor c.or
    c.and mv li not neg seqz snez sltz sgtz nop c.nop""".split())
_RV_LOADS = frozenset("lw lh lhu lb lbu c.lw".split())
_RV_BRANCHES = frozenset("""beq bne blt bge bltu bgeu c.beqz c.bnez beqz bnez blez bgez bltz bgtz
    bgt ble bgtu bleu""".split())
_ARM_PURE = frozenset("""mov mvn movw movt add sub rsb and orr eor bic lsl lsr asr ror cmp cmn tst
    teq ubfx sbfx uxtb uxth sxtb sxth nop""".split())
_ARM_POLL_LOADS = frozenset("ldr ldrb ldrh ldrsb ldrsh".split())
_RV_CSR = {"csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci"}
# A pending interrupt becomes takeable only through mstatus (MIE), mie or mip, or mret (MPIE):
# a block touching one of those is watched; other CSRs (mscratch, mcause, mepc, ...) cannot.
_RV_CSR_UNMASK = {0x300, 0x304, 0x344}
_RV_COMPRESSED_MEM = {"c.lw", "c.sw", "c.lwsp", "c.swsp", "c.flw", "c.fsw", "c.flwsp", "c.fswsp",
                      "c.fld", "c.fsd", "c.fldsp", "c.fsdsp"}
_RV_MULDIV = {"mul", "mulh", "mulhu", "mulhsu", "div", "divu", "rem", "remu"}   # one iterative unit
_RV_LINK = (1, 5)            # ra, t0: the link registers the RAS follows (RISC-V spec, JALR hints)


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
        spin = watch = iflush = False
        seen = []                    # capstone's instructions, for the poll-loop check
        end = taken = entry = 0
        prev = None                  # (name, registers written, single load?) of the last one
        ready: dict[str, int] = {}   # E31: issue cycle from which a register's value is ready
        clock = 0                    # E31: issue cycle of the next instruction in this block
        for ins in self.md.disasm(code, addr):
            name = ins.insn_name()
            seen.append(ins)
            if self.arch == "arm":
                cost, mem, prev = self._arm(ins, name, prev, first=not insns)
                if name in _ARM_WATCH:
                    watch = True
                # Only a block that is the self-branch alone spins: code before it in the same
                # block must run first (it typically arms the interrupt the loop waits for).
                if name == "b" and ins.operands and ins.operands[0].imm == ins.address == addr:
                    spin = True
                if not insns and ins.size == 4 and addr & 2:
                    entry = self.timing.unaligned_target
                end, taken = self._arm_end(ins, name)
            else:
                cost, mem, regs = self._riscv(ins, name)
                # In-order issue with interlocks: wait for the registers this instruction reads
                # or writes (RAW and WAW) that a recent load/MUL/CSR read has not produced yet.
                stall = max((ready.get(r, 0) - clock for r in regs), default=0)
                if stall > 0:
                    cost += stall
                    clock += stall
                lat = self.timing.latency.get(name)
                if lat and regs and regs[0] is not None:
                    ready[regs[0]] = clock + lat
                clock += cost - max(stall, 0)
                if name == "mret" or (name in _RV_CSR and
                                      int.from_bytes(ins.bytes, "little") >> 20 in _RV_CSR_UNMASK):
                    watch = True
                iflush = iflush or name == "fence.i"
                if bytes(ins.bytes) in (b"\x6f\x00\x00\x00", b"\x01\xa0") and ins.address == addr:  # j .
                    spin = True
                end = self._rv_end(ins, name)
            insns.append(Insn(ins.address, ins.size, name, cost, mem, "pc" in ins.op_str))
        decoded = sum(i.size for i in insns)
        if decoded < len(code):
            # Bytes capstone cannot decode still execute as one (faulting) instruction.
            insns.append(Insn(addr + decoded, len(code) - decoded, "(undecoded)", 1, None))
            end = taken = 0
        poll = decoded == len(code) and self._poll_loop(seen, addr)
        return Block(addr, len(code), tuple(insns), sum(i.cost for i in insns), spin, watch,
                     end, taken, entry, iflush, poll)

    def _poll_loop(self, insns, addr: int) -> bool:
        """One load, ALU work on registers, a conditional branch back to the start, and no
        register read before the block writes it: every iteration that loads the same value
        computes the same values and takes the same path (what skipping iterations relies on)."""
        if not insns:
            return False
        *body, last = insns
        cs = self._cs
        if self.arch == "arm":
            name = last.insn_name()
            if not ((name == "b" and last.cc not in (self._cc_al, 0)) or name in ("cbz", "cbnz")) \
                    or last.operands[-1].imm != addr:
                return False
            loads = [i for i in body if i.insn_name() in _ARM_POLL_LOADS and not i.writeback]
            if len(loads) != 1 or any(i.insn_name() not in _ARM_PURE | _ARM_POLL_LOADS for i in body):
                return False

            def access(i):
                try:
                    read, written = i.regs_access()
                except Exception:                  # capstone cannot say: not a poll loop
                    return None, None
                if i is last and name == "b":
                    read = [*read, cs.arm.ARM_REG_CPSR]
                return set(read), set(written) - {cs.arm.ARM_REG_PC}
        else:
            if last.mnemonic not in _RV_BRANCHES or last.address + last.operands[-1].imm != addr:
                return False
            loads = [i for i in body if i.mnemonic in _RV_LOADS]
            if len(loads) != 1 or any(i.mnemonic not in _RV_PURE | _RV_LOADS for i in body):
                return False

            # Capstone has no register access lists for RISC-V: the first register of an ALU op
            # or load is its destination, the others are read; the two-operand compressed forms
            # also read their destination; branches only read.
            def access(i):
                regs = [o.reg for o in i.operands if o.type == cs.CS_OP_REG]
                if i.mnemonic in _RV_BRANCHES:
                    return set(regs), set()
                reads_rd = i.mnemonic.startswith("c.") and i.mnemonic not in ("c.li", "c.lui", "c.mv", "c.lw")
                return set(regs if reads_rd else regs[1:]), set(regs[:1]) - {cs.riscv.RISCV_REG_ZERO}
        flow = [access(i) for i in insns]
        if any(r is None for r, _ in flow):
            return False
        written = set().union(*(w for _, w in flow))
        done: set[int] = set()
        for read, write in flow:
            if (read & written) - done:
                return False
            done |= write
        return True

    def _arm(self, ins, name, prev, first):
        cs = self._cs
        t = self.timing
        mem = None
        nregs = 0
        addr_regs = set()
        for op in ins.operands:
            if op.type == cs.arm.ARM_OP_MEM:
                post = any(o.type in (cs.arm.ARM_OP_IMM, cs.arm.ARM_OP_REG) for o in
                           ins.operands[list(ins.operands).index(op) + 1:])
                mem = MemRef(self.md.reg_name(op.mem.base) if op.mem.base else "",
                             self.md.reg_name(op.mem.index) if op.mem.index else None,
                             op.mem.disp, op.shift.value if op.shift.type else 0,
                             bool(op.subtracted), post)
                addr_regs = {mem.base, mem.index} - {None, ""}
        if name in _ARM_MULTI:
            nregs = sum(1 for op in ins.operands if op.type == cs.arm.ARM_OP_REG) - \
                (0 if name in ("push", "pop", "vpush", "vpop") else 1)
            addr_regs = {"sp"} if name in ("push", "pop", "vpush", "vpop") else \
                {self.md.reg_name(ins.operands[0].reg)}
        conditional = ins.cc not in (self._cc_al, 0) and name in ("b", "bx", "bl", "blx")
        cost = t.cost(name, nregs, conditional or name in ("cbz", "cbnz"))
        try:
            written = {self.md.reg_name(r) for r in ins.regs_access()[1]}
        except Exception:            # capstone cannot say: assume no dependency
            written = set()
        single_load = name in _ARM_SINGLE_LOAD
        if prev is not None:
            p_name, p_written, p_load = prev
            if single_load and p_load and not (addr_regs & p_written) and cost > 1:
                cost -= 1            # TRM 3.3.2: a load after a load pipelines, one cycle removed
            elif name in _ARM_MEMORY and p_name not in _ARM_MEMORY and p_name not in _ARM_BRANCH \
                    and addr_regs & p_written:
                cost += 1            # TRM 3.3.2: address from the preceding data-processing result
        if name == "it" and not first:
            cost = 0                 # IT folding (ACTLR.DISFOLD clear): issued with its neighbour
        if name == "pop" and any(op.type == cs.arm.ARM_OP_REG and op.reg == cs.arm.ARM_REG_PC
                                 for op in ins.operands):
            cost += t.pipeline_refill
        if name == "ldr" and ins.operands and ins.operands[0].type == cs.arm.ARM_OP_REG and \
                ins.operands[0].reg == cs.arm.ARM_REG_PC:
            cost = 2 + 3             # TRM 3.3.2: "LDR PC,[any] ... at least five cycles"
        return cost, mem, (name, written, single_load)

    def _arm_end(self, ins, name):
        """(how an instruction ending a block transfers control, P a taken conditional adds)."""
        cs = self._cs
        cc = ins.cc not in (self._cc_al, 0)
        if name in ("cbz", "cbnz") or (name == "b" and cc):
            return END_COND, self.timing.taken_penalty
        if name == "b":
            return END_JUMP, 0
        if name in ("bl", "blx"):
            return (END_ICALL if ins.operands and ins.operands[0].type == cs.arm.ARM_OP_REG
                    else END_CALL), 0
        if name == "bx":
            return (END_RET if ins.operands and ins.operands[0].reg == cs.arm.ARM_REG_LR
                    else END_INDIRECT), 0
        regs = [op.reg for op in ins.operands if op.type == cs.arm.ARM_OP_REG]
        writes_pc = (name in ("pop", "ldm", "ldmia", "ldmdb") and cs.arm.ARM_REG_PC in regs) or \
            (name in ("ldr", "mov", "add") and regs[:1] == [cs.arm.ARM_REG_PC])
        if writes_pc:
            if name == "pop" or (name == "ldr" and "[sp]" in ins.op_str):
                return END_RET, 0
            return END_INDIRECT, 0
        if name in ("tbb", "tbh"):
            return END_INDIRECT, 0
        return END_NONE, 0

    def _riscv(self, ins, name):
        cs = self._cs
        mem = None
        regs = []
        for op in ins.operands:
            if op.type == cs.riscv.RISCV_OP_MEM:
                mem = MemRef(self.md.reg_name(op.mem.base), None, op.mem.disp, 0, False, False)
                regs.append(mem.base)
            elif op.type == cs.riscv.RISCV_OP_REG:
                regs.append(self.md.reg_name(op.reg))
        ops = ins.operands
        if name in _RV_COMPRESSED_MEM and len(ops) == 3 and ops[1].type == cs.riscv.RISCV_OP_IMM:
            # capstone gives compressed loads/stores as (reg, offset, base), not a memory operand
            mem = MemRef(self.md.reg_name(ops[2].reg), None, ops[1].imm, 0, False, False)
        cost = self.timing.cost(name, 0, name in _RV_COND)
        if name in _RV_COND:
            cost = self.timing.conditional_branch
        # The first register operand is the destination of an instruction with a latency
        # (loads, MUL, CSR reads): reads and writes both interlock, so one list serves.
        regs = [r if r not in ("zero", "x0") else None for r in regs]
        return cost, mem, [r for r in regs if r is not None] if regs and regs[0] is not None else \
            ([None] + [r for r in regs if r is not None] if regs else [])

    def divide_hide(self, code: bytes, addr: int) -> int:
        """SiFive E31: issue cycles from the divide at ``addr`` to the first instruction that
        waits for it (reads or writes its result, or needs the busy multiply/divide unit).
        Only the rest of the divide's operand-dependent latency stalls (_divtime.c). With no
        such instruction before the block ends, the next block's first is assumed to need it."""
        rd, clock = None, 0
        for k, ins in enumerate(self.md.disasm(code, addr)):
            name = ins.insn_name()
            cost, _mem, regs = self._riscv(ins, name)
            if k == 0:
                rd = regs[0] if regs else None
            elif (rd is not None and rd in regs) or name in _RV_MULDIV:
                return clock
            clock += cost
            if k and self._rv_end(ins, name) != END_NONE:
                break
        return clock

    def _rv_end(self, ins, name):
        if name in _RV_COND:
            return END_COND
        raw = int.from_bytes(bytes(ins.bytes), "little")
        if ins.size == 4 and raw & 0x7F == 0x6F:                        # jal
            return END_CALL if (raw >> 7) & 31 in _RV_LINK else END_JUMP
        if ins.size == 4 and raw & 0x7F == 0x67:                        # jalr
            rd, rs1 = (raw >> 7) & 31, (raw >> 15) & 31
            if rd in _RV_LINK:
                return END_ICALL
            return END_RET if rs1 in _RV_LINK else END_INDIRECT
        if name == "c.j":
            return END_JUMP
        if name == "c.jal":
            return END_CALL
        if name == "c.jalr":
            return END_ICALL
        if name == "c.jr":
            return END_RET if (raw >> 7) & 31 in _RV_LINK else END_INDIRECT
        return END_NONE


_DECODER_SOURCE = Path(__file__).read_bytes()
CACHE_VERSION = 2


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
            self.blocks = load(self.path) or {}      # a damaged or foreign file: decode afresh

    def get(self, addr: int, code: bytes) -> Block | None:
        return self.blocks.get((addr, code))

    def put(self, addr: int, code: bytes, block: Block) -> None:
        self.blocks[(addr, code)] = block
        self.added += 1

    def save(self) -> None:
        """Write new blocks (atomically: parallel runs of the same firmware may race)."""
        if not self.added or self.path is None:
            return
        if store(self.path, self.blocks):         # else a read-only home: run without the cache
            self.added = 0
            try:
                self._prune()
            except OSError:                       # a parallel run pruned first
                pass

    def _prune(self, keep: int = 256) -> None:
        files = sorted(self.path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in files[:-keep]:
            old.unlink(missing_ok=True)


class StepContext:
    """What instructions run one at a time (``step()``) cost: what they cost inside the blocks
    ``run()`` executes them in. The few instructions just run in sequence are decoded with
    each one (load pipelining, interlocks and IT folding depend on them); a control transfer
    ends the sequence, as it ends a block."""

    DEPTH = 3

    def __init__(self):
        self.prev: list[tuple[int, bytes]] = []

    def forget(self) -> None:
        self.prev = []

    def cost(self, decoder: Decoder, read, pc0: int, ran: list[Insn]) -> int:
        if not (self.prev and self.prev[-1][0] + len(self.prev[-1][1]) == pc0):
            self.prev = []
        start = self.prev[0][0] if self.prev else pc0
        mine = read(pc0, sum(x.size for x in ran))
        b = decoder.decode(b"".join(code for _, code in self.prev) + mine, start)
        k = len(self.prev)
        cost = sum(x.cost for x in b.insns[k:k + len(ran)])
        if b.end != END_NONE and b.insns[-1].addr == ran[-1].addr:
            self.prev = []               # a control transfer ends the block
        else:
            off = 0
            for x in ran:
                self.prev.append((x.addr, mine[off:off + x.size]))
                off += x.size
            self.prev = self.prev[-self.DEPTH:]
        return cost
