"""Speed paths of the built-in engine must not change what the firmware sees.

Polled registers are answered natively from a shadow; the reference is the same model
answering every read in Python (FAST emptied), which these tests compare against.
"""
from __future__ import annotations

import pytest

from tinysim import api
from tinysim.engines.builtin import peripherals as P
from tinysim.engines.builtin.peripherals import fe310, nrf52840  # noqa: F401  (register the models)

# The poll_gpio app polls this GPIO peripheral's input register, at this pin.
POLLED = {"nano33ble": ("gpio_p0", 11), "hifive1": ("gpio", 18)}
GPRS = {"nano33ble": [f"r{i}" for i in range(13)] + ["sp", "lr", "pc"],
        "hifive1": [f"x{i}" for i in range(1, 32)] + ["pc"]}


@pytest.fixture
def python_reads(monkeypatch):
    """Every peripheral register read goes through the Python model (the reference path)."""
    def off():
        for cls in list(P.MODELS.values()):
            monkeypatch.setattr(cls, "FAST", ())
    return off


def _drive(board: str, periph, pin: int) -> None:
    if hasattr(periph, "set_input"):
        periph.set_input(pin, True)           # FE310: a device drives the pin (it floats high anyway)
    else:
        periph.inputs |= 1 << pin             # nRF52840: the host sets the input level


def _poll_run(fw, board: str):
    """Run poll_gpio for two slices with the pin driven high between them; return the state
    the firmware ended in and how many reads of the GPIO reached Python."""
    name, pin = POLLED[board]
    with api.open_board(board, fw(board, "poll_gpio")) as b:
        gpio = b.m.peripherals[name]
        calls = [0]
        read = gpio.read

        def counting(off, size):
            calls[0] += 1
            return read(off, size)
        gpio.read = counting
        b.run(for_time_s=0.002)
        in_loop, first = calls[0], b.counters().instructions
        _drive(board, gpio, pin)
        b.run(for_time_s=0.002)
        c = b.counters()
        regs = {r: b.read_register(r) for r in GPRS[board]}
        return (c.instructions, c.cycles), regs, calls[0] - in_loop, c.instructions - first


@pytest.mark.parametrize("board", ["nano33ble", "hifive1"])
def test_polled_gpio_native_matches_python_model(fw, board, python_reads):
    counts, regs, native_calls, _ = _poll_run(fw, board)
    python_reads()
    ref_counts, ref_regs, python_calls, slice_insns = _poll_run(fw, board)
    # same instructions, cycles and register file (which holds the count of reads that saw
    # the pin high after the host drove it) as the all-Python reference
    assert counts == ref_counts
    assert regs == ref_regs
    # the loop's reads stayed native; the reference made one Python read per iteration of
    # the loop (a handful of instructions each)
    assert python_calls >= slice_insns // 8
    assert native_calls <= 16


@pytest.mark.parametrize("board, high", [("nano33ble", 0), ("hifive1", 4_000_000)])
def test_polling_firmware_output(fw, board, high):
    # nothing drives the pin: low on the nRF52840 model, floating high on the FE310 model
    r = api.run(board, fw(board, "poll_gpio"))
    assert r.exit_reason == "exit" and r.exit_code == 0
    assert r.uart.strip() == f"poll_gpio: 4000000 reads, {high} high"


def test_engine_state_snapshot_keeps_shadows_out(fw):
    """Snapshots copy model state, not the native tables; after a restore the firmware reads
    the restored input level."""
    board = "nano33ble"
    name, pin = POLLED[board]
    with api.open_board(board, fw(board, "poll_gpio")) as b:
        b.run(for_time_s=0.001)
        snap = b.snapshot()
        assert "_shadow" not in snap["periph"][name]
        gpio = b.m.peripherals[name]
        _drive(board, gpio, pin)
        b.run(for_time_s=0.001)
        high_run = {r: b.read_register(r) for r in GPRS[board]}
        b.restore(snap)                          # the pin is low again in the restored state
        b.run(for_time_s=0.001)
        low_run = {r: b.read_register(r) for r in GPRS[board]}
    with api.open_board(board, fw(board, "poll_gpio")) as ref:
        # two 1 ms runs like the restored path: a run ends at the first block past its span,
        # so one 2 ms run can end a loop iteration earlier
        ref.run(for_time_s=0.001)
        ref.run(for_time_s=0.001)
        assert low_run == {r: ref.read_register(r) for r in GPRS[board]}
        assert high_run != low_run


