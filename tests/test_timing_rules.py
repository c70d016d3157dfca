"""One microbenchmark per timing rule (firmware/apps/tmb_rules), counted by the firmware
itself through DWT CYCCNT (nano33ble) or mcycle (hifive1). Every expected figure below is
derived here from the cores' manuals (cited next to it), not from tinysim's output."""
from __future__ import annotations

import pytest


# Cortex-M4 TRM (DDI 0439B) §3.3.1 Table 3-1 and §3.3.2 "Load/store timings".
M4_P = 2                    # pipeline refill after a taken branch to an aligned 16-bit target
M4_LDR, M4_LDR_PIPELINED, M4_PUSH_POP_BASE = 2, 1, 1
M4_OVERHEAD = 2 + 1         # the first CYCCNT read (ldr) and the nop after it
# SiFive E31 Core Complex Manual, "Instruction Fetch Unit" (predictor); FE310-G000 Manual
# §3.3 "Execution Pipeline" (result latencies of the same E31 core).
E31_MISS = 3
E31_LW, E31_LBU, E31_MUL = 2, 3, 5
E31_OVERHEAD = 1            # the first mcycle read (csrr)


@pytest.fixture(scope="session")
def tmb(timing_app):
    return {board: run[3] for board, run in timing_app("tmb_rules").items()}


def two_bit_counter(outcomes, state=1):
    """Mispredictions of a 2-bit saturating counter (predict taken at 2 and 3)."""
    miss = 0
    for taken in outcomes:
        miss += (state >= 2) != taken
        state = min(state + 1, 3) if taken else max(state - 1, 0)
    return miss, state


# -- Cortex-M4 ---------------------------------------------------------------------------------
def test_m4_taken_loop_branch(tmb):
    # movs; 100 x subs; bne taken 99 times (1 + P), falls through once (1)
    assert tmb["nano33ble"]["loop_taken"] == M4_OVERHEAD + 1 + 100 + 99 * (1 + M4_P) + 1


def test_m4_conditional_branch_taken_and_not(tmb):
    assert tmb["nano33ble"]["branch_not_taken"] == M4_OVERHEAD + 1 + 1 + 1   # cmp, bne (1), nop
    assert tmb["nano33ble"]["branch_taken"] == M4_OVERHEAD + 1 + (1 + M4_P) + 1   # cmp, beq, nop


def test_m4_back_to_back_loads_pipeline(tmb):
    # §3.3.2: a load after a load whose result it does not address with costs one cycle less
    assert tmb["nano33ble"]["load_pipelined"] == M4_OVERHEAD + M4_LDR + 7 * M4_LDR_PIPELINED
    assert tmb["nano33ble"]["load_chase"] == M4_OVERHEAD + 4 * M4_LDR


def test_m4_address_from_preceding_alu_result_stalls(tmb):
    # §3.3.2: "Any load or store that generates an address dependent on the result of a
    # preceding data processing operation stalls the pipeline for an additional cycle"
    assert tmb["nano33ble"]["agu_stall"] == M4_OVERHEAD + 4 * (1 + M4_LDR + 1)


def test_m4_it_folds(tmb):
    # IT folding (ACTLR.DISFOLD clear, Generic User Guide §4.3.1): cmp 1 + it 0 + moveq 1
    assert tmb["nano33ble"]["it_fold"] == M4_OVERHEAD + 4 * 2


def test_m4_push_pop_per_register(tmb):
    assert tmb["nano33ble"]["push_pop"] == M4_OVERHEAD + 2 * (M4_PUSH_POP_BASE + 4)   # 1 + N each


def test_m4_call_and_return(tmb):
    # bl 1 + P, bx lr 1 + P, then the nop returned to
    assert tmb["nano33ble"]["call_ret"] == M4_OVERHEAD + 2 * (1 + M4_P) + 1


# -- SiFive E31 --------------------------------------------------------------------------------
def test_e31_taken_loop_branch_predicted(tmb):
    # warm: the BTB holds the loop branch and the BHT predicts taken; only the exit mispredicts
    outcomes = [True] * 99 + [False]
    _, warm_state = two_bit_counter(outcomes)           # after the cold run
    miss, _ = two_bit_counter(outcomes, warm_state)
    assert miss == 1
    assert tmb["hifive1"]["loop_taken"] == E31_OVERHEAD + 1 + 100 * 2 + miss * E31_MISS


def test_e31_mispredicted_branch(tmb):
    # beqz alternates taken/not taken: a 2-bit counter mispredicts every one of them
    alt = [t0 % 2 == 0 for t0 in range(32, 0, -1)]
    loop = [True] * 31 + [False]
    _, s_alt = two_bit_counter(alt)
    _, s_loop = two_bit_counter(loop)
    miss = two_bit_counter(alt, s_alt)[0] + two_bit_counter(loop, s_loop)[0]
    insns = 1 + 32 * 4 + sum(not t for t in alt)        # li; andi, beqz, addi, bnez; addi a0
    assert tmb["hifive1"]["alternating"] == E31_OVERHEAD + insns + miss * E31_MISS


def test_e31_load_use_interlock(tmb):
    r = tmb["hifive1"]
    assert r["load_independent"] == E31_OVERHEAD + 4 * 2
    assert r["load_use"] == E31_OVERHEAD + 4 * (1 + (E31_LW - 1) + 1)
    assert r["byte_load_use"] == E31_OVERHEAD + 4 * (1 + (E31_LBU - 1) + 1)


def test_e31_multiply_latency(tmb):
    assert tmb["hifive1"]["mul_use"] == E31_OVERHEAD + 2 * (1 + (E31_MUL - 1) + 1)


def test_e31_call_return_predicted(tmb):
    # warm: the BTB holds the jal's target and the return's, the RAS the return address
    assert tmb["hifive1"]["call_ret"] == E31_OVERHEAD + 1 + 1
