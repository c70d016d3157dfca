"""FE310-G002 peripherals (SiFive FE310-G002 Manual v1p5): UART, PRCI, GPIO."""
from __future__ import annotations

from collections import deque

import numpy as np

from . import BusMaster, GpioLeds, Peripheral


class Plic(Peripheral):
    """SiFive PLIC (FE310-G002: 52 sources, 3-bit priorities, one hart in M-mode): priority,
    pending, enable, threshold, claim/complete. Sources are level-triggered through their
    gateways: a claimed source is not pending again until it is completed."""
    model = "sifive.plic"
    PENDING, ENABLE, THRESHOLD, CLAIM = 0x1000, 0x2000, 0x200000, 0x200004

    def __init__(self, machine, spec):
        super().__init__(machine, spec)
        self.n = int(self.options.get("sources", 52))
        self.priority = [0] * (self.n + 1)
        self.levels = 0
        self.pending = 0
        self.in_service = 0
        self.enable = 0
        self.threshold = 0

    def set_level(self, source: int, level: bool):
        bit = 1 << source
        was = self.meip()
        self.levels = (self.levels | bit) if level else (self.levels & ~bit)
        if level and not self.in_service & bit:
            self.pending |= bit
        elif not level:
            self.pending &= ~bit
        if self.meip() != was:
            self.m.request_stop()

    def request(self, source: int):
        """An edge through the source's gateway: pending until claimed (if not in service)."""
        bit = 1 << source
        if not self.in_service & bit and not self.pending & bit:
            self.pending |= bit
            self.m.request_stop()

    def _best(self) -> int:
        ready = self.pending & self.enable
        if not ready:                    # the usual answer, asked at every run slice
            return 0
        best, prio = 0, self.threshold
        for s in range(1, self.n + 1):
            if ready >> s & 1 and self.priority[s] > prio:
                best, prio = s, self.priority[s]
        return best

    def meip(self) -> bool:
        return self._best() != 0

    def read(self, off, size):
        if off < 4 * (self.n + 1):
            return self.priority[off // 4]
        if self.PENDING <= off < self.PENDING + 8:
            return (self.pending >> (8 * (off - self.PENDING))) & 0xFFFFFFFF
        if self.ENABLE <= off < self.ENABLE + 8:
            return (self.enable >> (8 * (off - self.ENABLE))) & 0xFFFFFFFF
        if off == self.THRESHOLD:
            return self.threshold
        if off == self.CLAIM:
            s = self._best()
            if s:
                self.pending &= ~(1 << s)
                self.in_service |= 1 << s
            return s
        return 0

    def write(self, off, size, value):
        if off < 4 * (self.n + 1):
            if off:
                self.priority[off // 4] = value & 7
        elif self.ENABLE <= off < self.ENABLE + 8:
            shift = 8 * (off - self.ENABLE)
            self.enable = (self.enable & ~(0xFFFFFFFF << shift)) | ((value & 0xFFFFFFFF) << shift)
        elif off == self.THRESHOLD:
            self.threshold = value & 7
        elif off == self.CLAIM:                          # complete
            bit = 1 << (value & 0x3F)
            self.in_service &= ~bit
            if self.levels & bit:
                self.pending |= bit
        else:
            return
        self.m.request_stop()


class SifiveUart(Peripheral):
    """UART (FE310-G002 manual ch. 18). Transmit: an 8-entry FIFO feeding the shift register at
    the baud rate tlclk / (div + 1) (tlclk = the core clock), 10 bits a frame (11 with
    txctrl.nstop); txdata.full reads 1 while 8 bytes wait, and a write then is dropped, as on
    silicon. RX bytes are queued by the host. Interrupts: ip.txwm while the TX FIFO holds fewer
    than txctrl.txcnt entries, ip.rxwm while the RX FIFO holds more than rxctrl.rxcnt; the
    UART's PLIC source (``irq:``) is high while ie & ip."""
    model = "sifive.uart"
    TXDATA, RXDATA, TXCTRL, RXCTRL, IE, IP, DIV = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18
    FAST = (TXDATA,)                 # polled for "FIFO full" before every byte
    TX_FIFO = 8

    def touched(self, off, write):
        if write and off == self.TXDATA:   # the FIFO changes at writes and at events only
            self.changed()

    def __init__(self, machine, spec):
        super().__init__(machine, spec)
        self.rx: deque[int] = deque()
        self.regs[self.DIV] = 0x0000008A
        self.level = False           # what drives the PLIC source now
        self.tx_starts: deque[int] = deque()   # cycle each byte waiting in the TX FIFO starts
        self.tx_end = 0              # cycle at which the last byte queued has been sent
        self.event = None

    def _tx_waiting(self) -> int:
        return len(self.tx_starts)

    def _drain(self, now: int) -> None:
        while self.tx_starts and self.tx_starts[0] <= now:
            self.tx_starts.popleft()  # moved to the shift register: its FIFO slot is free

    def _ip(self) -> int:
        txwm = self._tx_waiting() < ((self.regs.get(self.TXCTRL, 0) >> 16) & 7)
        rxwm = len(self.rx) > ((self.regs.get(self.RXCTRL, 0) >> 16) & 7)
        return int(txwm) | int(rxwm) << 1

    def _update_irq(self):
        level = bool(self._ip() & self.regs.get(self.IE, 0) & 3)
        if level != self.level:
            self.level = level
            if self.irq is not None and self.m.plic is not None:
                self.m.plic.set_level(self.irq, level)

    def _arm(self) -> None:
        """Wake up when the oldest waiting byte leaves the FIFO, while that changes something
        firmware can see: the full flag, or the txwm interrupt."""
        if self.event is not None:
            self.event.cancelled = True
            self.event = None
        if not self.tx_starts:
            return
        watch_txwm = self.regs.get(self.IE, 0) & 1 and \
            self._tx_waiting() >= ((self.regs.get(self.TXCTRL, 0) >> 16) & 7)
        if self._tx_waiting() >= self.TX_FIFO or watch_txwm:
            self.event = self.m.schedule(self.tx_starts[0], self._on_tx_slot)

    def _on_tx_slot(self):
        self.event = None
        self._drain(self.m.cycles)
        self._update_irq()
        self._arm()

    def receive(self, data: bytes):
        """Bytes arriving on RX (from the host)."""
        self.rx.extend(data)
        self._update_irq()

    def read(self, off, size):
        if off == self.TXDATA:
            return 0x80000000 if self._tx_waiting() >= self.TX_FIFO else 0
        if off == self.RXDATA:
            if not self.rx:
                return 0x80000000                   # empty
            v = self.rx.popleft()
            self._update_irq()
            return v
        if off == self.IP:
            return self._ip()
        return super().read(off, size)

    def write(self, off, size, value):
        if off == self.TXDATA:
            if self.regs.get(self.TXCTRL, 0) & 1:
                self._transmit(value & 0xFF, self.m.now(self.base + off)[1])
        elif off != self.RXDATA and off != self.IP:
            super().write(off, size, value)
            if off in (self.TXCTRL, self.RXCTRL, self.IE):
                self._update_irq()
                self._arm()

    def _transmit(self, byte: int, now: int) -> None:
        self._drain(now)
        if self._tx_waiting() >= self.TX_FIFO:
            return                                   # full: the write is ignored
        self.m.emit_uart(self.name, bytes([byte]))
        bits = 11 if self.regs.get(self.TXCTRL, 0) & 2 else 10
        frame = bits * ((self.regs.get(self.DIV, 0) & 0xFFFF) + 1)
        start = max(now, self.tx_end)
        self.tx_end = start + frame
        if start > now:                              # waits in the FIFO until the shifter frees
            self.tx_starts.append(start)
        self._update_irq()
        self._arm()


class Prci(Peripheral):
    """Power, reset, clock, interrupt: oscillators report ready and the PLL locks at once."""
    model = "fe310.prci"
    HFROSCCFG, HFXOSCCFG, PLLCFG, PLLOUTDIV = 0x00, 0x04, 0x08, 0x0C
    FAST = (HFROSCCFG, HFXOSCCFG, PLLCFG, PLLOUTDIV)

    def __init__(self, machine, spec):
        super().__init__(machine, spec)
        self.regs.update({self.HFROSCCFG: 0x40000000 | 4 << 16 | 16,   # enabled, reset trim/div
                          self.HFXOSCCFG: 0x40000000,
                          self.PLLCFG: 0x00070DF1,      # reset: bypass, sel=HFROSC, r/f/q
                          self.PLLOUTDIV: 0x00000100})

    def read(self, off, size):
        v = super().read(off, size)
        if off == self.HFROSCCFG and v & (1 << 30):
            v |= 1 << 31
        elif off == self.HFXOSCCFG and v & (1 << 30):
            v |= 1 << 31
        elif off == self.PLLCFG:
            v |= 1 << 31
        return v


class Fe310Gpio(Peripheral):
    """GPIO: outputs (LEDs follow them), inputs driven by devices (e.g. a sensor's INT pin),
    and the pin interrupts: rise/fall/high/low *_ie and *_ip (write 1 to clear); each pin is a
    PLIC source (``options: {plic_base_source: 8}`` as on the FE310-G002)."""
    model = "fe310.gpio"
    INPUT_VAL, INPUT_EN, OUTPUT_EN, OUTPUT_VAL, OUT_XOR = 0x00, 0x04, 0x08, 0x0C, 0x40
    RISE_IE, RISE_IP, FALL_IE, FALL_IP, HIGH_IE, HIGH_IP, LOW_IE, LOW_IP = range(0x18, 0x38, 4)
    FAST = (INPUT_VAL,)

    def touched(self, off, write):
        if write:                       # reads of *_ip settle levels, not INPUT_VAL
            self.changed()

    def __init__(self, machine, spec):
        super().__init__(machine, spec)
        self.leds = GpioLeds(machine, spec.name)
        self.inputs = 0
        self.ip = {self.RISE_IP: 0, self.FALL_IP: 0, self.HIGH_IP: 0, self.LOW_IP: 0}
        self.active = 0                 # pins whose PLIC source is driven high

    def read(self, off, size):
        if off == self.INPUT_VAL:
            en = self.regs.get(self.INPUT_EN, 0)
            out = self._pins()
            return (self.inputs | out) & en
        if off in self.ip:
            self._levels()
            return self.ip[off]
        return super().read(off, size)

    def write(self, off, size, value):
        if off in self.ip:
            self.ip[off] &= ~value
            self._levels()
            return
        super().write(off, size, value & 0xFFFFFFFF)
        if off in (self.OUTPUT_VAL, self.OUTPUT_EN, self.OUT_XOR):
            self.leds.update(self._pins())
        if off in (self.RISE_IE, self.FALL_IE, self.HIGH_IE, self.LOW_IE):
            self._levels()

    def set_input(self, pin: int, level: bool):
        """A device drives an input pin (edges set rise_ip/fall_ip as on silicon)."""
        bit = 1 << pin
        old = bool(self.inputs & bit)
        self.inputs = (self.inputs | bit) if level else (self.inputs & ~bit)
        if level and not old:
            self.ip[self.RISE_IP] |= bit
        elif old and not level:
            self.ip[self.FALL_IP] |= bit
        self._levels()
        self.changed()                  # INPUT_VAL is answered natively

    def _levels(self):
        """Drive each pin's PLIC source: pending while any enabled condition holds."""
        self.ip[self.HIGH_IP] |= self.inputs
        self.ip[self.LOW_IP] |= ~self.inputs & 0xFFFFFFFF
        active = 0
        for ie, ip in ((self.RISE_IE, self.RISE_IP), (self.FALL_IE, self.FALL_IP),
                       (self.HIGH_IE, self.HIGH_IP), (self.LOW_IE, self.LOW_IP)):
            active |= self.regs.get(ie, 0) & self.ip[ip]
        changed, self.active = active ^ self.active, active
        plic = self.m.plic
        if plic is not None and changed:
            base = int(self.options.get("plic_base_source", 8))
            for pin in range(32):
                if changed >> pin & 1:
                    plic.set_level(base + pin, bool(active >> pin & 1))

    def _pins(self) -> int:
        return (self.regs.get(self.OUTPUT_VAL, 0) ^ self.regs.get(self.OUT_XOR, 0)) & \
            self.regs.get(self.OUTPUT_EN, 0) | (~self.regs.get(self.OUTPUT_EN, 0) & 0xFFFFFFFF)


class Fe310I2c(BusMaster, Peripheral):
    """FE310 I2C0: the OpenCores I2C master interface (FE310-G002 manual ch. 20). Transfers
    take their time on the bus (SR.TIP); devices as for the nRF52840 TWIM.

    The byte protocol runs natively (``_i2c.c``: both MMIO callbacks of the page); the slave
    models run once per transaction: a read-ahead of the bytes the slave would return (its
    ``i2c_peek``) and, at the next fill or at STOP / repeated START, the side effects of the
    bytes read (``i2c_read(n, at=cycle of the last byte)``) or the bytes written. ``NATIVE =
    False`` selects the per-byte Python model (the reference the native path must match).

    Bus time: a command keeps SR.TIP set until it would end on the wire at the programmed
    prescaler, SCL = clock / (5 * (prescale + 1)) with the FE310's tlclk = core clock; a byte
    and its ACK take 9 SCL periods, START and STOP one more each (OpenCores I2C spec).
    ``options: {bus_time: false}`` completes transfers at once. A loop polling TIP runs its
    iterations natively; identical ones are counted at once (``_i2c.c``, ``SKIP_POLLS``)."""
    model = "fe310.i2c"
    NATIVE = True
    BUS_TIME = True                  # default of options.bus_time
    SKIP_POLLS = True                # skip identical TIP-poll iterations (see _i2c.c)
    PRERLO, PRERHI, CTR, TXR_RXR, CR_SR = 0x00, 0x04, 0x08, 0x0C, 0x10
    # State words (mirrored in _i2c.c).
    (I_CYCLES, I_CALL, I_CTR, I_TXR, I_RXR, I_SR, I_STARTED, I_ADDR, I_READING, I_NW, I_SERVED,
     I_AVAIL, I_VALID_UNTIL, I_LAST_READ, I_TIMED, I_DONE_AT, I_SR_DONE, I_PRESENT0,
     I_PRESENT1, I_AHEAD, I_SPILLED, I_P_READS, I_P_ADDR, I_P_AT, I_P_WLEN, I_P_WADDR,
     I_P_WBYTE, I_SKIP, I_DEADLINE, I_LAST_ADDR, I_LAST_SIZE, I_NCTR, I_PL_ADDR, I_PL_SIZE,
     I_PL_DONE, I_PL_DELTA_OK) = range(36)
    I_CTR0, I_MAX_CTR = 64, 16
    I_CLS_ADDR = I_CTR0 + 3 * I_MAX_CTR + 4
    I_CLS_SIZE = I_CLS_ADDR + 1
    I_POLL0, I_POLL_N = 128, 64
    I_REGS0, I_NREGS = I_POLL0 + 3 * I_POLL_N, 1024
    I_WLOG0, I_WLOG_N = I_REGS0 + I_NREGS, 64
    I_RBUF0, I_RBUF_N = I_WLOG0 + I_WLOG_N, 64
    I_RBUF_N_PEEK = 8                # a peek covers a 6-byte sample read; longer reads refill
    K_FILL, K_END, K_SPILL, K_FLUSH, K_CLASSIFY = 1, 2, 3, 4, 5
    _SHARED = Peripheral._SHARED + ("_s", "_w", "_keep")

    def __init__(self, machine, spec):
        super().__init__(machine, spec)
        self.devices = self._make_devices()
        self.timed = bool(self.options.get("bus_time", self.BUS_TIME))
        self._s = self._w = None         # the native state (None: the Python model runs)
        self._keep = None
        # Python model
        self.txr = self.rxr = 0
        self.sr = 0
        self.dev = None
        self.reading = False
        self.wbuf = bytearray()
        self.started = False
        self.done_at = 0
        self.spill = bytearray()         # native path: written bytes moved out of a full log

    # -- native mapping ---------------------------------------------------------------------------
    def map_native(self, uc, base: int, size: int):
        """Map this peripheral's page with the native callbacks; None when the Python model
        is selected (the caller maps it as any other)."""
        if not self.NATIVE or base != self.base:
            return None
        import ctypes

        from unicorn.unicorn_py3.unicorn import MMIO_READ_CFUNC, uccallback, uclib

        from .. import _i2c
        from .. import _native as N
        addrs = _i2c.addresses()
        assert (addrs["size"], addrs["cls_addr"], addrs["poll0"], addrs["last_fixed"]) == (
            self.I_RBUF0 + self.I_RBUF_N, self.I_CLS_ADDR, self.I_POLL0, self.I_PL_DELTA_OK), \
            "_i2c.c and Fe310I2c disagree on the state layout"
        s = np.zeros(addrs["size"], dtype=np.int64)
        cb = uccallback(uc, MMIO_READ_CFUNC)(self._native_call)
        c = self.m.counter
        hdr = c.buf.ctypes.data
        s[self.I_CYCLES] = hdr + 8 * N.CYCLES
        s[self.I_DEADLINE], s[self.I_LAST_ADDR], s[self.I_LAST_SIZE] = \
            (hdr + 8 * i for i in (N.DEADLINE, N.LAST_ADDR, N.LAST_SIZE))
        counters = self.m.poll_counters()      # what one iteration of a skipped poll loop moves
        s[self.I_NCTR] = len(counters)
        s[self.I_CTR0:self.I_CTR0 + len(counters)] = counters
        s[self.I_CALL] = ctypes.cast(cb, ctypes.c_void_p).value
        s[self.I_ADDR] = -1
        s[self.I_TIMED] = int(self.timed)
        s[self.I_PL_ADDR] = -1
        for a in self.devices:
            s[self.I_PRESENT0 + (a >> 6)] |= 1 << (a & 63)
        err = uclib.uc_mmio_map(uc._uch, base, size, ctypes.c_void_p(addrs["read"]),
                                ctypes.c_void_p(s.ctypes.data), ctypes.c_void_p(addrs["write"]),
                                ctypes.c_void_p(s.ctypes.data))
        if err:
            raise RuntimeError(f"uc_mmio_map failed: {err}")
        self._s, self._w = s, memoryview(s)
        self._keep = (cb,)
        for d in self.devices.values():
            d.bus = self
        return self._keep

    def sync(self) -> None:
        """Apply to the slaves, in order, what firmware did that they have not seen yet: the
        pending reads of the last read transaction, the pending pointer write, the reads of
        the transaction in progress (a slave about to change on its own, e.g. at a new
        sample, must see them first)."""
        w = self._w
        if w is None:
            return
        if w[self.I_P_READS]:
            n, w[self.I_P_READS] = w[self.I_P_READS], 0
            self.devices[w[self.I_P_ADDR]].i2c_read(n, at=w[self.I_P_AT])
        if w[self.I_P_WLEN]:
            w[self.I_P_WLEN] = 0
            self.devices[w[self.I_P_WADDR]].i2c_write(bytes((w[self.I_P_WBYTE],)))
        served = w[self.I_SERVED]
        if served > w[self.I_AHEAD] and w[self.I_ADDR] >= 0 and w[self.I_READING]:
            self.devices[w[self.I_ADDR]].i2c_read(served - w[self.I_AHEAD], at=w[self.I_LAST_READ])
            w[self.I_AHEAD] = served

    def _native_call(self, _uc, kind, _size, _user):
        # State through a memoryview: item access costs a fraction of numpy's.
        w = self._w
        if kind == self.K_SPILL:
            self.spill += bytes(w[self.I_WLOG0 + i] for i in range(w[self.I_NW]))
            w[self.I_NW] = 0
            return 0
        if kind == self.K_CLASSIFY:
            self._classify()
            return 0
        # Poll loops are skipped unless a call profile is recorded (its hook sees every block).
        w[self.I_SKIP] = self.SKIP_POLLS and self.m.profiler is None
        self.sync()
        if kind == self.K_FILL:
            dev = self.devices[w[self.I_ADDR]]
            peek = getattr(dev, "i2c_peek", None)
            if peek is not None:
                data, until = peek(self.I_RBUF_N_PEEK)
                ahead = 0
            else:                                     # no peek: one byte at a time, applied now
                data, until, ahead = dev.i2c_read(1), 0, 1
            base = self.I_RBUF0
            for i, b in enumerate(data):
                w[base + i] = b
            w[self.I_SERVED] = 0
            w[self.I_AVAIL] = len(data)
            w[self.I_AHEAD] = ahead
            w[self.I_VALID_UNTIL] = until
        elif kind == self.K_END:                      # a write transaction ends
            data = bytes(self.spill) + bytes(w[self.I_WLOG0 + i] for i in range(w[self.I_NW]))
            self.spill.clear()
            w[self.I_NW] = 0
            self.devices[w[self.I_ADDR]].i2c_write(data)
        return 0

    def _classify(self) -> None:
        """Is the block at I_CLS_ADDR a loop that polls SR and nothing else? One load, ALU work
        on registers, a conditional branch back to its start, and no register read before the
        block writes it (so every iteration computes the same values). Its verdict: the
        address of its profile accumulators, 0 for no."""
        w = self._w
        addr, size = w[self.I_CLS_ADDR], w[self.I_CLS_SIZE]
        e = self.I_POLL0 + 3 * (((addr >> 1) ^ (addr >> 7)) & (self.I_POLL_N - 1))
        w[e + 2] = 0
        c = self.m.counter
        slot = c.slot(addr)
        if slot < 0 or not self._is_poll_loop(addr, size):
            return
        # acc_i and acc_c are adjacent fields of the slot's record (_native.BlockCounter)
        assert c.acc_c.ctypes.data - c.acc_i.ctypes.data == 8
        w[e + 2] = c.acc_i.ctypes.data + slot * c.acc_i.strides[0]

    def _is_poll_loop(self, addr: int, size: int) -> bool:
        return self.m.platform.arch == "riscv" and self.m.block(addr, size).poll

    def get_state(self):
        st = super().get_state()
        if self._s is not None:
            st["_native"] = self._s[self.I_CTR:].copy()      # not the callback pointers
        return st

    def set_state(self, state):
        state = dict(state)
        native = state.pop("_native", None)
        super().set_state(state)
        if native is not None and self._s is not None:
            self._s[self.I_CTR:] = native

    # -- registers (the Python model; reads also serve the native state) ----------------------------
    def read(self, off, size):
        s = self._s
        if s is not None:
            if off == self.TXR_RXR:
                return int(s[self.I_RXR])
            if off == self.CR_SR:
                busy = s[self.I_TIMED] and self.m.cycles < s[self.I_DONE_AT]
                return 0x02 if busy else int(s[self.I_SR_DONE])
            return int(s[self.I_REGS0 + (off >> 2)]) if not off & 3 and off >> 2 < self.I_NREGS else 0
        if off == self.TXR_RXR:
            return self.rxr
        if off == self.CR_SR:
            return 0x02 if self.timed and self.m.cycles < self.done_at else self.sr
        return super().read(off, size)

    def _flush(self):
        if self.dev is not None and not self.reading and self.wbuf:
            self.dev.i2c_write(bytes(self.wbuf))
        self.wbuf.clear()

    def write(self, off, size, value):
        value &= 0xFF
        if off == self.TXR_RXR:
            self.txr = value
            return
        if off != self.CR_SR:
            super().write(off, size, value)
            return
        if not self.regs.get(self.CTR, 0) & 0x80:           # core disabled
            return
        ack_bit = bits = 0
        if value & 0x80:                                    # STA: (repeated) start
            self._flush()
            self.started = True
            bits += 1
        if value & 0x10:                                    # WR
            if self.started:                                # the address byte
                self.started = False
                self.dev = self.devices.get(self.txr >> 1)
                self.reading = bool(self.txr & 1)
                ack_bit = 0 if self.dev is not None else 0x80
            elif self.dev is not None and not self.reading:
                self.wbuf.append(self.txr)
            else:
                ack_bit = 0x80
            bits += 9
        if value & 0x20:                                    # RD
            self.rxr = self.dev.i2c_read(1)[0] if self.dev is not None and self.reading else 0xFF
            bits += 9
        if value & 0x40:                                    # STO
            self._flush()
            self.dev = None
            bits += 1
        self.sr = ack_bit | (0x01 if value & 0x30 else 0)   # RxACK, IF; TIP/busy clear
        if self.timed and bits:
            prescale = self.regs.get(self.PRERLO, 0) | self.regs.get(self.PRERHI, 0) << 8
            self.done_at = max(self.m.cycles, self.done_at) + bits * 5 * (prescale + 1)
