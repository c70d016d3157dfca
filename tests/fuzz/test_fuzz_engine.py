"""Firmware controls every pointer and length it hands the engine: semihosting parameters and
peripheral register values. Random ones never raise out of the engine: the call either works,
returns an error value, or becomes a firmware fault / a TinysimError with a message."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinysim.engines.base import StopInfo
from tinysim.errors import TinysimError

sys.path.insert(0, str(Path(__file__).parent))
from conftest import no_hang  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BOARDS = {"nano33ble": 0x20000000, "hifive1": 0x80000000}          # RAM base


@pytest.fixture(scope="module", params=sorted(BOARDS))
def board(request):
    from tinysim import api
    elf = REPO / "build" / request.param / "hello.elf"
    if not elf.is_file():
        pytest.skip(f"{elf} not built (make -C firmware)")
    with api.open_board(request.param, elf) as eng:
        yield request.param, eng


ADDR = st.one_of(st.integers(0, (1 << 32) - 1),
                 st.sampled_from([0, 0xFFFFFFFF, 0xFFFFFFFC, 0x7FFFFFFF, 0x20000000, 0x2003FFFF, 0x20040000,
                                  0x80000000, 0x80003FFF, 0x80004000, 0x40002000, 0x10013000]))
OPS = st.one_of(st.sampled_from([0x01, 0x03, 0x04, 0x05, 0x10, 0x11, 0x13, 0x18, 0x20, 0x30, 0x31]),
                st.integers(0, 0x1FF))


def test_semihosting_with_random_pointers(board):
    from tinysim.engines.builtin import _semihost
    name, eng = board
    m, ram = eng.m, BOARDS[name]

    @given(OPS, ADDR, st.lists(st.one_of(ADDR, st.integers(0, 64)), min_size=3, max_size=3),
           st.booleans())
    def run(op, param, block, in_ram):
        if in_ram:                               # a parameter block in RAM holding random words
            param = ram + 0x100
            m.write(param, b"".join(w.to_bytes(4, "little") for w in block))
        with no_hang():
            value, stop = _semihost.handle(m, op, param, pc=0x100)
        assert 0 <= value <= 0xFFFFFFFF
        assert stop is None or isinstance(stop, StopInfo)
        if stop is not None and stop.reason == "fault":
            assert stop.fault.kind == "semihosting-bad-pointer" and "outside the board's memory" in \
                stop.fault.description
    run()


def test_peripheral_registers_with_random_values(board):
    name, eng = board
    periphs = sorted(eng.m.peripherals.values(), key=lambda p: p.name)

    @given(st.lists(st.tuples(st.sampled_from(periphs), st.integers(0, 0xFFF), st.sampled_from([1, 2, 4]),
                              ADDR, st.booleans()), min_size=1, max_size=20))
    def run(accesses):
        with no_hang():
            for p, off, size, value, write in accesses:
                off = (off % p.size) & ~(size - 1)
                try:
                    if write:
                        p.write(off, size, value & ((1 << 8 * size) - 1))
                    else:
                        v = p.read(off, size)
                        assert isinstance(v, int)
                except TinysimError as e:           # e.g. EasyDMA pointing outside RAM: a message
                    assert str(e)
            eng.m.fire_due_events()
    run()
