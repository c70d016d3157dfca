"""Sensor models behind real register interfaces: LSM9DS1 on the nRF52840 TWIM."""
from __future__ import annotations

import re

import numpy as np
import pytest

from tinysim import api


def _samples(uart: str):
    return [tuple(map(int, m.groups())) for m in
            re.finditer(r"imu: \d+ a=(-?\d+),(-?\d+),(-?\d+) mg g=(-?\d+),(-?\d+),(-?\d+) mdps", uart)]


def test_lsm9ds1_default_is_flat_and_still(fw):
    r = api.run("nano33ble", fw("nano33ble", "imu"))
    assert (r.exit_reason, r.exit_code) == ("exit", 0)
    assert "WHO_AM_I=0x68" in r.uart
    s = _samples(r.uart)
    assert len(s) == 10 and all(x == (0, 0, 1000, 0, 0, 0) for x in s)
    # 10 samples at the 119 Hz ODR take at least 9 sample periods of virtual time
    assert r.virtual_time_s >= 9 / 119
    assert r.sensors["imu"] == {"lost_samples": 0}


def test_lsm9ds1_follows_an_attached_stream(fw):
    rate = 1000.0
    t = np.arange(0, 1.0, 1 / rate)
    accel = np.stack([0.5 * np.ones_like(t), -0.25 * np.ones_like(t), t], axis=1)   # z ramps 0..1 g
    gyro = np.stack([10 * np.ones_like(t), np.zeros_like(t), -100 * np.ones_like(t)], axis=1)
    with api.open_board("nano33ble", fw("nano33ble", "imu")) as b:
        out = bytearray()
        b.on_uart(lambda p, d: out.extend(d))
        b.attach_stream("imu", "accel", accel, rate)
        b.attach_stream("imu", "gyro", gyro, rate)
        assert b.run().exit_code == 0
    s = _samples(out.decode())
    assert len(s) == 10
    for ax, ay, az, gx, gy, gz in s:
        assert abs(ax - 500) <= 1 and abs(ay + 250) <= 1          # 0.122 mg/LSB quantisation
        assert abs(gx - 10000) <= 9 and abs(gz + 100000) <= 9
    zs = [x[2] for x in s]
    assert zs == sorted(zs) and zs[-1] - zs[0] > 50               # the ramp, sampled at 119 Hz


def test_unknown_sensor_is_a_clear_error(fw):
    from tinysim.errors import EngineError
    with api.open_board("nano33ble", fw("nano33ble", "imu")) as b:
        with pytest.raises(EngineError, match="sensors: imu, mic"):
            b.attach_stream("thermometer", "temp", np.zeros((10, 1)), 1)


def test_adxl345_on_fe310_i2c_follows_a_stream(fw):
    rate = 400.0
    t = np.arange(0, 0.5, 1 / rate)
    accel = np.stack([np.sin(2 * np.pi * 5 * t), np.full_like(t, -0.5), np.ones_like(t)], axis=1)
    with api.open_board("hifive1", fw("hifive1", "accel")) as b:
        out = bytearray()
        b.on_uart(lambda p, d: out.extend(d))
        b.attach_stream("accel", "accel", accel, rate)
        stop = b.run()
        assert (stop.reason, stop.exit_code) == ("exit", 0)
        assert b.sensor_report() == {"accel": {"lost_samples": 0}}
    text = out.decode()
    assert "DEVID=0xe5" in text
    got = [tuple(map(int, m.groups())) for m in re.finditer(r"accel: \d+ a=(-?\d+),(-?\d+),(-?\d+) mg", text)]
    assert len(got) == 10
    # 100 Hz ODR: sample k is the stream at k/100 s; 3.9 mg/LSB quantisation
    for k, (x, y, z) in enumerate(got, start=0):
        want = np.sin(2 * np.pi * 5 * (k / 100.0))
        assert abs(x - 1000 * want) <= 8 or abs(x - 1000 * np.sin(2 * np.pi * 5 * ((k + 1) / 100.0))) <= 8
        assert abs(y + 500) <= 4 and abs(z - 1000) <= 4


