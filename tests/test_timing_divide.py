"""Data-dependent divide timing (tinysim/engines/builtin/_divtime.c), checked by the firmware's
own counters (firmware/apps/tmb_div: DWT CYCCNT on nano33ble, mcycle on hifive1).

The rules are re-derived here from their sources, independently of the C code:
- Cortex-M4 SDIV/UDIV: 2..12 cycles (TRM DDI 0439B Table 3-1), early termination by the
  operands' leading zeros in the form the Cortex-R4 TRM (DDI 0363G §C.8) publishes for its
  divider: 2 + floor((clz(|B|) - clz(|A|) + 1) / 3), a zero divisor 2.
- SiFive E31 DIV/DIVU/REM/REMU: the cycles rocket-chip's MulDiv (Multiplier.scala) spends in
  s_neg_inputs, s_div (count 0..32, early out at the first) and s_neg_output.
"""
from __future__ import annotations

import random
import shutil
import subprocess
import pytest

from tinysim import api

M4_OVERHEAD = 2 + 1          # the first CYCCNT read (ldr) and the nop after it (tmb_div, tmb_rules)
E31_OVERHEAD = 1             # the first mcycle read (csrr)


def clz(x: int) -> int:
    return 32 - x.bit_length()


def m4_divide(a: int, b: int, signed: bool) -> int:
    """Cycles of one SDIV/UDIV of a by b (32-bit two's complement operands)."""
    if b == 0:
        return 2
    if signed:
        a = (-a) & 0xFFFFFFFF if a >> 31 else a
        b = (-b) & 0xFFFFFFFF if b >> 31 else b
    quotient_bits = clz(b) - clz(a) + 1
    return 2 + max(quotient_bits, 0) // 3


def e31_divide(a: int, b: int, signed: bool, rem: bool) -> int:
    """Result latency of one E31 divide, stepping rocket's MulDiv state machine."""
    lhs_neg = signed and bool(a >> 31)
    rhs_neg = signed and bool(b >> 31)
    cycles = 1 if (lhs_neg or rhs_neg) else 0            # s_neg_inputs
    neg_out = lhs_neg if rem else lhs_neg != rhs_neg
    dividend = (-a) & 0xFFFFFFFF if lhs_neg else a
    divisor = (-b) & 0xFFFFFFFF if rhs_neg else b
    count = 0
    while True:                                           # s_div, one iteration per cycle
        cycles += 1
        if count == 0:
            if divisor == 0:
                if not rem:
                    neg_out = False
            else:
                log2 = lambda x: x.bit_length() - 1 if x else 0      # chisel3.util.Log2 (0 -> 0)
                e_out_pos = ~(log2(dividend) - log2(divisor)) & 31   # 5-bit wrap, as the hardware
                if e_out_pos >= 1:
                    count = e_out_pos
                    continue
        if count == 32:
            break
        count += 1
    return cycles + (1 if neg_out else 0)                 # s_neg_output


@pytest.fixture(scope="session")
def tmb(timing_app):
    results = {}
    for board, (_, _, elf, cycles) in timing_app("tmb_div").items():
        results[board] = {**cycles, "_elf": elf}
    return results


