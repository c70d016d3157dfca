"""nRF52840 peripherals (nRF52840 Product Specification v1.7): CLOCK, UARTE, GPIO."""
from __future__ import annotations

import numpy as np

from . import BusMaster, GpioLeds, NordicEvents, Peripheral


class Clock(NordicEvents, Peripheral):
    """CLOCK: HFXO/LFCLK start tasks complete at once (the crystal is assumed stable)."""
    model = "nrf52840.clock"
    TASKS_HFCLKSTART, TASKS_HFCLKSTOP, TASKS_LFCLKSTART, TASKS_LFCLKSTOP = 0x000, 0x004, 0x008, 0x00C
    EVENTS_HFCLKSTARTED, EVENTS_LFCLKSTARTED = 0x100, 0x104
    HFCLKRUN, HFCLKSTAT, LFCLKRUN, LFCLKSTAT, LFCLKSRC = 0x408, 0x40C, 0x414, 0x418, 0x518
    FAST = (EVENTS_HFCLKSTARTED, EVENTS_LFCLKSTARTED, HFCLKRUN, HFCLKSTAT, LFCLKRUN, LFCLKSTAT)

    def touched(self, off, write):
        if write:                                      # LFCLKSTAT follows LFCLKSRC too
            self.changed()

    def __init__(self, machine, spec):
        super().__init__(machine, spec)
        self.hf_running = False
        self.lf_running = False
        self.inten = 0

    def read(self, off, size):
        if off == self.HFCLKSTAT:
            return (1 << 16 | 1) if self.hf_running else 0
        if off == self.HFCLKRUN:
            return int(self.hf_running)
        if off == self.LFCLKSTAT:
            return (1 << 16 | (self.regs.get(self.LFCLKSRC, 0) & 3)) if self.lf_running else 0
        if off == self.LFCLKRUN:
            return int(self.lf_running)
        inten = self.read_inten(off)
        return inten if inten is not None else super().read(off, size)

    def write(self, off, size, value):
        if self.write_inten(off, value):
            return
        if off == self.TASKS_HFCLKSTART and value & 1:
            self.hf_running = True
            self._event(self.EVENTS_HFCLKSTARTED)
        elif off == self.TASKS_HFCLKSTOP and value & 1:
            self.hf_running = False
        elif off == self.TASKS_LFCLKSTART and value & 1:
            self.lf_running = True
            self._event(self.EVENTS_LFCLKSTARTED)
        elif off == self.TASKS_LFCLKSTOP and value & 1:
            self.lf_running = False
        else:
            super().write(off, size, value)


