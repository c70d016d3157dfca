"""FE310-G002 peripherals (SiFive FE310-G002 Manual v1p5): UART, PRCI, GPIO."""
from __future__ import annotations

from collections import deque

from . import BusMaster, GpioLeds, Peripheral


class SifiveUart(Peripheral):
    """UART: the TX FIFO drains at once; RX bytes can be queued by the host."""
    model = "sifive.uart"
    TXDATA, RXDATA, TXCTRL, RXCTRL, IE, IP, DIV = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18

    def __init__(self, machine, spec):
        super().__init__(machine, spec)
        self.rx: deque[int] = deque()
        self.regs[self.DIV] = 0x0000008A

    def read(self, off, size):
        if off == self.TXDATA:
            return 0                                # FIFO never full
        if off == self.RXDATA:
            return self.rx.popleft() if self.rx else 0x80000000
        if off == self.IP:
            txwm = ((self.regs.get(self.TXCTRL, 0) >> 16) & 7) > 0   # queue empty < txcnt
            rxwm = len(self.rx) > ((self.regs.get(self.RXCTRL, 0) >> 16) & 7)
            return int(txwm) | int(rxwm) << 1
        return super().read(off, size)

    def write(self, off, size, value):
        if off == self.TXDATA:
            if self.regs.get(self.TXCTRL, 0) & 1:
                self.m.emit_uart(self.name, bytes([value & 0xFF]))
        elif off != self.RXDATA and off != self.IP:
            super().write(off, size, value)


class Prci(Peripheral):
    """Power, reset, clock, interrupt: oscillators report ready and the PLL locks at once."""
    model = "fe310.prci"
    HFROSCCFG, HFXOSCCFG, PLLCFG, PLLOUTDIV = 0x00, 0x04, 0x08, 0x0C

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
    model = "fe310.gpio"
    INPUT_VAL, INPUT_EN, OUTPUT_EN, OUTPUT_VAL, OUT_XOR = 0x00, 0x04, 0x08, 0x0C, 0x40

    def __init__(self, machine, spec):
        super().__init__(machine, spec)
        self.leds = GpioLeds(machine, spec.name)
        self.inputs = 0

    def read(self, off, size):
        if off == self.INPUT_VAL:
            en = self.regs.get(self.INPUT_EN, 0)
            out = self._pins()
            return (self.inputs | out) & en
        return super().read(off, size)

    def write(self, off, size, value):
        super().write(off, size, value & 0xFFFFFFFF)
        if off in (self.OUTPUT_VAL, self.OUTPUT_EN, self.OUT_XOR):
            self.leds.update(self._pins())

    def _pins(self) -> int:
        return (self.regs.get(self.OUTPUT_VAL, 0) ^ self.regs.get(self.OUT_XOR, 0)) & \
            self.regs.get(self.OUTPUT_EN, 0) | (~self.regs.get(self.OUTPUT_EN, 0) & 0xFFFFFFFF)


class Fe310I2c(BusMaster, Peripheral):
    """FE310 I2C0: the OpenCores I2C master interface (FE310-G002 manual ch. 20). Byte
    transfers complete at once (TIP never stays set); devices as for the nRF52840 TWIM."""
    model = "fe310.i2c"
    PRERLO, PRERHI, CTR, TXR_RXR, CR_SR = 0x00, 0x04, 0x08, 0x0C, 0x10

    def __init__(self, machine, spec):
        super().__init__(machine, spec)
        self.devices = self._make_devices()
        self.txr = self.rxr = 0
        self.sr = 0
        self.dev = None
        self.reading = False
        self.wbuf = bytearray()
        self.started = False

    def read(self, off, size):
        if off == self.TXR_RXR:
            return self.rxr
        if off == self.CR_SR:
            return self.sr
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
        ack_bit = 0
        if value & 0x80:                                    # STA: (repeated) start
            self._flush()
            self.started = True
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
        if value & 0x20:                                    # RD
            self.rxr = self.dev.i2c_read(1)[0] if self.dev is not None and self.reading else 0xFF
        if value & 0x40:                                    # STO
            self._flush()
            self.dev = None
        self.sr = ack_bit | (0x01 if value & 0x30 else 0)   # RxACK, IF; TIP/busy clear
