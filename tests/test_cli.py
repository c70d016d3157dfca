"""The command line: reports, JSON, exit codes, and clear errors for bad input."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
JSON_KEYS = {"platform", "engine", "exit_reason", "exit_code", "uart", "instructions", "cycles",
             "virtual_time_s", "wall_time_s", "mips", "flash_bytes", "ram_static_bytes",
             "stack_peak_bytes"}


def tinysim(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "tinysim", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("board", ["nano33ble", "hifive1"])
def test_run_json_has_the_documented_keys(fw, board):
    p = tinysim("run", "--platform", board, "--firmware", fw(board, "hello"), "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert JSON_KEYS <= d.keys()
    assert d["platform"] == board and d["engine"] == "builtin" and d["exit_reason"] == "exit"
    assert "Hello from tinysim" in d["uart"]


def test_run_text_streams_uart_and_reports(fw):
    p = tinysim("run", "-p", "nano33ble", "-f", fw("nano33ble", "exitcode"))
    assert p.returncode == 3
    assert p.stdout.index("returning 3 from main") < p.stdout.index("exit            exit, code 3")
    for label in ("instructions", "cycles", "(estimated", "virtual time", "MIPS", "flash",
                  "static RAM", "stack peak"):
        assert label in p.stdout


def test_fault_exit_code_and_report(fw):
    p = tinysim("run", "-p", "hifive1", "-f", fw("hifive1", "fault_unmapped"))
    assert p.returncode == 70
    assert "load access fault" in p.stdout and "main+" in p.stdout


def test_max_time_accepts_units(fw):
    p = tinysim("run", "-p", "nano33ble", "-f", fw("nano33ble", "timer"), "--max-time", "3ms", "--json")
    d = json.loads(p.stdout)
    assert d["exit_reason"] == "time-limit" and abs(d["virtual_time_s"] - 0.003) < 1e-5
    bad = tinysim("run", "-p", "nano33ble", "-f", fw("nano33ble", "timer"), "--max-time", "soon")
    assert bad.returncode == 2 and "not a duration" in bad.stderr


def _no_traceback(p):
    assert "Traceback" not in p.stderr + p.stdout
    assert p.returncode == 2
    assert p.stderr.startswith("tinysim: error:")


def test_missing_firmware(tmp_path):
    p = tinysim("run", "-p", "nano33ble", "-f", tmp_path / "nope.elf")
    _no_traceback(p)
    assert "nope.elf" in p.stderr


def test_not_an_elf(tmp_path):
    f = tmp_path / "model.tflite"
    f.write_bytes(b"TFL3" + bytes(100))
    p = tinysim("run", "-p", "nano33ble", "-f", f)
    _no_traceback(p)
    assert "not an ELF" in p.stderr


def test_truncated_elf(fw, tmp_path):
    data = fw("nano33ble", "hello").read_bytes()
    f = tmp_path / "cut.elf"
    f.write_bytes(data[: len(data) // 3])
    p = tinysim("run", "-p", "nano33ble", "-f", f)
    _no_traceback(p)
    assert "cut.elf" in p.stderr


def test_wrong_architecture(fw):
    p = tinysim("run", "-p", "nano33ble", "-f", fw("hifive1", "hello"))
    _no_traceback(p)
    assert "RISC-V" in p.stderr or "riscv" in p.stderr.lower()


def test_bad_platform_file_says_file_line_key(fw, tmp_path):
    src = (REPO / "platforms" / "nano33ble.yaml").read_text().splitlines()
    i = next(n for n, line in enumerate(src) if line.startswith("clock_hz"))
    src[i] = src[i].replace("clock_hz", "clok_hz")
    f = tmp_path / "board.yaml"
    f.write_text("\n".join(src) + "\n")
    p = tinysim("run", "-p", f, "-f", fw("nano33ble", "hello"))
    _no_traceback(p)
    assert f"board.yaml:{i + 1}" in p.stderr and "clok_hz" in p.stderr


def test_unknown_platform_lists_boards(fw):
    p = tinysim("run", "-p", "arduino_uno", "-f", fw("nano33ble", "hello"))
    _no_traceback(p)
    assert "nano33ble" in p.stderr and "hifive1" in p.stderr


def test_platforms_lists_bundled_boards():
    p = tinysim("platforms")
    assert p.returncode == 0 and "nano33ble" in p.stdout and "hifive1" in p.stdout


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")
def test_bench_against_qemu_same_elf(fw):
    from tinysim import bench
    r = bench.measure("nano33ble", fw("nano33ble", "bench"), repeat=1)
    assert r["instructions"] > 100_000_000
    assert r["output"].startswith("bench:") and "checksum=" in r["output"]
    assert r["tinysim_s"] > 0 and r["qemu_s"] > 0 and r["ratio_tinysim_over_qemu"] > 0


def test_stream_show_generator_and_file(tmp_path):
    p = tinysim("stream", "show", "{type: gesture, gesture: wing}", "--rate", "100", "--duration", "3s")
    assert p.returncode == 0, p.stderr
    assert "300 samples x 3 channels at 100 Hz" in p.stdout and "unit g" in p.stdout
    csv = REPO / "scenarios" / "data" / "tilt.csv"
    p = tinysim("stream", "show", csv, "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["n_samples"] == 100 and d["rate_hz"] == 100


def test_stream_show_bad_spec_is_an_error():
    p = tinysim("stream", "show", "{type: gestur}")
    _no_traceback(p)
    assert "gesture" in p.stderr
