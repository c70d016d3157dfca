"""Memory-system microbenchmarks (firmware/apps/tmb_cache), counted by the firmware itself
through mcycle (hifive1) and DWT CYCCNT (nano33ble). Every expected figure is derived here
from the manuals (cited next to it) and the flash controller's configuration, not from
tinysim's output."""
from __future__ import annotations

import pytest


# FE310-G002 Manual §3.1: 16 KiB 2-way set-associative instruction cache, 32-byte lines.
FE310_LINE, FE310_LINES = 32, 16384 // 32
# FE310-G002 Manual, SPI chapter, QSPI0 reset values: sckdiv = 3 (SCK = tlclk / (2 (3 + 1)),
# tlclk = the core clock); ffmt: command 0x03 (READ) on one lane, 3 address bytes on one lane,
# no dummy cycles, data on one lane; delay0: cssck 1, sckcs 1; delay1: intercs 1 (SCK cycles).
SCK_PER_LINE = 8 + 3 * 8 + 0 + FE310_LINE * 8 + 1 + 1 + 1
CORE_PER_SCK = 2 * (3 + 1)
FE310_FILL = SCK_PER_LINE * CORE_PER_SCK           # core cycles per line fill
# The harness in the DTIM: csrr (the first mcycle read), jalr to the function, its nops and
# ret, each one cycle when predicted (E31 manual: correctly predicted transfers cost nothing).
HARNESS = 1 + 1 + 1


@pytest.fixture(scope="session")
def tmb(timing_app):
    results = {}
    for board, (r, _, _, cycles) in timing_app("tmb_cache").items():
        assert r.exit_code == 0, r.detail
        results[board] = cycles
    return results


def test_fe310_timing_table_states_the_reset_line_fill():
    # 291 SCK cycles at SCK = 40 MHz (320 MHz / 8): 2328 core cycles, 7.3 us per 32-byte line
    from tinysim.timing import load_timing
    ic = load_timing("sifive-e31").icache
    assert ic["miss_cycles"] == FE310_FILL == 2328
    assert (ic["size_bytes"], ic["ways"], ic["line_bytes"]) == (16384, 2, FE310_LINE)


def test_fe310_cold_lines_each_pay_a_fill(tmb):
    small_insns = 63 + 1                            # 63 nops + ret, 256 bytes: 8 lines
    warm = HARNESS + small_insns - 1                # the ret is the harness's third cycle
    assert tmb["hifive1"]["xip_small_warm"] == warm
    assert tmb["hifive1"]["xip_small_cold"] == warm + (256 // FE310_LINE) * FE310_FILL


def test_fe310_code_larger_than_the_cache_misses_again(tmb):
    lines = 20 * 1024 // FE310_LINE                 # 640 lines for 512 places
    warm = HARNESS + 5119                           # 5119 nops + ret
    assert tmb["hifive1"]["xip_big_cold"] == warm + lines * FE310_FILL
    # The second pass misses at least where 640 lines cannot fit in 512 (whatever the
    # replacement) and at most everywhere; the manual does not give the replacement policy.
    again_misses, rest = divmod(tmb["hifive1"]["xip_big_again"] - warm, FE310_FILL)
    assert rest == 0
    assert lines - FE310_LINES <= again_misses < lines


def test_fe310_qspi_format_set_by_firmware_sets_the_fill_cost(tmb):
    """Firmware switches QSPI0 to "Fast Read Dual I/O" (ffmt: command 0xBB on one lane, address
    and data on two, pad_cnt 4), as RIOT's FE310 port does: each fill gets cheaper by the
    same formula."""
    dual_sck = 8 + 3 * 8 // 2 + 4 + FE310_LINE * 8 // 2 + 1 + 1 + 1
    warm = HARNESS + 63
    assert tmb["hifive1"]["xip_small_cold_dual"] == warm + 8 * dual_sck * CORE_PER_SCK
