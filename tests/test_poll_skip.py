"""Loops that only poll a shadowed register (a UART's FIFO-full flag, an event register) run
their identical iterations at once (_hook.c, skip_polls): counts, output and the models'
state equal running every iteration."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tinysim import api
from tinysim.engines.builtin import Machine
from tinysim.scenario import run_scenario

ROOT = Path(__file__).resolve().parent.parent


def _app(elf, board, seconds):
    with api.open_board(board, elf) as eng:
        r = api.run_engine(eng, max_time_s=seconds)
        return (r.exit_reason, r.exit_code, r.instructions, r.cycles,
                hashlib.sha1(r.uart.encode()).hexdigest(), r.sensors)


@pytest.mark.parametrize("board,app,seconds", [
    ("nano33ble", "hello", 0.2), ("hifive1", "hello", 0.2),        # prints: polls the UART
    ("hifive1", "uart_irq", 0.05), ("nano33ble", "timer", 0.05), ("hifive1", "timer", 0.05),
    ("nano33ble", "imu", 0.3), ("hifive1", "accel", 0.3), ("hifive1", "accel_irq", 0.3),
    ("nano33ble", "mic", 0.3), ("nano33ble", "vibration", 0.5), ("hifive1", "vibration", 0.5),
    ("nano33ble", "poll_gpio", 0.05), ("hifive1", "poll_gpio", 0.05),
])
def test_skipped_polls_equal_every_iteration(fw, monkeypatch, board, app, seconds):
    elf = fw(board, app)
    monkeypatch.setattr(Machine, "SKIP_POLLS", True)
    skipped = _app(elf, board, seconds)
    monkeypatch.setattr(Machine, "SKIP_POLLS", False)
    every = _app(elf, board, seconds)
    assert skipped == every


@pytest.mark.parametrize("scenario,seconds", [
    ("scenarios/vibration_healthy_hifive1.yaml", 1.5),
    ("scenarios/magic_wand_ring.yaml", 6.0),
])
def test_skipped_polls_equal_every_iteration_in_scenarios(monkeypatch, scenario, seconds):
    out = []
    for skip in (True, False):
        monkeypatch.setattr(Machine, "SKIP_POLLS", skip)
        r = run_scenario(ROOT / scenario, max_time_s=seconds)
        assert r.error is None, r.error
        out.append((r.run.instructions, r.run.cycles, r.run.uart, r.run.sensors))
    assert out[0] == out[1]
    assert out[0][2].count("\n") >= 2


def test_printing_skips_the_uart_wait(fw, monkeypatch):
    """hello prints at 115200 baud: its wait on the FIFO-full flag is most of its instructions,
    and a poll loop found at decode (FLAG_POLL) is what the skipping needs."""
    from tinysim.engines.builtin import _native as N
    with api.open_board("hifive1", fw("hifive1", "hello")) as eng:
        api.run_engine(eng, max_time_s=0.05)
        polls = [b for b in eng.m.blocks.values() if b.poll]
        assert polls and all(eng.m.counter.flags[eng.m.counter.slot(b.addr)] & N.FLAG_POLL for b in polls
                             if eng.m.counter.slot(b.addr) >= 0)
        assert any(eng.firmware.function_at(b.addr)[0] in ("console_write", "uart_putc", "putc")
                   for b in polls if eng.firmware.function_at(b.addr)), \
            [eng.firmware.function_at(b.addr) for b in polls]


@pytest.mark.parametrize("board", ["nano33ble", "hifive1"])
def test_a_restore_in_a_poll_loop_runs_as_before(fw, board):
    """Snapshot while hello waits on its UART, run on, restore, run again: the same counts."""
    with api.open_board(board, fw(board, "hello")) as eng:
        eng.run(for_time_s=0.004)
        snap = eng.snapshot()
        eng.run(for_time_s=0.003)
        first = eng.counters()
        eng.restore(snap)
        eng.run(for_time_s=0.003)
        assert eng.counters() == first