def test_pdm_microphone_dma_with_wfi(fw):
    rate = 16000.0
    t = np.arange(0, 0.2, 1 / rate)
    pcm = 1000 * np.sin(2 * np.pi * 1000 * t)
    pcm[int(0.064 * rate):] *= 4                     # louder from the 5th buffer (16 ms each)
    with api.open_board("nano33ble", fw("nano33ble", "mic")) as b:
        out = bytearray()
        b.on_uart(lambda p, d: out.extend(d))
        b.attach_stream("mic", "pcm", pcm, rate)
        stop = b.run(max_time_s=1)
        c = b.counters()
        assert (stop.reason, stop.exit_code) == ("exit", 0)
        assert b.sensor_report()["mic"]["lost_samples"] == 0
    got = [tuple(map(int, m.groups())) for m in re.finditer(r"mic: \d+ level=(\d+) peak=(\d+)", out.decode())]
    assert len(got) == 8
    for level, peak in got[:4]:
        assert 600 <= level <= 670 and 990 <= peak <= 1000      # mean |sin| = 2/pi
    for level, peak in got[4:]:
        assert 2400 <= level <= 2680 and 3960 <= peak <= 4000
    # 8 buffers x 256 samples at 16 kHz = 128 ms of virtual time, spent mostly asleep in WFI;
    # the core polls ENDTX while the UART sends (10 bits a byte at 115108 baud, 64 MHz): at
    # most one instruction a cycle of that
    assert 0.128 <= c.virtual_time_s < 0.135
    uart = len(out) * 10 * 64e6 / 115108
    assert c.instructions < (c.cycles - uart) / 50 + uart


def test_adxl345_watermark_interrupt_through_gpio_and_plic(fw):
    """INT1 (watermark, 16 samples) -> GPIO2 rising edge -> PLIC source 10 -> MEI; the core
    sleeps in WFI in between."""
    r = api.run("hifive1", fw("hifive1", "accel_irq"), max_time_s=3)
    assert (r.exit_reason, r.exit_code) == ("exit", 0), r.uart
    assert "64 samples in 4 interrupts, last z=1000 mg" in r.uart
    # I2C0 at 400 kHz (prescale 159: 5 * 160 cycles per SCL period), OpenCores timing: a
    # register read of n bytes is START + address, register, repeated START + address, n
    # bytes, STOP = 30 + 9n periods; a register write 29. The handler reads FIFO_STATUS and 16
    # samples of 6 bytes per interrupt; main reads DEVID and writes 6 registers.
    period = 5 * 160
    per_irq = (30 + 9) + 16 * (30 + 9 * 6)
    bus = (4 * per_irq + (30 + 9) + 6 * 29) * period
    drain = per_irq * period / 320e6            # the last interrupt's reads end the run
    assert 0.64 + drain <= r.virtual_time_s < 0.66 + drain      # 64 samples at 100 Hz
    # asleep, not polling the sensor; polling the UART's full flag while it prints (10 * 2778
    # cycles a byte) and I2C0's TIP while bytes are on the bus is at most one instruction a cycle
    uart = len(r.uart) * 10 * 2778
    assert r.instructions < (r.cycles - uart - bus) / 1000 + uart + bus
    assert r.sensors["accel"]["lost_samples"] == 0


def test_uart_rx_watermark_interrupt_wakes_wfi_through_plic(fw):
    """Bytes arriving on UART0 while the core sleeps in WFI: rxwm (RX FIFO > rxcnt = 0) ->
    PLIC source 3 -> MEI; the handler drains the FIFO and the line is echoed."""
    with api.open_board("hifive1", fw("hifive1", "uart_irq")) as b:
        rec = api.UartRecorder(b)
        b.on_uart(rec)
        at_cycle = 3 * b.m.clock_hz // 1000              # 3 ms: the first line has gone out
        seen = []
        b.on_uart(lambda p, d: seen.append(b.counters().instructions) if d == b"\n" else None)

        def host():
            seen.append(b.counters().instructions)
            b.on_uart_rx("uart0", b"hi there\n")
        b.m.schedule(at_cycle, host)
        stop = b.run(max_time_s=1)
        assert (stop.reason, stop.exit_code) == ("exit", 0), bytes(rec.data)
        assert [text for _, text in rec.lines] == ["uart_irq: waiting for a line",
                                                   'uart_irq: echo "hi there" after 1 interrupt(s)']
        # the echo's newline (its 47th byte) is written when 38 frames have left the UART (the
        # shift register and the FIFO hold 9), 10 * 2778 cycles each at 320 MHz
        woke = rec.lines[1][0]
        echo = 38 * 10 * 2778 / 320e6
        # (+ up to 24 instruction-cache lines the handler and the echo fill from the QSPI
        # flash on their first run, 2328 cycles each)
        assert 0.003 + echo <= woke < 0.003 + echo + 0.0001 + 24 * 2328 / 320e6
        # between the first line's newline and the bytes arriving: WFI, not polling
        assert seen[1] - seen[0] < 1000