class Uarte(NordicEvents, Peripheral):
    """UARTE with EasyDMA, and the legacy UART on the same instance (ENABLE=4). Bytes take
    their time on the wire: a frame is start + 8 data bits + parity (CONFIG.PARITY) + 1 or 2
    stop bits (CONFIG.STOP) at the rate BAUDRATE selects: 16 MHz / (2^32 // BAUDRATE), which
    gives the PS's actual rates (115108 baud for Baud115200). ENDTX (and legacy TXDRDY) come
    that long after the task."""
    model = "nrf52840.uarte"
    TASKS_STARTRX, TASKS_STOPRX, TASKS_STARTTX, TASKS_STOPTX = 0x000, 0x004, 0x008, 0x00C
    EVENTS_ENDRX, EVENTS_TXDRDY, EVENTS_ENDTX, EVENTS_TXSTARTED, EVENTS_TXSTOPPED = 0x110, 0x11C, 0x120, 0x150, 0x158
    ENABLE, BAUDRATE, CONFIG, TXD_PTR, TXD_MAXCNT, TXD_AMOUNT = 0x500, 0x524, 0x56C, 0x544, 0x548, 0x54C
    TXD = 0x51C                                     # legacy UART (ENABLE=4) transmit register
    FAST = (EVENTS_ENDRX, EVENTS_TXDRDY, EVENTS_ENDTX, EVENTS_TXSTARTED, EVENTS_TXSTOPPED, TXD_AMOUNT)
    STORE = (ENABLE, BAUDRATE, CONFIG, TXD_PTR, TXD_MAXCNT)

    def __init__(self, machine, spec):
        super().__init__(machine, spec)
        self.inten = 0
        self.regs[self.BAUDRATE] = 0x04000000       # reset: 250 kbaud
        self.busy_until = 0                         # cycle at which the last frame queued ends
        self.pending_amount = 0                     # TXD.AMOUNT once the transfer ends
        self.event = None

    def read(self, off, size):
        inten = self.read_inten(off)
        return inten if inten is not None else super().read(off, size)

    def write(self, off, size, value):
        if self.write_inten(off, value):
            return
        if off == self.TASKS_STARTTX and value & 1:
            self._start_tx(self.m.now(self.base + off)[1])
        elif off == self.TASKS_STOPTX and value & 1:
            self._event(self.EVENTS_TXSTOPPED)
        elif off == self.TXD and self.regs.get(self.ENABLE, 0) == 4:
            # Legacy UART: the byte goes out now; TXDRDY when its frame has been sent.
            self.m.emit_uart(self.name, bytes([value & 0xFF]))
            self._after(self.m.now(self.base + off)[1], 1, self._txdrdy)
        else:
            super().write(off, size, value)

    def touched(self, off, write):
        super().touched(off, write)
        if write and off == self.TXD:                 # legacy UART: TXDRDY may have been cleared
            self.changed()

    def frame_cycles(self, nbytes: int) -> int:
        """Core cycles that ``nbytes`` frames take on the wire (rounded up)."""
        step = self.regs.get(self.BAUDRATE, 0)
        if not step:
            return 0                                # no baud rate: modelled as instant
        cfg = self.regs.get(self.CONFIG, 0)
        bits = 10 + ((cfg >> 1) & 7 == 7) + (cfg >> 4 & 1)
        return -(-nbytes * bits * self.m.clock_hz * ((1 << 32) // step) // 16_000_000)

    def _after(self, now: int, nbytes: int, fn) -> None:
        # Frames go out back to back: a transfer started while one is on the wire follows it.
        self.busy_until = max(now, self.busy_until) + self.frame_cycles(nbytes)
        self.event = self.m.schedule(self.busy_until, fn)

    def _txdrdy(self):
        self.event = None
        self._event(self.EVENTS_TXDRDY)

    def _start_tx(self, now: int):
        if self.regs.get(self.ENABLE, 0) != 8:
            return                                  # disabled: the task is ignored, as on silicon
        ptr = self.regs.get(self.TXD_PTR, 0)
        n = self.regs.get(self.TXD_MAXCNT, 0) & 0xFFFF
        self._event(self.EVENTS_TXSTARTED)
        data = self.m.dma_read(ptr, n, who=self.name) if n else b""
        if not data:
            self.regs[self.TXD_AMOUNT] = 0
            self._event(self.EVENTS_ENDTX)
            return
        self.m.emit_uart(self.name, data)
        self.pending_amount = len(data)
        self._after(now, len(data), self._end_tx)

    def _end_tx(self):
        self.event = None
        self.regs[self.TXD_AMOUNT] = self.pending_amount
        self._event(self.EVENTS_TXDRDY)
        self._event(self.EVENTS_ENDTX)


class Gpio(Peripheral):
    """GPIO port (P0 or P1): output latch, direction, pin configuration; LEDs follow OUT.

    Mapped at the port's register block (instance base + 0x500), so offsets are from there."""
    model = "nrf52840.gpio"
    OUT, OUTSET, OUTCLR, IN, DIR, DIRSET, DIRCLR = 0x004, 0x008, 0x00C, 0x010, 0x014, 0x018, 0x01C
    FAST = (OUT, OUTSET, OUTCLR, IN, DIR, DIRSET, DIRCLR)

    def touched(self, off, write):
        if write and off <= self.DIRCLR:               # not PIN_CNF, LATCH, DETECTMODE
            self.changed()

    def __init__(self, machine, spec):
        super().__init__(machine, spec)
        self.out = 0
        self.dir = 0
        self.inputs = 0
        self.leds = GpioLeds(machine, spec.name)

    def read(self, off, size):
        if off in (self.OUT, self.OUTSET, self.OUTCLR):
            return self.out
        if off in (self.DIR, self.DIRSET, self.DIRCLR):
            return self.dir
        if off == self.IN:
            return (self.out & self.dir) | (self.inputs & ~self.dir)
        return super().read(off, size)

    def write(self, off, size, value):
        value &= 0xFFFFFFFF
        if off == self.OUT:
            self.out = value
        elif off == self.OUTSET:
            self.out |= value
        elif off == self.OUTCLR:
            self.out &= ~value
        elif off == self.DIR:
            self.dir = value
        elif off == self.DIRSET:
            self.dir |= value
        elif off == self.DIRCLR:
            self.dir &= ~value
        else:
            super().write(off, size, value)
            return
        self.leds.update(self.out)


class Twim(NordicEvents, BusMaster, Peripheral):
    """TWIM (I2C master with EasyDMA); the devices on the bus are declared in the platform
    file: ``options: {devices: [{name, model, address}]}``. Transfers take their time on the
    bus at FREQUENCY (K100/K250/K400): 9 bit times per byte (8 data + ACK), the address byte
    included, one for each (repeated) START and for the STOP; the data moves when the task is
    started and each event (LASTTX, RXSTARTED, LASTRX, STOPPED, ERROR) comes when the bus
    reaches it."""
    model = "nrf52840.twim"
    TASKS_STARTRX, TASKS_STARTTX, TASKS_STOP, TASKS_SUSPEND, TASKS_RESUME = 0x000, 0x008, 0x014, 0x01C, 0x020
    EVENTS_STOPPED, EVENTS_ERROR, EVENTS_SUSPENDED = 0x104, 0x124, 0x148
    EVENTS_RXSTARTED, EVENTS_TXSTARTED, EVENTS_LASTRX, EVENTS_LASTTX = 0x14C, 0x150, 0x15C, 0x160
    SHORTS, ERRORSRC, ENABLE, FREQUENCY = 0x200, 0x4C4, 0x500, 0x524
    RATES = {0x01980000: 100_000, 0x04000000: 250_000, 0x06400000: 400_000}
    RXD_PTR, RXD_MAXCNT, RXD_AMOUNT = 0x534, 0x538, 0x53C
    TXD_PTR, TXD_MAXCNT, TXD_AMOUNT, ADDRESS = 0x544, 0x548, 0x54C, 0x588
    # SHORTS bits
    LASTTX_STARTRX, LASTTX_SUSPEND, LASTTX_STOP, LASTRX_STARTTX, LASTRX_STOP = 1 << 7, 1 << 8, 1 << 9, 1 << 10, 1 << 12
    # The events firmware waits on are answered natively and wake Python when they come; the
    # others mid-transfer (LASTTX, RXSTARTED, LASTRX, SUSPENDED) are worked out when firmware
    # reads them (or they interrupt), so a transfer costs one trip through Python, not four.
    FAST = (EVENTS_STOPPED, EVENTS_ERROR, EVENTS_TXSTARTED, ERRORSRC, RXD_AMOUNT, TXD_AMOUNT)
    PSEL_SCL, PSEL_SDA = 0x508, 0x50C
    STORE = (SHORTS, ENABLE, FREQUENCY, RXD_PTR, RXD_MAXCNT, TXD_PTR, TXD_MAXCNT, ADDRESS, PSEL_SCL, PSEL_SDA)
    LAZY = (EVENTS_SUSPENDED, EVENTS_RXSTARTED, EVENTS_LASTRX, EVENTS_LASTTX)

    def __init__(self, machine, spec):
        super().__init__(machine, spec)
        self.inten = 0
        self.devices = self._make_devices()
        self.regs[self.FREQUENCY] = 0x04000000        # reset: K250
        self.now = 0                    # cycle of the task being started
        self.bus_t = 0                  # cycle the bus reaches when what is queued on it is done
        self.timeline: list[tuple[int, int]] = []     # (cycle, EVENTS_x) still to come
        self.wake_at = None             # cycle of the wake scheduled for the timeline

    def read(self, off, size):
        if self.timeline and off in self.LAZY:
            self._catch_up(self.m.now(self.base + off)[1])
        inten = self.read_inten(off)
        return inten if inten is not None else super().read(off, size)

    def _bits(self, n: int) -> None:
        """The bus moves on by ``n`` bit times."""
        v = self.regs.get(self.FREQUENCY, 0)
        rate = self.RATES.get(v) or (v * 16_000_000) >> 32
        if rate:
            self.bus_t += -(-n * self.m.clock_hz // rate)

    def _at(self, off: int) -> None:
        """EVENTS_x when the bus gets there (now, if it is there already)."""
        if self.bus_t <= self.now:
            self._event(off)
            return
        self.timeline.append((self.bus_t, off))
        self._arm()

    def _needs_wake(self, off: int) -> bool:
        return off not in self.LAZY or bool(self.inten >> ((off - 0x100) // 4) & 1)

    def _arm(self) -> None:
        """Have Python woken when the next event that firmware can see without asking comes."""
        at = next((t for t, off in self.timeline if self._needs_wake(off)), None)
        if at is not None and at != self.wake_at:
            self.wake_at = at
            self.m.schedule(at, self._fire)

    def _catch_up(self, now: int) -> None:
        while self.timeline and self.timeline[0][0] <= now:
            self._event(self.timeline.pop(0)[1])

    def _fire(self):
        if self.wake_at is not None and self.m.cycles < self.wake_at:
            return                      # a wake superseded by an earlier one that already ran
        self.wake_at = None
        self._catch_up(self.m.cycles)
        self._arm()

    def write(self, off, size, value):
        if self.timeline and (off in self.LAZY or off in (self.INTEN, self.INTENSET)):
            self._catch_up(self.m.now(self.base + off)[1])
        if self.write_inten(off, value):
            self._arm()                 # an event that now interrupts needs a wake
            return
        if off in (self.TASKS_STARTTX, self.TASKS_STARTRX, self.TASKS_STOP) and value & 1:
            self.now = self.m.now(self.base + off)[1]
            self.bus_t = max(self.bus_t, self.now)
        if off == self.TASKS_STARTTX and value & 1:
            self._tx()
        elif off == self.TASKS_STARTRX and value & 1:
            self._rx()
        elif off == self.TASKS_STOP and value & 1:
            self._bits(1)
            self._at(self.EVENTS_STOPPED)
        elif off == self.ERRORSRC:
            self.regs[off] = self.regs.get(off, 0) & ~value     # write 1 to clear
        else:
            super().write(off, size, value)

    def _device(self):
        if self.regs.get(self.ENABLE, 0) != 6:
            return None, False
        dev = self.devices.get(self.regs.get(self.ADDRESS, 0) & 0x7F)
        if dev is None:                                        # address NACK
            self.regs[self.ERRORSRC] = self.regs.get(self.ERRORSRC, 0) | 2
            self._bits(1 + 9)                                  # START, address, NACK
            self._at(self.EVENTS_ERROR)
            self._bits(1)
            self._at(self.EVENTS_STOPPED)
            return None, False
        return dev, True

    def _tx(self):
        dev, ok = self._device()
        if not ok:
            return
        self._at(self.EVENTS_TXSTARTED)
        self._bits(1 + 9)                                      # (repeated) START, address, ACK
        n = self.regs.get(self.TXD_MAXCNT, 0) & 0xFFFF
        data = self.m.dma_read(self.regs.get(self.TXD_PTR, 0), n, who=self.name) if n else b""
        dev.i2c_write(data)
        self.regs[self.TXD_AMOUNT] = len(data)
        self._bits(9 * len(data))
        self._at(self.EVENTS_LASTTX)
        shorts = self.regs.get(self.SHORTS, 0)
        if shorts & self.LASTTX_STARTRX:
            self._rx()
        elif shorts & self.LASTTX_STOP:
            self._bits(1)
            self._at(self.EVENTS_STOPPED)
        elif shorts & self.LASTTX_SUSPEND:
            self._at(self.EVENTS_SUSPENDED)

    def _rx(self):
        dev, ok = self._device()
        if not ok:
            return
        self._at(self.EVENTS_RXSTARTED)
        self._bits(1 + 9)                                      # (repeated) START, address, ACK
        n = self.regs.get(self.RXD_MAXCNT, 0) & 0xFFFF
        data = dev.i2c_read(n)
        try:
            self.m.write(self.regs.get(self.RXD_PTR, 0), data)
        except Exception:
            from ....errors import EngineError
            raise EngineError(f"{self.name}: EasyDMA write to {self.regs.get(self.RXD_PTR, 0):#x} is outside RAM")
        self.regs[self.RXD_AMOUNT] = len(data)
        self._bits(9 * len(data))
        self._at(self.EVENTS_LASTRX)
        shorts = self.regs.get(self.SHORTS, 0)
        if shorts & self.LASTRX_STOP:
            self._bits(1)
            self._at(self.EVENTS_STOPPED)
        elif shorts & self.LASTRX_STARTTX:
            self._tx()


class Pdm(NordicEvents, Peripheral):
    """PDM microphone interface with EasyDMA (nRF52840 PS, PDM). PCM samples (16-bit) are
    produced at PDM clock / RATIO in virtual time; a buffer of SAMPLE.MAXCNT samples fills,
    then END fires and the next buffer (SAMPLE.PTR latched at STARTED) begins, as on silicon.
    A buffer that completes while END from the previous one is still set counts as lost."""
    model = "nrf52840.pdm"
    TASKS_START, TASKS_STOP = 0x000, 0x004
    EVENTS_STARTED, EVENTS_STOPPED, EVENTS_END = 0x100, 0x104, 0x108
    FAST = (EVENTS_STARTED, EVENTS_STOPPED, EVENTS_END)
    ENABLE = 0x500
    PDMCLKCTRL, MODE, RATIO, SAMPLE_PTR, SAMPLE_MAXCNT = 0x504, 0x508, 0x520, 0x560, 0x564
    CLK = {0x08000000: 1_000_000, 0x08400000: 1_032_000, 0x08800000: 1_067_000,
           0x09800000: 1_231_000, 0x0A000000: 1_280_000, 0x0A800000: 1_333_000}

    def __init__(self, machine, spec):
        super().__init__(machine, spec)
        self.regs[self.PDMCLKCTRL] = 0x08400000
        self.inten = 0
        self.running = False
        self.buf_ptr = 0
        self.buf_len = 0
        self.buf_start = 0            # index of the buffer's first sample
        self.t0 = 0                   # cycle of sample 0
        self.event = None
        self.pcm: np.ndarray | None = None
        self.pcm_rate = 16000.0
        self.lost = 0
        self.name_for_streams = self.options.get("sensor", "mic")

    # The microphone is a sensor of its own name (default "mic") with one channel "pcm".
    def attach(self, channel, data, rate_hz):
        if channel != "pcm":
            raise KeyError(channel)
        self.pcm = np.asarray(data, dtype=np.float64).reshape(len(data), -1)[:, 0]
        self.pcm_rate = float(rate_hz)

    def lost_samples(self) -> int:
        return self.lost

    def rate(self) -> float:
        clk = self.CLK.get(self.regs.get(self.PDMCLKCTRL, 0x08400000), 1_032_000)
        return clk / (80 if self.regs.get(self.RATIO, 0) & 1 else 64)

    def read(self, off, size):
        inten = self.read_inten(off)
        return inten if inten is not None else super().read(off, size)

    def write(self, off, size, value):
        if self.write_inten(off, value):
            return
        if off == self.TASKS_START and value & 1 and self.regs.get(self.ENABLE, 0) & 1:
            self.running = True
            self.t0 = self.m.cycles
            self.buf_start = 0
            self._start_buffer()
        elif off == self.TASKS_STOP and value & 1:
            self.running = False
            if self.event is not None:
                self.event.cancelled = True
            self._event(self.EVENTS_STOPPED)
        else:
            super().write(off, size, value)

    def _start_buffer(self):
        self.buf_ptr = self.regs.get(self.SAMPLE_PTR, 0)
        stereo = not (self.regs.get(self.MODE, 0) & 1)
        self.buf_len = self.regs.get(self.SAMPLE_MAXCNT, 0) & 0x7FFF
        self.frames = self.buf_len // 2 if stereo else self.buf_len
        self._event(self.EVENTS_STARTED)
        if self.frames:
            end = self.t0 + int((self.buf_start + self.frames) * self.m.clock_hz / self.rate())
            self.event = self.m.schedule(end, self._buffer_done)

    def _samples(self, first: int, n: int) -> np.ndarray:
        if self.pcm is None or not len(self.pcm):
            return np.zeros(n, dtype="<i2")
        # index = sample * pcm_rate / rate: exact when the rates are equal ((i / r) * r is not)
        idx = np.minimum(((first + np.arange(n)) * self.pcm_rate / self.rate()).astype(np.int64),
                         len(self.pcm) - 1)
        return np.clip(np.round(self.pcm[idx]), -32768, 32767).astype("<i2")

    def _buffer_done(self):
        if not self.running:
            return
        s = self._samples(self.buf_start, self.frames)
        if not self.regs.get(self.MODE, 0) & 1:
            s = np.repeat(s, 2)                         # stereo: the same signal on L and R
        self.m.write(self.buf_ptr, s.tobytes())
        self.buf_start += self.frames
        if self.regs.get(self.EVENTS_END, 0):
            self.lost += self.frames                    # the previous END was never handled
        self._event(self.EVENTS_END)
        self._start_buffer()
