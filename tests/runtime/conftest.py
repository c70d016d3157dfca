"""Fixtures for the tsrt runtime tests: the compiled host harness and a
TFLM reference runner. Everything is skipped (with the reason) when `cc` or
the `tflite-micro` package is missing."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tsrt_harness import ARENA_RESULTS, RUNTIME  # noqa: E402


def _compile(out: Path, extra: list[str]) -> Path:
    srcs = sorted(str(p) for p in RUNTIME.glob("*.c")) + [str(RUNTIME / "host" / "tsrt_run.c")]
    cmd = ["cc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off",
           "-D_ISOC11_SOURCE", "-I", str(RUNTIME), *extra, "-o", str(out), *srcs, "-lm"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out


@pytest.fixture(scope="session")
def tsrt_run(tmp_path_factory) -> Path:
    if shutil.which("cc") is None:
        pytest.skip("no C compiler (cc) on PATH")
    out = tmp_path_factory.mktemp("tsrt_host") / "tsrt_run"
    try:
        return _compile(out, [])
    except subprocess.CalledProcessError as e:  # pragma: no cover - shown in the failure
        pytest.fail(f"tsrt host build failed:\n{e.stderr}")


@pytest.fixture(scope="session")
def tsrt_run_asan(tmp_path_factory) -> Path:
    """The harness built with AddressSanitizer/UBSan, for corrupt-model fuzzing."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler (cc) on PATH")
    out = tmp_path_factory.mktemp("tsrt_asan") / "tsrt_run"
    try:
        return _compile(out, ["-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"])
    except subprocess.CalledProcessError:
        pytest.skip("cc cannot build with -fsanitize=address,undefined")


@pytest.fixture(scope="session")
def tflm():
    return pytest.importorskip("tflite_micro.python.tflite_micro.runtime",
                               reason="tflite-micro (the reference) is not installed")


def pytest_terminal_summary(terminalreporter):
    if not ARENA_RESULTS:
        return
    tr = terminalreporter
    tr.section("tsrt planned arena vs TFLM arena (bytes)")
    tr.write_line(f"{'model':40s} {'tsrt':>9s} {'(act+pers)':>15s} {'TFLM':>9s}")
    for r in ARENA_RESULTS:
        tr.write_line(f"{r['model']:40s} {r['tsrt']:9d} "
                      f"{'(' + str(r['act']) + '+' + str(r['pers']) + ')':>15s} {r['tflm']:9d}")
    path = os.environ.get("TSRT_REPORT")
    if path:
        Path(path).write_text(json.dumps(ARENA_RESULTS, indent=1))