def test_decode_cache_serves_the_next_run(fw, tmp_path, monkeypatch):
    from tinysim.engines.builtin import _decode
    monkeypatch.setenv("TINYSIM_CACHE", str(tmp_path))
    first = api.run("nano33ble", fw("nano33ble", "hello"))
    assert len(list((tmp_path / "blocks").glob("*.pickle"))) == 1
    decoded = []
    real = _decode.Decoder.decode
    monkeypatch.setattr(_decode.Decoder, "decode", lambda self, code, addr: decoded.append(addr) or
                        real(self, code, addr))
    from tinysim.engines.builtin import _native
    stops = []
    take = _native.BlockCounter.take_stop
    monkeypatch.setattr(_native.BlockCounter, "take_stop", lambda self: stops.append(take(self)) or stops[-1])
    again = api.run("nano33ble", fw("nano33ble", "hello"))
    assert decoded == []                                 # every block came from the cache
    # and went into the native tables up front: the hook never stopped to ask for one
    assert stops and not any(bits & _native.STOP_NEWBLOCK for bits in stops)
    assert (again.instructions, again.cycles, again.uart) == (first.instructions, first.cycles, first.uart)
    monkeypatch.setenv("TINYSIM_CACHE", "off")
    api.run("nano33ble", fw("nano33ble", "hello"))
    assert len(decoded) > 20                             # no cache: decoded afresh


def test_decode_cache_keys_on_the_code_bytes(tmp_path, monkeypatch):
    from tinysim.engines.builtin._decode import DecodeCache, Decoder
    from tinysim.timing import load_timing
    monkeypatch.setenv("TINYSIM_CACHE", str(tmp_path))
    t = load_timing("cortex-m4")
    c = DecodeCache("arm", t, [(0, b"\x00\xbf")])
    nop, movs = b"\x00\xbf", b"\x01\x20"                 # nop; movs r0, #1
    c.put(0x100, nop, Decoder("arm", t).decode(nop, 0x100))
    c.save()
    c2 = DecodeCache("arm", t, [(0, b"\x00\xbf")])
    assert c2.get(0x100, nop).insns[0].name == "hint"          # capstone names NOP a hint
    assert c2.get(0x100, movs) is None and c2.get(0x102, nop) is None
    assert DecodeCache("arm", t, [(0, b"\x01\x20")]).get(0x100, nop) is None   # another image


# -- peripherals take time (bytes at the baud rate, I2C at the bus frequency) --------------------
def _instant_uart(monkeypatch):
    """The UART models as they were before bytes took time: the reference runs."""
    monkeypatch.setattr(nrf52840.Uarte, "frame_cycles", lambda self, n: 0)
    monkeypatch.setattr(fe310.SifiveUart, "_transmit", lambda self, byte, now: self.m.emit_uart(self.name, bytes([byte])))


def test_uarte_bytes_take_their_time_at_115200(fw, monkeypatch):
    """hello prints 111 bytes through the UARTE at Baud115200 (16 MHz / 139 = 115108 baud,
    10 bits a frame) and waits for ENDTX after each transfer: at least 111 frames of virtual
    time pass, and no more than that plus the whole run with instant UART bytes."""
    r = api.run("nano33ble", fw("nano33ble", "hello"))
    _instant_uart(monkeypatch)
    ref = api.run("nano33ble", fw("nano33ble", "hello"))
    assert r.exit_reason == "exit" and len(r.uart) == 111 and r.uart == ref.uart
    wire = 111 * 10 / (16e6 / 139)
    assert ref.virtual_time_s < wire <= r.virtual_time_s <= wire + ref.virtual_time_s


def test_fe310_uart_fifo_drains_at_the_baud_rate(fw, monkeypatch):
    """The FE310 UART's 8-entry FIFO drains one frame per 10 * (div + 1) cycles (board.c sets
    div 2777 for 115200 baud at 320 MHz): of hello's 119 bytes, the first goes straight to the
    shift register and 8 more fill the FIFO; each later byte waits for a frame to finish."""
    r = api.run("hifive1", fw("hifive1", "hello"))
    _instant_uart(monkeypatch)
    ref = api.run("hifive1", fw("hifive1", "hello"))
    assert r.exit_reason == "exit" and len(r.uart) == 119 and r.uart == ref.uart
    frames = (119 - 1 - 8) * 10 * 2778
    assert ref.cycles < frames <= r.cycles <= frames + ref.cycles


def test_fe310_uart_full_flag_and_dropped_write(fw):
    with api.open_board("hifive1", fw("hifive1", "hello")) as b:
        u = b.m.peripherals["uart0"]
        u.regs[u.TXCTRL] = 1                          # txen
        u.regs[u.DIV] = 99                            # 1000 cycles a frame
        for i in range(9):
            u._transmit(0x41 + i, 0)
        assert u.read(u.TXDATA, 4) == 0x80000000      # 1 in the shifter, 8 waiting: full
        u._transmit(0x5A, 0)                          # written while full: dropped
        assert u.tx_starts[-1] == 8000 and u.tx_end == 9000
        u._drain(1000)                                # the second byte moved to the shifter
        assert u.read(u.TXDATA, 4) == 0


