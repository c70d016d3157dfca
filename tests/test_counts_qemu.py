"""tinysim's exact instruction counts against QEMU's single-step trace, an independent emulator.

With ``-singlestep -d exec,nochain`` QEMU logs one "Trace" line per executed instruction.
QEMU models neither board exactly, so the apps here touch nothing but the core and
semihosting: the MPS2-AN386 (Cortex-M4) runs the Nano 33 BLE builds, ``sifive_e`` (rev B)
the HiFive1 builds, where QEMU also executes 2 instructions of boot ROM before the ELF's entry.
"""
from __future__ import annotations

import shutil
import subprocess

import pytest

from tinysim import api

pytestmark = pytest.mark.qemu

QEMU = {
    "nano33ble": (["qemu-system-arm", "-M", "mps2-an386"], 0),
    "hifive1": (["qemu-system-riscv32", "-M", "sifive_e,revb=true"], 2),   # + boot ROM
}
APPS = {"count": 0, "exitcode": 3, "exit_plain": 0}        # app -> exit code


def qemu_trace(board: str, elf, log) -> tuple[int, int]:
    """(instructions QEMU executed, QEMU's exit status) for ``elf``."""
    cmd, _ = QEMU[board]
    if shutil.which(cmd[0]) is None:
        pytest.skip(f"{cmd[0]} is not installed (./scripts/setup.sh installs QEMU)")
    p = subprocess.run([*cmd, "-nographic", "-semihosting", "-serial", "none", "-monitor", "none",
                        "-kernel", str(elf), "-singlestep", "-d", "exec,nochain", "-D", str(log)],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    with open(log, "rb") as f:
        traces = sum(1 for line in f if line.startswith(b"Trace"))
    return traces, p.returncode


@pytest.mark.parametrize("board", sorted(QEMU))
@pytest.mark.parametrize("app", sorted(APPS))
def test_instruction_counts_match_qemu(fw, tmp_path, board, app):
    traces, status = qemu_trace(board, fw(board, app), tmp_path / "qemu.log")
    r = api.run(board, fw(board, app), max_time_s=1)
    assert (r.exit_reason, r.exit_code) == ("exit", APPS[app])
    assert status == APPS[app]                           # QEMU ran the same program to the same end
    assert r.instructions + QEMU[board][1] == traces
