"""Sensors behind real register interfaces, timed in virtual time at their output data rate.

A sensor is fed from a stream (``attach``: samples x channels in physical units at some
rate); without one it reports a device lying flat and still (1 g on z). Samples are produced
lazily from the cycle counter: sample k exists once ``k / odr`` seconds have passed since the
firmware enabled the sensor, so nothing runs while the firmware does not look.
"""
from __future__ import annotations

import struct

import numpy as np

SENSORS: dict[str, type["I2cDevice"]] = {}


class I2cDevice:
    model = ""

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.model:
            SENSORS[cls.model] = cls

    def __init__(self, machine, name: str, address: int, options: dict):
        self.m = machine
        self.name = name
        self.address = address
        self.options = options

    def i2c_write(self, data: bytes) -> None: ...

    def i2c_read(self, n: int) -> bytes:
        return bytes(n)

    def lost_samples(self) -> int:
        return 0

    def get_state(self) -> dict:
        import copy
        return {k: copy.deepcopy(v) for k, v in vars(self).items()
                if k not in ("m", "options", "event", "_raw", "bus")}

    def set_state(self, state: dict) -> None:
        import copy
        for k, v in state.items():
            setattr(self, k, copy.deepcopy(v))


class _Feed:
    """One channel group (e.g. the accelerometer) of a sensor: stream + production clock."""

    def __init__(self, default: tuple[float, ...]):
        self.default = np.asarray(default, dtype=np.float64)
        self.data: np.ndarray | None = None      # (n, c) at self.rate
        self.rate = 0.0
        self.odr = 0.0
        self.t0 = 0                              # cycle at which the ODR was set
        self.taken = 0                           # samples handed to the FIFO / output registers

    def attach(self, data: np.ndarray, rate_hz: float):
        self.data = np.asarray(data, dtype=np.float64).reshape(len(data), -1)
        self.rate = float(rate_hz)

    def produced(self, cycle: int, clock_hz: int) -> int:
        if self.odr <= 0:
            return self.taken
        return int((cycle - self.t0) * self.odr // clock_hz)

    def sample(self, k: int) -> np.ndarray:
        if self.data is None or not len(self.data):
            return self.default
        # Sample k of the sensor happens at k / odr seconds: take the stream's value there
        # (nearest earlier sample); the stream holds its last value after it ends.
        i = min(int(k / self.odr * self.rate), len(self.data) - 1)
        return self.data[i]


class Lsm9ds1(I2cDevice):
    """LSM9DS1 accelerometer and gyroscope (ST datasheet DocID025715 Rev 3), I2C 0x6B/0x6A.

    Modelled: WHO_AM_I, CTRL_REG1_G (ODR_G, FS_G), CTRL_REG6_XL (ODR_XL, FS_XL), CTRL_REG8
    (IF_ADD_INC), CTRL_REG9 (FIFO_EN), FIFO_CTRL (bypass / FIFO / continuous, threshold),
    FIFO_SRC, STATUS_REG, OUT_*_G, OUT_*_XL, OUT_TEMP. The 32-entry FIFO holds gyro+accel
    pairs; samples that arrive while it is full (or, in bypass mode, before the previous one
    was read) are counted as lost.
    """
    model = "lsm9ds1"
    WHO_AM_I_VALUE = 0x68
    ODR = {0: 0.0, 1: 14.9, 2: 59.5, 3: 119.0, 4: 238.0, 5: 476.0, 6: 952.0, 7: 0.0}
    ODR_XL_ONLY = {0: 0.0, 1: 10.0, 2: 50.0, 3: 119.0, 4: 238.0, 5: 476.0, 6: 952.0, 7: 0.0}
    FS_XL = {0: 0.061e-3, 1: 0.732e-3, 2: 0.122e-3, 3: 0.244e-3}     # g per LSB
    FS_G = {0: 8.75e-3, 1: 17.50e-3, 3: 70.0e-3}                    # dps per LSB
    FIFO_DEPTH = 32

    def __init__(self, machine, name, address, options):
        super().__init__(machine, name, address, options)
        self.regs = bytearray(0x80)
        self.regs[0x0F] = self.WHO_AM_I_VALUE
        self.regs[0x22] = 0x04                          # CTRL_REG8: IF_ADD_INC on reset
        self.ptr = 0
        self.accel = _Feed((0.0, 0.0, 1.0))
        self.gyro = _Feed((0.0, 0.0, 0.0))
        self.fifo: list[tuple[np.ndarray, np.ndarray]] = []
        self.current = (self.gyro.default, self.accel.default)
        self.unread = False
        self.lost = 0
        self.overrun = False
        self.byte_in_sample = 0
        self._raw = None                                # (sample, scales, bytes) last converted

    # -- streams ----------------------------------------------------------------------------
    def attach(self, channel: str, data, rate_hz: float):
        {"accel": self.accel, "gyro": self.gyro}[channel].attach(data, rate_hz)

    def lost_samples(self) -> int:
        self._update()
        return self.lost

    # -- timing --------------------------------------------------------------------------------
    def _now(self) -> int:
        return self.m.cycles

    def _set_odr(self):
        now = self._now()
        self._update()
        odr_g = self.ODR[self.regs[0x10] >> 5]
        odr_xl = self.ODR_XL_ONLY[self.regs[0x20] >> 5]
        # With the gyro on, the accelerometer runs at the gyro's ODR (datasheet 7.12).
        odr = odr_g if odr_g else odr_xl
        for f in (self.accel, self.gyro):
            if f.odr != odr:
                f.odr, f.t0, f.taken = odr, now, 0

    def _update(self):
        clock = self.m.clock_hz
        n = self.accel.produced(self._now(), clock)
        fifo_mode = self.regs[0x2E] >> 5 if self.regs[0x23] & 0x02 else 0
        while self.accel.taken < n:
            k = self.accel.taken
            pair = (self.gyro.sample(k), self.accel.sample(k))
            self.accel.taken += 1
            self.gyro.taken = self.accel.taken
            if fifo_mode == 0:                          # bypass: output registers only
                if self.unread:
                    self.lost += 1
                self.current, self.unread = pair, True
            elif len(self.fifo) >= self.FIFO_DEPTH:
                self.lost += 1
                self.overrun = True
                if fifo_mode == 6:                      # continuous: drop the oldest
                    self.fifo.pop(0)
                    self.fifo.append(pair)
            else:
                self.fifo.append(pair)

    # -- registers -------------------------------------------------------------------------------
    def i2c_write(self, data: bytes):
        if not data:
            return
        self.ptr = data[0] & 0x7F
        for b in data[1:]:
            self._write_reg(self.ptr, b)
            self._advance()

    def _advance(self):
        if self.regs[0x22] & 0x04:
            self.ptr = (self.ptr + 1) & 0x7F

    def _write_reg(self, reg: int, v: int):
        if reg in (0x0F, 0x27, 0x2F) or 0x15 <= reg <= 0x1D or 0x28 <= reg <= 0x2D:
            return                                      # read-only
        self.regs[reg] = v
        if reg in (0x10, 0x20, 0x23, 0x2E):
            self._set_odr()
            if reg == 0x2E and v >> 5 == 0:
                self.fifo.clear()
                self.overrun = False

    def i2c_read(self, n: int) -> bytes:
        self._update()
        out = bytearray()
        for _ in range(n):
            out.append(self._read_reg(self.ptr))
            self._advance()
        return bytes(out)

    def _fifo_mode(self) -> int:
        return self.regs[0x2E] >> 5 if self.regs[0x23] & 0x02 else 0

    def _sample_bytes(self) -> bytes:
        """OUT_*_G and OUT_*_XL of the sample on top, converted once per sample (firmware
        reads them a byte or a few at a time)."""
        pair = self.fifo[0] if self._fifo_mode() and self.fifo else self.current
        scales = ((self.regs[0x10] >> 3) & 3, (self.regs[0x20] >> 3) & 3)
        cached = self._raw
        if cached is not None and cached[0] is pair and cached[1] == scales:
            return cached[2]
        g, a = pair
        fs_g = self.FS_G.get(scales[0], self.FS_G[0])
        fs_xl = self.FS_XL[scales[1]]
        raw = np.concatenate([np.round(g / fs_g), np.round(a / fs_xl)])
        raw = np.clip(raw, -32768, 32767).astype("<i2").tobytes()
        self._raw = (pair, scales, raw)
        return raw

    def _read_reg(self, reg: int) -> int:
        if 0x18 <= reg <= 0x1D or 0x28 <= reg <= 0x2D:
            off = reg - 0x18 if reg <= 0x1D else 6 + reg - 0x28
            value = self._sample_bytes()[off]
            if reg == 0x2D:                             # last byte of a sample: next one
                if self._fifo_mode() and self.fifo:
                    self.fifo.pop(0)
                self.unread = False
            return value
        if reg == 0x27:                                 # STATUS_REG
            avail = bool(self.fifo) if self._fifo_mode() else self.unread
            return (0x03 if avail else 0)
        if reg == 0x2F:                                 # FIFO_SRC
            fss = len(self.fifo)
            fth = fss >= (self.regs[0x2E] & 0x1F) and (self.regs[0x2E] & 0x1F) > 0
            v = (fss & 0x3F) | (0x40 if self.overrun else 0) | (0x80 if fth else 0)
            return v
        if reg in (0x15, 0x16):                         # OUT_TEMP: 25 C reads 0
            return 0
        return self.regs[reg]


class Adxl345(I2cDevice):
    """ADXL345 3-axis accelerometer (Analog Devices datasheet Rev. G), I2C 0x53 / 0x1D.

    Modelled: DEVID, BW_RATE (output data rate), POWER_CTL (measure), DATA_FORMAT (range,
    FULL_RES, justify not modelled), DATAX0..DATAZ1, FIFO_CTL (bypass / FIFO / stream),
    FIFO_STATUS, INT_ENABLE/INT_MAP/INT_SOURCE (DATA_READY, watermark, overrun) and the INT1 and
    INT2 pins, wired by the platform file to GPIO inputs (``int1: {peripheral: gpio, pin: 2}``).
    32-level FIFO; samples that find it full are counted as lost (in bypass mode: a sample
    overwritten unread).
    """
    model = "adxl345"
    FIFO_DEPTH = 32

    def __init__(self, machine, name, address, options):
        super().__init__(machine, name, address, options)
        self.regs = bytearray(0x40)
        self.regs[0x00] = 0xE5
        self.regs[0x2C] = 0x0A                          # BW_RATE reset: 100 Hz
        self.ptr = 0
        self.accel = _Feed((0.0, 0.0, 1.0))
        self.fifo: list[np.ndarray] = []
        self.current = self.accel.default
        self.unread = False
        self.overrun = False
        self.lost = 0
        self.pins = {k: options.get(k) for k in ("int1", "int2") if options.get(k)}
        self.event = None
        self._driven_low = False                        # both INT pins known to be driven low
        self.bus = None             # a bus master that applies reads late: sync() applies them
        self._next_cache = (None, 0)    # (sample index, t0, odr) -> cycle it is produced at
        self._raw = None                                # (sample, DATA_FORMAT, bytes) last converted

    def attach(self, channel: str, data, rate_hz: float):
        if channel != "accel":
            raise KeyError(channel)
        self.accel.attach(data, rate_hz)

    def lost_samples(self) -> int:
        self._sync()
        self._update()
        return self.lost

    def _sync(self):
        # Reads the bus master has served but not applied yet come first: samples produced
        # since then must find the FIFO as those reads left it.
        if self.bus is not None:
            self.bus.sync()

    def _odr(self) -> float:
        if not self.regs[0x2D] & 0x08:                  # standby
            return 0.0
        return 3200.0 / (1 << (15 - (self.regs[0x2C] & 0x0F)))

    def _retime(self):
        self._update()
        odr = self._odr()
        if odr != self.accel.odr:
            self.accel.odr, self.accel.t0, self.accel.taken = odr, self.m.cycles, 0
        self._drive_pins()

    # -- interrupt pins ------------------------------------------------------------------------
    def _int_source(self) -> int:
        avail = bool(self.fifo) if self._mode() else self.unread
        wm = bool(self._mode()) and len(self.fifo) >= max(1, self.regs[0x38] & 0x1F)
        return (0x80 if avail else 0) | (0x02 if wm else 0) | (0x01 if self.overrun else 0)

    def _drive_pins(self):
        """Set the INT pins from the enabled sources, and wake up at the next sample while
        any source is enabled (a pin can only change when a sample arrives or is read)."""
        if not self.pins:
            return
        if not self.regs[0x2E] and self.event is None and self._driven_low:
            return                      # no source enabled: the pins are low and stay so
        active = self._int_source() & self.regs[0x2E]
        to_int2 = self.regs[0x2F]
        levels = {"int1": bool(active & ~to_int2), "int2": bool(active & to_int2)}
        for name, wire in self.pins.items():
            gpio = self.m.peripherals.get(wire["peripheral"])
            pin = int(wire["pin"])
            if gpio is not None and bool(gpio.inputs >> pin & 1) != levels[name]:
                gpio.set_input(pin, levels[name])
        self._driven_low = not any(levels.values())
        at = None
        if self.regs[0x2E] and self.accel.odr > 0:
            # the cycle at which sample `taken` (0-based count) will have been produced
            nxt = self.accel.t0 + int((self.accel.taken + 1) * self.m.clock_hz / self.accel.odr) + 1
            at = max(nxt, self.m.cycles + 1)
        if self.event is not None and self.event.cycle == at and not self.event.cancelled:
            return                                      # already due then: keep it
        if self.event is not None:
            self.event.cancelled = True
            self.event = None
        if at is not None:
            self.event = self.m.schedule(at, self._on_sample)

    def _on_sample(self):
        self.event = None
        self._sync()
        self._update()
        self._drive_pins()

    def _mode(self) -> int:
        return self.regs[0x38] >> 6

    def _update(self, cycle: int | None = None):
        n = self.accel.produced(self.m.cycles if cycle is None else cycle, self.m.clock_hz)
        while self.accel.taken < n:
            s = self.accel.sample(self.accel.taken)
            self.accel.taken += 1
            if self._mode() == 0:
                if self.unread:
                    self.lost += 1
                self.current, self.unread = s, True
            elif len(self.fifo) >= self.FIFO_DEPTH:
                self.lost += 1
                self.overrun = True
                if self._mode() == 2:                   # stream: keep the newest
                    self.fifo.pop(0)
                    self.fifo.append(s)
            else:
                self.fifo.append(s)

    def i2c_write(self, data: bytes):
        if not data:
            return
        self.ptr = data[0] & 0x3F
        for b in data[1:]:
            if self.ptr not in (0x00, 0x30, 0x39) and not 0x32 <= self.ptr <= 0x37:
                self.regs[self.ptr] = b
                if self.ptr in (0x2C, 0x2D, 0x38):
                    self._retime()
                    if self.ptr == 0x38 and b >> 6 == 0:
                        self.fifo.clear()
            self.ptr = (self.ptr + 1) & 0x3F
        self._drive_pins()

    def _lsb_per_g(self) -> float:
        fmt = self.regs[0x31]
        return 256.0 if fmt & 0x08 else 256.0 / (1 << (fmt & 3))

    def _sample_bytes(self, s: np.ndarray) -> bytes:
        """DATAX0..DATAZ1 of sample ``s``; converted once per sample (firmware reads them a
        byte or a few at a time)."""
        fmt = self.regs[0x31]
        cached = self._raw
        if cached is not None and cached[0] is s and cached[1] == fmt:
            return cached[2]
        limit, lsb = (4096 if fmt & 0x08 else 512), self._lsb_per_g()
        # as np.clip(np.round(s * lsb)) would: the same float64 product, ties to even
        raw = struct.pack("<3h", *(round(max(-limit, min(limit - 1, float(v) * lsb))) for v in s[:3]))
        self._raw = (s, fmt, raw)
        return raw

    def _read(self, n: int, apply: bool) -> bytes:
        """The next ``n`` bytes from the register pointer on; their side effects (pointer,
        FIFO pops, INT_SOURCE clearing overrun) are applied only with ``apply``."""
        ptr, popped, unread, overrun = self.ptr, 0, self.unread, self.overrun
        mode, fifo = self._mode(), self.fifo
        out = bytearray()
        while len(out) < n:
            r = ptr
            if 0x32 <= r <= 0x37:                       # DATAX0..DATAZ1: up to 0x37 at once
                top = fifo[popped] if mode and len(fifo) > popped else self.current
                k = min(n - len(out), 0x38 - r)
                out += self._sample_bytes(top)[r - 0x32:r - 0x32 + k]
                ptr = r + k
                if ptr == 0x38:                         # DATAZ1 read: the next sample
                    if mode and len(fifo) > popped:
                        popped += 1
                    unread = False
                continue
            elif r == 0x30:                             # INT_SOURCE
                left = len(fifo) - popped
                avail = left > 0 if mode else unread
                wm = bool(mode) and left >= max(1, self.regs[0x38] & 0x1F)
                out.append((0x80 if avail else 0) | (0x02 if wm else 0) | (0x01 if overrun else 0))
                overrun = False
            elif r == 0x39:                             # FIFO_STATUS
                out.append(min(len(fifo) - popped, 33) & 0x3F)
            else:
                out.append(self.regs[r])
            ptr = (ptr + 1) & 0x3F
        if apply:
            self.ptr, self.unread, self.overrun = ptr, unread, overrun
            del fifo[:popped]
        return bytes(out)

    def i2c_read(self, n: int, at: int | None = None) -> bytes:
        """Read ``n`` bytes as of cycle ``at`` (default: now): a bus master that applies a
        transaction's reads after the fact passes the cycle of the last byte."""
        self._update(at)
        out = self._read(n, True)
        self._drive_pins()
        return out

    def i2c_peek(self, n: int) -> tuple[bytes, int]:
        """The next bytes (up to ``n``) a read would return now, without their side effects,
        and the cycle until which they hold."""
        self._update()
        if self._mode() and self.fifo and 0x32 <= self.ptr <= 0x37:
            # The oldest FIFO entry's data: new samples queue behind it, so it holds until one
            # arrives at a full FIFO (stream mode then drops the oldest). Up to DATAZ1 only.
            return self._read(min(n, 0x38 - self.ptr), False), \
                self._sample_cycle(self.FIFO_DEPTH - len(self.fifo) + 1)
        return self._read(n, False), self._sample_cycle(1)

    def _sample_cycle(self, m: int) -> int:
        """The cycle at which the ``m``-th sample from now is produced."""
        f, clock = self.accel, self.m.clock_hz
        if f.odr <= 0:
            return 1 << 62
        k = f.produced(self.m.cycles, clock) + m
        key = (k, f.t0, f.odr)
        if self._next_cache[0] == key:
            return self._next_cache[1]
        c = f.t0 + int(k * clock / f.odr)              # then exact against produced() itself
        while c > self.m.cycles and f.produced(c - 1, clock) >= k:
            c -= 1
        while f.produced(c, clock) < k:
            c += 1
        self._next_cache = (key, c)
        return c