def test_twim_transfer_events_at_400k(fw):
    """A register read of 6 bytes at K400 (64 MHz: 160 cycles a bit): START + address + ACK
    (10 bits) + the register byte (9) -> LASTTX and, through the short, RXSTARTED; repeated
    START + address (10) + 6 bytes (54) -> LASTRX; STOP (1) -> STOPPED. Only STOPPED (polled)
    wakes Python; the others are worked out when read."""
    with api.open_board("nano33ble", fw("nano33ble", "imu")) as b:
        t = b.m.peripherals["twim0"]
        ram = 0x20030000                              # RAM the firmware does not use
        b.write_memory(ram, bytes([0x0F]))
        for off, v in ((t.ENABLE, 6), (t.ADDRESS, 0x6B), (t.TXD_PTR, ram), (t.TXD_MAXCNT, 1),
                       (t.RXD_PTR, ram + 16), (t.RXD_MAXCNT, 6), (t.FREQUENCY, 0x06400000),
                       (t.SHORTS, t.LASTTX_STARTRX | t.LASTRX_STOP)):
            t.regs[off] = v
        t0 = b.m.cycles
        t.now = t.bus_t = t0
        t._tx()
        assert t.timeline == [(t0 + 19 * 160, t.EVENTS_LASTTX), (t0 + 19 * 160, t.EVENTS_RXSTARTED),
                              (t0 + 83 * 160, t.EVENTS_LASTRX), (t0 + 84 * 160, t.EVENTS_STOPPED)]
        assert b.m.next_event_cycle() == t0 + 84 * 160
        assert t.read(t.EVENTS_STOPPED, 4) == 0
        t._catch_up(t0 + 84 * 160)
        assert t.read(t.EVENTS_LASTRX, 4) == 1 and t.read(t.EVENTS_STOPPED, 4) == 1
        assert b.read_memory(ram + 16, 1) == bytes([0x68])     # WHO_AM_I, moved at the task


# -- the vibration app's fixed-point spectrum (a speed change in the firmware) ---------------------
@pytest.mark.parametrize("fault, tol", [(0.0, 2), (0.12, 0.01)])
def test_vibration_fixed_point_scores_match_the_host_reference(fw, fault, tol):
    """hifive1's vibration app computes its band spectrum with a q30 fixed-point FFT (no FPU):
    each printed score must be what models/train_anomaly.py's float64 features of the same
    256 samples (read from the firmware's ring when the score is printed), run through TFLM's
    interpreter, give: within 2 (x 1e-5) for a healthy machine, 1 % for a faulty one."""
    import re

    import numpy as np

    from tinysim import inference, streams
    from tinysim.api import UartRecorder

    from pathlib import Path
    model = (Path(__file__).resolve().parent.parent / "models" / "anomaly_800hz.tflite").read_bytes()
    info = inference.inspect_model("anomaly_800hz.tflite", model)
    tin, tout = info.inputs[0], info.outputs[0]
    spec = {"type": "vibration", "rpm": 2950, "imbalance": 0.04, "misalignment": 0.01,
            "bearing_fault": fault, "noise": 0.006, "offset": [0, 0, 1]}
    with api.open_board("hifive1", fw("hifive1", "vibration")) as b:
        s = streams.generate(spec, seed=3, rate_hz=3000, duration_s=1.0, unit="g")
        b.attach_stream("accel", "accel", s.data, 3000)
        b.m.write(b.firmware.symbol("__model_partition_start__"), inference.model_partition(model))
        ring, count = b.firmware.symbol("ring"), b.firmware.symbol("count")
        windows = []

        def on_uart(port, data):
            if data == b"\n":                        # the ring holds the window just scored
                n = int.from_bytes(b.read_memory(count, 4), "little")
                raw = np.frombuffer(b.read_memory(ring, 512), dtype="<i2")
                windows.append(np.roll(raw, -(n % 256)).astype(np.float64) / 256)
        rec = UartRecorder(b)
        b.on_uart(rec)
        b.on_uart(on_uart)
        b.run(max_time_s=1.0)
    k = np.arange(128)[:, None] * np.arange(256)[None, :] % 256
    scored = [(int(m.group(1)), x) for (_, t), x in zip(rec.lines, windows) if (m := re.search(r"score=(\d+)", t))]
    assert len(scored) >= 4
    for score, x in scored:
        ang = 2 * np.pi * k / 256
        power = ((np.cos(ang) * x).sum(1) ** 2 + (np.sin(ang) * x).sum(1) ** 2) / 256 ** 2
        feat = np.log10(1 + 1e4 * power.reshape(16, -1).sum(1)).astype(np.float32)
        q = np.clip(np.round(feat / tin.scale) + tin.zero_point, -128, 127).astype(np.int8).reshape(tin.shape)
        y = inference.reference(model, [q], 1).outputs[0].astype(np.float64).ravel()
        want = int(((((y - tout.zero_point) * tout.scale) - feat) ** 2).mean() * 1e5 + 0.5)
        assert abs(score - want) <= (tol if tol >= 1 else tol * want), (score, want)