CASES = {   # name: (dividend, divisor, signed), as firmware/apps/tmb_div/main.c
    "udiv_large_by_small": (0xFFFFFFFF, 3, False),
    "udiv_large_by_large": (0xFFFFFFFF, 0x40000000, False),
    "udiv_small_by_small": (100, 7, False),
    "udiv_small_by_large": (5, 8, False),
    "udiv_by_zero": (1234, 0, False),
    "sdiv_negative": ((-1000000) & 0xFFFFFFFF, 7, True),
    "sdiv_both_negative": ((-1000000) & 0xFFFFFFFF, (-7) & 0xFFFFFFFF, True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_m4_divide_by_operands(tmb, name):
    a, b, signed = CASES[name]
    # four independent divides, each stalling the pipeline for its whole time
    assert tmb["nano33ble"][name] == M4_OVERHEAD + 4 * m4_divide(a, b, signed)


def test_m4_rule_spans_the_trm_range():
    assert m4_divide(0xFFFFFFFF, 1, False) == 12                      # TRM: at most 12
    assert m4_divide(1, 0xFFFFFFFF, False) == 2                       # TRM: at least 2
    assert m4_divide(0x80000000, 1, True) == 12                       # |INT_MIN| has no leading zero


@pytest.mark.parametrize("name", sorted(CASES))
def test_e31_divide_by_operands(tmb, name):
    a, b, signed = CASES[name]
    # csrr; div (issues in 1); addi waits for the result: the latency less the divide's issue
    # cycle, then its own cycle
    assert tmb["hifive1"][name] == E31_OVERHEAD + 1 + (e31_divide(a, b, signed, False) - 1) + 1


def test_e31_remainder(tmb):
    a = (-1000000) & 0xFFFFFFFF
    assert tmb["hifive1"]["srem_negative"] == E31_OVERHEAD + 1 + (e31_divide(a, 7, True, True) - 1) + 1


def test_e31_independent_instructions_hide_latency(tmb):
    # divu; 8 independent addi; addi using the result. The use issues 9 cycles after the
    # divide: a long divide still stalls it, a short one not at all.
    long_ = e31_divide(0xFFFFFFFF, 3, False, False)
    short = e31_divide(0xFFFFFFFF, 0x40000000, False, False)
    assert long_ > 9 > short
    assert tmb["hifive1"]["udiv_hidden_long"] == E31_OVERHEAD + 1 + 8 + (long_ - 9) + 1
    assert tmb["hifive1"]["udiv_hidden_short"] == E31_OVERHEAD + 1 + 8 + 1


def test_e31_rule_matches_the_manuals_maximum():
    # FE310-G000 manual §3.3: at most 33 cycles (unsigned); rocket's own minDivLatency with
    # early out is 3
    assert e31_divide(0xFFFFFFFF, 1, False, False) == 33
    assert e31_divide(1, 0, False, False) == 33
    assert e31_divide(0x80000000, 0x80000000, False, False) == 3


def test_native_rule_equals_the_derivation():
    """The C hook's rule against this file's, over edge and random operands."""
    from tinysim.engines.builtin import _divtiming as D
    rng = random.Random(10)
    edges = [0, 1, 2, 3, 7, 8, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE]
    pairs = [(a, b) for a in edges for b in edges]
    for _ in range(3000):
        # operands of every magnitude: a random width, then random bits
        pairs.append((rng.getrandbits(rng.randint(0, 32)), rng.getrandbits(rng.randint(0, 32))))
    for a, b in pairs:
        assert D.cycles(D.K_UDIV, a, b, base=2) == m4_divide(a, b, False) - 2
        assert D.cycles(D.K_SDIV, a, b, base=2) == m4_divide(a, b, True) - 2
        for kind, signed, rem in ((D.K_DIV, True, False), (D.K_DIVU, False, False),
                                  (D.K_REM, True, True), (D.K_REMU, False, True)):
            assert D.cycles(kind, a, b, hide=1) == e31_divide(a, b, signed, rem) - 1, (kind, a, b)


@pytest.mark.parametrize("board", ["nano33ble", "hifive1"])
def test_block_profile_holds_the_divide_cycles(tmb, board):
    """The hook adds each divide's cycles to its block's accumulator as well: the per-block
    profile still sums to the run's cycles and instructions exactly (stopped by time, before
    the exit, whose ebreak/semihosting accounting is not the subject here)."""
    elf = tmb[board]["_elf"]
    engines = []
    r = api.run(board, elf, max_time_s=0.01, prepare=engines.append)
    eng = engines[0]
    assert r.exit_reason != "exit"
    assert eng.m.div_timing.timed >= 2 * 4          # the first cases ran (cold and warm)
    assert eng.m.div_timing.extra_cycles > 0
    blocks = eng.profile()
    assert sum(c for _, _, c in blocks) == r.cycles
    assert sum(i for _, i, _ in blocks) == r.instructions


# -- run() and step() charge the same divide cycles ------------------------------------------------
_THUMB = """
    .syntax unified
    .cpu cortex-m4
    .thumb
    .section .vectors, "a"
    .word 0x20040000
    .word start
    .text
    .thumb_func
start:
    ldr r1, =%(a)d
    ldr r2, =%(b)d
    udiv r3, r1, r2
    udiv r3, r1, r2
    sdiv r3, r1, r2
    adds r0, r3, #0
    movs r0, #0x18
    ldr r1, =0x20026
    bkpt 0xab
1:  b 1b
    .ltorg
"""
_THUMB_LD = """
MEMORY { FLASH (rx) : ORIGIN = 0x00000000, LENGTH = 1M
         RAM (rwx)  : ORIGIN = 0x20000000, LENGTH = 256K }
SECTIONS { .text : { KEEP(*(.vectors)) *(.text*) } > FLASH }
"""
_RV = """
    .option norelax
    .option norvc
    .text
    .global _start
_start:
    lui a1, %%hi(%(a)d)
    addi a1, a1, %%lo(%(a)d)
    lui a2, %%hi(%(b)d)
    addi a2, a2, %%lo(%(b)d)
    divu a3, a1, a2
    addi a3, a3, 1
    divu a4, a1, a2
    addi a4, a4, 1
    li a0, 0x18
    li a1, 0x20026
    slli x0, x0, 0x1f
    ebreak
    srai x0, x0, 7
"""
_RV_LD = """
MEMORY { FLASH (rx) : ORIGIN = 0x20010000, LENGTH = 0x3F0000 }
ENTRY(_start)
SECTIONS { .text : { *(.text*) } > FLASH }
"""
_TOOLS = {"nano33ble": ("arm-none-eabi-gcc", ["-mcpu=cortex-m4", "-mthumb"], _THUMB, _THUMB_LD),
          "hifive1": ("riscv64-unknown-elf-gcc", ["-march=rv32imac_zicsr", "-mabi=ilp32"], _RV, _RV_LD)}


def _divide_program(tmp_path, board, a, b):
    gcc, flags, src, ld = _TOOLS[board]
    if shutil.which(gcc) is None:
        pytest.skip(f"{gcc} is not installed (./scripts/setup.sh installs it)")
    d = tmp_path / f"{board}_{a:x}_{b:x}"
    d.mkdir()
    (d / "p.S").write_text(src % {"a": a, "b": b})
    (d / "link.ld").write_text(ld)
    r = subprocess.run([gcc, *flags, "-nostdlib", "-T", "link.ld", "p.S", "-o", "p.elf"],
                       cwd=d, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return d / "p.elf"


def _run_and_step(board, elf):
    r = api.run(board, elf, max_time_s=0.01)
    assert r.exit_reason == "exit", r.detail
    with api.open_board(board, elf) as eng:
        for _ in range(100):
            if eng.step(1).reason == "exit":
                break
        stepped = eng.counters()
    return r.cycles, stepped.cycles


@pytest.mark.parametrize("board", ["nano33ble", "hifive1"])
def test_step_charges_divides_as_run_does(tmp_path, board):
    # The same code with other operands: the cycle difference is the divides' alone. (How the
    # semihosting exit counts when stepped is not the subject here, so run and step are each
    # compared with the rule rather than with each other.)
    slow = _divide_program(tmp_path, board, 0x7FFFFFFF, 1)
    fast = _divide_program(tmp_path, board, 0x7FFFFFFF, 0x40000000)
    run_slow, step_slow = _run_and_step(board, slow)
    run_fast, step_fast = _run_and_step(board, fast)
    if board == "nano33ble":        # udiv, udiv, sdiv: each stalls for its whole time
        want = 2 * (m4_divide(0x7FFFFFFF, 1, False) - m4_divide(0x7FFFFFFF, 0x40000000, False)) + \
            m4_divide(0x7FFFFFFF, 1, True) - m4_divide(0x7FFFFFFF, 0x40000000, True)
    else:                           # two divu, each used by the next instruction
        want = 2 * (e31_divide(0x7FFFFFFF, 1, False, False) - e31_divide(0x7FFFFFFF, 0x40000000, False, False))
    assert run_slow - run_fast == want
    assert step_slow - step_fast == want


@pytest.mark.parametrize("board", ["nano33ble", "hifive1"])
def test_a_core_reset_keeps_one_timing_hook_per_divide(tmb, board):
    """A system reset (SYSRESETREQ runs the core's reset again) must not add a second hook on
    each divide: the run after it charges each divide's cycles once, as a run without it."""
    from tinysim import api
    runs = []
    for extra_reset in (False, True):
        with api.open_board(board, tmb[board]["_elf"]) as eng:
            if extra_reset:
                eng.m.core.reset()
            r = api.run_engine(eng, max_time_s=1.0)
            runs.append((r.instructions, r.cycles, r.uart))
    assert runs[0] == runs[1]
