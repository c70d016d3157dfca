"""Configuration registers (Peripheral.STORE: TWIM/UARTE addresses, pointers, counts) written
and read natively in the shadow table: the models see what firmware wrote, runs equal those
with every write through Python, and snapshots carry the values."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tinysim import api
from tinysim.engines.builtin import Machine
from tinysim.engines.builtin.peripherals.nrf52840 import Twim, Uarte
from tinysim.scenario import run_scenario

ROOT = Path(__file__).resolve().parent.parent


def _app(elf, seconds):
    with api.open_board("nano33ble", elf) as eng:
        r = api.run_engine(eng, max_time_s=seconds)
        return (r.exit_reason, r.instructions, r.cycles, hashlib.sha1(r.uart.encode()).hexdigest(), r.sensors)


@pytest.mark.parametrize("app,seconds", [("imu", 0.3), ("hello", 0.2), ("magic_wand", 0.3)])
def test_native_configuration_writes_equal_python_ones(fw, monkeypatch, app, seconds):
    elf = fw("nano33ble", app)
    monkeypatch.setattr(Machine, "NATIVE_STORE", True)
    native = _app(elf, seconds)
    monkeypatch.setattr(Machine, "NATIVE_STORE", False)
    python = _app(elf, seconds)
    assert native == python


def test_magic_wand_scenario_equal(monkeypatch):
    out = []
    for native in (True, False):
        monkeypatch.setattr(Machine, "NATIVE_STORE", native)
        r = run_scenario(ROOT / "scenarios/magic_wand_ring.yaml", max_time_s=4.0)
        assert r.error is None, r.error
        out.append((r.run.instructions, r.run.cycles, r.run.uart, r.run.sensors))
    assert out[0] == out[1] and "RING" in out[0][2].upper()


def test_models_read_what_firmware_wrote_and_snapshots_keep_it(fw):
    with api.open_board("nano33ble", fw("nano33ble", "imu")) as eng:
        eng.run(for_time_s=0.05)
        twim = next(p for p in eng.m.peripherals.values() if isinstance(p, Twim))
        uarte = next(p for p in eng.m.peripherals.values() if isinstance(p, Uarte))
        assert twim.regs.get(Twim.ADDRESS) == 0x6B          # the LSM9DS1's accelerometer/gyro
        assert twim.regs.get(Twim.ENABLE) == 6 and uarte.regs.get(Uarte.ENABLE) == 8
        assert twim.regs.get(Twim.FREQUENCY) == 0x06400000   # K400
        snap = eng.snapshot()
        assert snap["periph"][twim.name]["regs"][Twim.ADDRESS] == 0x6B
        eng.run(for_time_s=0.05)
        after = eng.counters()
        twim.regs[Twim.ADDRESS] = 0x1E                       # the host changes it; restore undoes it
        eng.restore(snap)
        assert twim.regs.get(Twim.ADDRESS) == 0x6B
        eng.run(for_time_s=0.05)
        assert eng.counters() == after
