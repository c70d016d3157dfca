"""`python -m tinysim.bench_models` on a small model: its JSON rows and their arithmetic."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("flatbuffers")
from tinysim.platform import load_platform  # noqa: E402
from tinysim.tflite_builder import ModelBuilder, options  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
IN, UNITS = 24, 10                      # FULLY_CONNECTED 24 -> 10: 240 MACs by construction


def _fc_model(path: Path) -> Path:
    rng = np.random.default_rng(0)
    b = ModelBuilder()
    x = b.tensor((1, IN), "int8", scale=0.05, zp=-3)
    w = b.const(rng.integers(-127, 128, (UNITS, IN)).astype(np.int8), "int8", scale=0.01)
    bias = b.const(rng.integers(-300, 300, UNITS).astype(np.int32), "int32",
                   scale=float(np.float32(0.05) * np.float32(0.01)))
    y = b.tensor((1, UNITS), "int8", scale=0.1, zp=2)
    b.op("FULLY_CONNECTED", [x, w, bias], [y], options("FullyConnectedOptions"))
    path.write_bytes(b.build([x], [y]))
    return path


def test_bench_models_json_rows_are_consistent(tmp_path):
    model = _fc_model(tmp_path / "fc24x10.tflite")
    p = subprocess.run([sys.executable, "-m", "tinysim.bench_models", str(model), "--json"],
                       capture_output=True, text=True, cwd=REPO, timeout=300)
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    assert [r["board"] for r in rows] == ["nano33ble", "hifive1"]
    for r in rows:
        assert set(r) == {"model", "board", "macs", "instructions", "cycles", "latency_ms",
                          "bit_exact", "cycles_per_mac"}
        assert r["model"] == "fc24x10.tflite" and r["macs"] == IN * UNITS
        assert r["bit_exact"] is True
        assert r["cycles_per_mac"] == round(r["cycles"] / r["macs"], 2)
        clock = load_platform(r["board"]).clock_hz
        assert r["latency_ms"] == round(r["cycles"] / clock * 1e3, 3)
        # every instruction costs at least one cycle; 240 MACs take more than 240 instructions
        assert IN * UNITS < r["instructions"] <= r["cycles"]


def test_bench_models_one_board_and_a_refusal_as_a_row(tmp_path):
    """A model the board cannot hold is a row with the reason, not a crash; --board filters."""
    big = tmp_path / "big.tflite"
    rng = np.random.default_rng(1)
    b = ModelBuilder()
    x = b.tensor((1, 12288), "int8", scale=0.05)         # 12 KB of input: over the 10 KB arena
    w = b.const(rng.integers(-127, 128, (8, 12288)).astype(np.int8), "int8", scale=0.01)
    h = b.tensor((1, 8), "int8", scale=0.1)
    b.op("FULLY_CONNECTED", [x, w, -1], [h], options("FullyConnectedOptions"))
    big.write_bytes(b.build([x], [h]))
    p = subprocess.run([sys.executable, "-m", "tinysim.bench_models", str(big), "--board", "hifive1",
                        "--json"], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    assert len(rows) == 1 and rows[0]["board"] == "hifive1"
    assert set(rows[0]) == {"model", "board", "error"}
    assert "arena too small" in rows[0]["error"], rows[0]["error"]


def test_bench_models_missing_file_is_a_message_not_a_traceback(tmp_path):
    p = subprocess.run([sys.executable, "-m", "tinysim.bench_models", str(tmp_path / "nope.tflite")],
                       capture_output=True, text=True, cwd=REPO, timeout=120)
    assert p.returncode == 1
    assert "nope.tflite: no such model file" in p.stderr and "Traceback" not in p.stderr