def test_uart_interrupt_pending_follows_ie_ip_and_watermarks(fw):
    """FE310-G002 UART ip/ie: txwm while the (always empty) TX FIFO holds fewer than txcnt
    entries, rxwm while the RX FIFO holds more than rxcnt; the PLIC source is ie & ip."""
    def w(off, v):
        b.write_memory(0x10013000 + off, v.to_bytes(4, "little"))

    def ip():
        return int.from_bytes(b.read_memory(0x10013014, 4), "little")

    with api.open_board("hifive1", fw("hifive1", "hello")) as b:
        plic = b.m.peripherals["plic"]
        src3 = lambda: bool(plic.pending >> 3 & 1)                     # noqa: E731
        w(0x08, 1)                                     # txctrl: txen, txcnt 0
        w(0x0C, 1 | 2 << 16)                           # rxctrl: rxen, rxcnt 2
        assert ip() == 0
        w(0x10, 3)                                     # ie: txwm | rxwm
        assert not src3()
        b.on_uart_rx("uart0", b"ab")                   # 2 entries: not more than rxcnt
        assert ip() == 0 and not src3()
        b.on_uart_rx("uart0", b"c")
        assert ip() == 2 and src3()
        assert int.from_bytes(b.read_memory(0x10013004, 4), "little") == ord("a")   # pop
        assert ip() == 0 and not src3()                # level source: pending drops with it
        w(0x10, 0)
        w(0x08, 1 | 1 << 16)                           # txcnt 1: 0 entries < 1
        assert ip() == 1 and not src3()                # not enabled
        w(0x10, 1)
        assert src3()


def test_plic_claim_complete_registers(fw):
    with api.open_board("hifive1", fw("hifive1", "hello")) as b:
        plic = b.m.peripherals["plic"]
        b.write_memory(0x0C000000 + 4 * 10, (3).to_bytes(4, "little"))     # priority 3
        b.write_memory(0x0C002000, (1 << 10).to_bytes(4, "little"))         # enable source 10
        plic.set_level(10, True)
        assert int.from_bytes(b.read_memory(0x0C001000, 4), "little") & (1 << 10)
        assert int.from_bytes(b.read_memory(0x0C200004, 4), "little") == 10      # claim
        assert not plic.meip()                                                 # in service
        b.write_memory(0x0C200004, (10).to_bytes(4, "little"))              # complete, still high
        assert plic.meip()
        b.write_memory(0x0C200000, (3).to_bytes(4, "little"))               # threshold 3 masks it
        assert not plic.meip()


def test_seeded_stream_scenario_is_byte_identical_across_processes(fw, tmp_path):
    """The same scenario and seed give the same report byte for byte, in separate processes
    with different hash seeds (set and dict order, hashing of names); another seed differs."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    src = (repo / "scenarios" / "imu_gesture_nano33ble.yaml").read_text()
    fw("nano33ble", "imu")                                   # built

    def report(text: str, hashseed: str) -> bytes:
        f = tmp_path / f"s{abs(hash((text, hashseed)))}.yaml"
        f.write_text(text.replace("../build/", f"{repo}/build/"))
        env = dict(os.environ, PYTHONHASHSEED=hashseed)
        p = subprocess.run([sys.executable, "-m", "tinysim", "run", str(f), "--json"],
                           capture_output=True, env=env, cwd=tmp_path, timeout=300)
        assert p.returncode == 0, p.stderr.decode()
        return p.stdout.replace(str(f).encode(), b"SCENARIO")

    a, b = report(src, "0"), report(src, "4242")
    assert a == b
    other = report(src.replace("seed: 7", "seed: 8"), "0")
    assert other != a
    # the stream reached the firmware: what it read is not the still board's 0,0,1000 mg
    d = json.loads(a)
    uart = next(v for k, v in _walk(d) if k == "uart" and isinstance(v, str))
    samples = _samples(uart)
    assert len(samples) == 10 and any(s[:3] != (0, 0, 1000) for s in samples)


def _walk(d):
    """(key, value) for every key in a nested JSON object."""
    if isinstance(d, dict):
        for k, v in d.items():
            yield k, v
            yield from _walk(v)
    elif isinstance(d, list):
        for v in d:
            yield from _walk(v)
