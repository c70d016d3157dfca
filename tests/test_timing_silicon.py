"""tinysim's cycle counts against published measurements on silicon, for workloads built here
from our own source (firmware/apps/tmb_rules). Each figure names where it was published.

| workload | silicon (source) | tinysim before the branch model | tinysim now |
| subs + taken bhi countdown loop, per iteration | 4 cycles: STM32F103 (Cortex-M3, the
  M4's branch timing: TRM Table 3-1 vs M3 TRM Table 18-1), code in RAM, measured by
  blaatschaap.be "Wait a microsecond" | 3 (-25 %) | 4 (0 %) |
"""
from __future__ import annotations

from test_timing_rules import tmb  # noqa: F401  (the built, run microbenchmarks)

SILICON_LOOP_CYCLES_PER_ITERATION = 4       # subs 1 + taken bhi 1 + P (P measured as 2)


def test_taken_loop_branch_matches_silicon(tmb):
    # tmb_rules' loop_taken: 3 cycles of counter read, movs, 100 x subs, 99 taken bne and the
    # last one not taken (1 cycle, P less than a taken one)
    total = tmb["nano33ble"]["loop_taken"]
    per_iteration = (total - 3 - 1 + 2) / 100
    assert per_iteration == SILICON_LOOP_CYCLES_PER_ITERATION
