"""The CLINT's mtime read natively (_hook.c, TIME words of a shadowed mapping) at the cycle
of the reading instruction: the same values, counts and output as the Python model, which
then answers only reads it must (blocks with several memory accesses)."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from unicorn.riscv_const import UC_RISCV_REG_S1

from tinysim import api
from tinysim.engines.builtin import _native as N
from tinysim.engines.builtin._decode import Block, Insn, MemRef
from tinysim.engines.builtin.riscv import Clint
from tinysim.scenario import run_scenario

ROOT = Path(__file__).resolve().parent.parent
MTIME_LO, MTIME_HI = 0xBFF8, 0xBFFC


def _counting_reads(monkeypatch):
    """Count the mtime reads that reach the Python model, by offset."""
    seen = {MTIME_LO: 0, MTIME_HI: 0}
    orig = Clint.read

    def read(self, off, size):
        if off in seen:
            seen[off] += 1
        return orig(self, off, size)
    monkeypatch.setattr(Clint, "read", read)
    return seen


def _run(elf, seconds, native, monkeypatch, platform="hifive1"):
    if not native:
        monkeypatch.setattr(Clint, "TIME", {})
    seen = _counting_reads(monkeypatch)
    with api.open_board(platform, elf) as eng:
        r = api.run_engine(eng, max_time_s=seconds)
        state = eng.m.peripherals["clint"].get_state()
    monkeypatch.undo()
    return {"exit": r.exit_reason, "insns": r.instructions, "cycles": r.cycles,
            "uart": hashlib.sha1(r.uart.encode()).hexdigest(), "mtimecmp": state["mtimecmp"]}, seen


# hello: board_init's PLL wait polls mtime in a one-load loop; timer and spin_irq run the
# ticker (mtime read hi/lo/hi in one block: those stay with Python).
@pytest.mark.parametrize("app,seconds", [("hello", 0.05), ("timer", 0.3), ("spin_irq", 0.3), ("wfi_idle", 0.3)])
def test_native_mtime_equals_the_python_model(fw, monkeypatch, app, seconds):
    elf = fw("hifive1", app)
    native, seen_native = _run(elf, seconds, True, monkeypatch)
    python, seen_python = _run(elf, seconds, False, monkeypatch)
    assert native == python
    # The Python model saw every read without the native path; with it, none of the delay
    # loop's (one load per block), and all of the three-load hi/lo/hi sequence's.
    assert seen_python[MTIME_LO] > 0
    assert seen_native[MTIME_HI] == seen_python[MTIME_HI]
    if app == "hello":
        assert seen_python[MTIME_LO] >= 1000 and seen_native[MTIME_LO] < seen_python[MTIME_LO] // 100


# mtime read in blocks whose single load sits at different places, summed into s1; with mtime
# ticking at the core clock, a read placed one cycle early or late changes the sum.
_POLL_S = """
    .section .text.init, "ax"
    .global _start
_start:
    li a0, 0x0200BFF8
    li s1, 0
    li t1, 300
1:  lw t0, 0(a0)
    add s1, s1, t0
    addi t1, t1, -1
    bnez t1, 1b
    li t1, 300
2:  addi t2, t2, 1
    mul t3, t2, t2
    div t4, t3, t1
    lw t0, 0(a0)
    xor s1, s1, t0
    slli s1, s1, 1
    addi t1, t1, -1
    bnez t1, 2b
    lw t0, 4(a0)
    add s1, s1, t0
3:  j 3b
"""


@pytest.fixture(scope="module")
def poll_elf(tmp_path_factory):
    gcc = "riscv64-unknown-elf-gcc"
    if shutil.which(gcc) is None:
        pytest.skip(f"{gcc} not installed (needed to build a test ELF)")
    tmp = tmp_path_factory.mktemp("mtime_poll")
    (tmp / "poll.S").write_text(_POLL_S)
    (tmp / "link.ld").write_text("ENTRY(_start) SECTIONS { . = 0x20010000; .text : { *(.text.init) } }")
    subprocess.run([gcc, "-march=rv32imac", "-mabi=ilp32", "-nostdlib", "-T", "link.ld", "poll.S",
                    "-o", "poll.elf"], cwd=tmp, check=True, capture_output=True)
    return tmp / "poll.elf"


def test_native_mtime_is_exact_to_the_cycle(poll_elf, monkeypatch, tmp_path):
    text = (ROOT / "platforms/hifive1.yaml").read_text()
    assert "timebase_hz: 32768" in text
    board = tmp_path / "hifive1_cycle_mtime.yaml"
    board.write_text(text.replace("timebase_hz: 32768", "timebase_hz: 320000000"))
    sums = []
    for native in (True, False):
        if not native:
            monkeypatch.setattr(Clint, "TIME", {})
        seen = _counting_reads(monkeypatch)
        with api.open_board(board, poll_elf) as eng:
            r = api.run_engine(eng, max_time_s=0.001)
            sums.append((eng.m.uc.reg_read(UC_RISCV_REG_S1), r.instructions, r.cycles))
        monkeypatch.undo()
        assert seen[MTIME_LO] == (0 if native else 600) and seen[MTIME_HI] == (0 if native else 1)
    assert sums[0] == sums[1]


def test_vibration_scenario_equals_the_python_model(fw, monkeypatch):
    fw("hifive1", "vibration")
    out = []
    for native in (True, False):
        if not native:
            monkeypatch.setattr(Clint, "TIME", {})
        r = run_scenario(ROOT / "scenarios/vibration_healthy_hifive1.yaml", max_time_s=1.0)
        assert r.error is None, r.error
        out.append((r.run.instructions, r.run.cycles, r.run.uart))
        monkeypatch.undo()
    assert out[0] == out[1] and out[0][2].count("score=") >= 1


def _insn(name, cost, mem=None):
    return Insn(0, 2, name, cost, mem)


LOAD = MemRef("a4", None, -8, 0, False, False)


@pytest.mark.parametrize("insns,expected", [
    ([_insn("addi", 1), _insn("c.addi", 1), _insn("lw", 2, LOAD), _insn("bltu", 3)], 1 + 2),
    ([_insn("lw", 2, LOAD), _insn("bltu", 3)], 1),
    ([_insn("lw", 2, LOAD), _insn("lw", 2, LOAD)], 0),                       # which one: unknown
    ([_insn("addi", 1), _insn("bltu", 3)], 0),                                # no access
    ([_insn("push", 3), _insn("ldr", 2, MemRef("r3", None, 0, 0, False, False))], 0),  # a list too
    ([_insn("amoadd.w", 3), _insn("lw", 2, LOAD)], 0),
    ([_insn("ldr", 2, MemRef("", None, 8, 0, False, False))], 0),             # no base register
    ([_insn("mul", 5000)] * 7 + [_insn("lw", 2, LOAD)], 0),                   # past the field
])
def test_access_flags_give_the_cycles_before_a_single_access(insns, expected):
    b = Block(0x20010000, 2 * len(insns), tuple(insns), sum(i.cost for i in insns), False, False)
    flags = b.access_flags
    assert (flags >> N.ACCESS_SHIFT) & N.ACCESS_MASK == expected
    assert flags & ((1 << N.ACCESS_SHIFT) - 1) == 0 and flags >> 32 == 0
