"""Memory-system registers: the controllers whose settings decide what an instruction-cache miss
costs. The cache itself runs in the native block hook (``_hook.c`` fetch_lines); these models
only turn register writes into the hook's parameters (``BlockCounter.cache``), so nothing runs
per fetch.

FE310-G002 QSPI0 (the flash controller behind the XIP window at 0x20000000): a line fill is one
flash read transaction, timed in SCK cycles from ffmt (command, address, dummy and data phases
with their lane counts) and delay0/delay1 (chip-select set-up, hold and idle), and SCK =
tlclk / (2 * (sckdiv + 1)) with tlclk = the core clock on the FE310.
Source: SiFive FE310-G002 Manual, chapter "Serial Peripheral Interface (SPI)" (register map,
reset values, sckdiv formula, the SPI flash interface's ffmt/fctrl).
"""
from __future__ import annotations

from .. import _native as N
from . import Peripheral

# QSPI0 register offsets and their reset values.
SCKDIV, SCKMODE, CSID, CSDEF, CSMODE = 0x00, 0x04, 0x10, 0x14, 0x18
DELAY0, DELAY1, FMT, TXDATA, RXDATA = 0x28, 0x2C, 0x40, 0x48, 0x4C
TXMARK, RXMARK, FCTRL, FFMT, IE, IP = 0x50, 0x54, 0x60, 0x64, 0x70, 0x74
RESET = {SCKDIV: 3, CSDEF: 1, DELAY0: 0x0001_0001, DELAY1: 0x0000_0001, FMT: 0x0008_0000,
         FCTRL: 1, FFMT: 0x0003_0007}
LINE_BITS = 8 * 32           # one 32-byte instruction cache line


def line_fill_sck(ffmt: int, delay0: int, delay1: int, line_bits: int = LINE_BITS) -> float:
    """SCK cycles of one flash read filling a cache line: command (8 bits, when cmd_en), address
    (addr_len bytes), pad_cnt dummy cycles and the data, each phase over its protocol's lanes
    (single 1, dual 2, quad 4), plus CS set-up (cssck), hold (sckcs) and idle (intercs)."""
    lanes = [1 << min((ffmt >> s) & 3, 2) for s in (8, 10, 12)]
    cmd = 8 / lanes[0] if ffmt & 1 else 0
    addr = ((ffmt >> 1) & 7) * 8 / lanes[1]
    pad = (ffmt >> 4) & 0xF
    data = line_bits / lanes[2]
    overhead = (delay0 & 0xFF) + ((delay0 >> 16) & 0xFF) + (delay1 & 0xFF)
    return cmd + addr + pad + data + overhead


class Fe310Qspi(Peripheral):
    """QSPI0 as the XIP flash interface: registers keep what firmware writes; sckdiv, ffmt and the
    delays set the cycles a line fill costs. Programmed I/O (txdata/rxdata) is not modelled: the
    transmit FIFO reads as never full, the receive FIFO as empty."""
    model = "fe310.qspi"

    def __init__(self, machine, spec):
        super().__init__(machine, spec)
        self.regs = dict(RESET)
        self._apply()

    def miss_cycles(self) -> int:
        sck = line_fill_sck(self.regs[FFMT], self.regs[DELAY0], self.regs[DELAY1])
        return int(round(sck * 2 * ((self.regs[SCKDIV] & 0xFFF) + 1)))

    def _apply(self) -> None:
        self.m.counter.cache[N.C_PENALTY] = self.miss_cycles()

    def read(self, off, size):
        if off == RXDATA:
            return 0x8000_0000            # empty
        if off == TXDATA:
            return 0
        return self.regs.get(off, 0)

    def write(self, off, size, value):
        if off in (TXDATA, RXDATA):
            return
        self.regs[off] = value & 0xFFFF_FFFF
        if off in (SCKDIV, FFMT, DELAY0, DELAY1):
            self._apply()

    def set_state(self, state):
        super().set_state(state)
        self._apply()
