"""`tinysim bench`: the suite's rows are consistent plain data (timings are not asserted:
they depend on the machine)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tinysim import bench

KEYS = {"id", "name", "value", "unit", "goal", "better", "command", "detail", "meets_goal"}


@pytest.fixture(scope="module")
def quick(build_dir):
    return bench.suite(("startup", "sensors", "polling"), quick=True)


def test_rows_structure_and_goals(quick):
    rows = quick["rows"]
    assert [r["id"] for r in rows] == ["startup", "sensors", "sensors", "polling", "polling"]
    for r in rows:
        assert set(r) == KEYS
        assert r["better"] in ("lower", "higher")
        met = r["value"] <= r["goal"] if r["better"] == "lower" else r["value"] >= r["goal"]
        assert r["meets_goal"] == met
    assert [r["goal"] for r in rows] == [0.5, 20.0, 10.0, 50.0, 50.0]
    assert quick["quick"] is True and quick["repeat"] == 1
    assert quick["machine"]["cpus"] >= 1
    json.dumps(quick)                                       # plain data


def test_sensor_rows_are_virtual_over_wall(quick):
    sensors = [r for r in quick["rows"] if r["id"] == "sensors"]
    assert [r["name"].split(":")[0] for r in sensors] == ["bench_magic_wand_30s_nano33ble",
                                                         "bench_vibration_10s_hifive1"]
    for r in sensors:
        d = r["detail"]
        # a run stops at the first block past its limit: a core busy at the limit (polling a
        # transfer) overshoots it by a few cycles
        assert abs(d["virtual_s"] - bench.QUICK_SCENARIO_S) < 1e-6
        assert r["value"] == round(d["virtual_s"] / d["wall_s"], 2) or \
            abs(r["value"] - d["virtual_s"] / d["wall_s"]) <= 0.01 * r["value"] + 0.01
        assert r["command"].endswith(f"--max-time {bench.QUICK_SCENARIO_S:g}s")


def test_polling_rows_count_the_firmware(quick):
    for r, board in zip([r for r in quick["rows"] if r["id"] == "polling"], bench.BOARDS):
        d = r["detail"]
        assert board in r["name"]
        assert d["output"].startswith("poll_gpio: 4000000 reads,")
        # 4 M loop iterations (5 instructions on Thumb-2, 6 on RV32IMAC: see the
        # disassembly of poll_gpio's main), plus start-up and printing, and polling the UART
        # while it sends the line (at most an instruction a cycle; 10 bits a byte at 115200
        # baud; the FE310's FIFO and shift register take 9 bytes without waiting)
        per_iteration = {"nano33ble": 5, "hifive1": 6}[board]
        sent = len(d["output"]) + 1
        wait = {"nano33ble": sent * 10 * 64e6 / 115108, "hifive1": max(0, sent - 9) * 10 * 2778}[board]
        assert 0 < d["instructions"] - 4_000_000 * per_iteration < 50_000 + wait
        assert abs(r["value"] - d["instructions"] / d["engine_s"] / 1e6) <= 0.05 + 0.01 * r["value"]


def test_text_rendering_lists_every_row(quick):
    text = bench.render_text(quick)
    for r in quick["rows"]:
        assert r["name"] in text
    assert text.count(" yes") + text.count(" NO") == len(quick["rows"])


def test_cli_json_and_bad_row(build_dir):
    p = subprocess.run([sys.executable, "-m", "tinysim", "bench", "--quick", "--only", "polling",
                        "--platform", "hifive1", "--json"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert [(r["id"], r["unit"]) for r in d["rows"]] == [("polling", "MIPS")]
    assert "hifive1" in d["rows"][0]["name"]
    p = subprocess.run([sys.executable, "-m", "tinysim", "bench", "--only", "speedy"],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert "unknown bench row(s) speedy" in p.stderr and "startup" in p.stderr
