"""tsrt (firmware/runtime) against TFLM: every catalog model must produce the same
output bytes, and tsrt's planned arena must not exceed TFLM's arena use."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

pytest.importorskip("flatbuffers", reason="flatbuffers is not installed")
pytest.importorskip("tflite_micro", reason="tflite-micro (reference + schema) is not installed")

from tsrt_harness import ARENA_RESULTS, tflm_run, tsrt_exec
from tinysim.model_corpus import CASES


def _seed(name: str) -> int:
    return zlib.crc32(name.encode())


@pytest.mark.parametrize("name", sorted(CASES))
def test_bit_exact_vs_tflm(name, tsrt_run, tflm, tmp_path):
    c = CASES[name](np.random.default_rng(_seed(name)))
    want, tflm_arena = tflm_run(tflm, c.model, c.inputs, c.n_out, c.reps)
    p, got, planned = tsrt_exec(tsrt_run, tmp_path, c.model, c.inputs)
    assert p.returncode == 0, p.stdout + p.stderr
    assert got is not None and planned is not None
    assert len(got) == len(want)
    if got != want:
        g = np.frombuffer(got, np.uint8)
        w = np.frombuffer(want, np.uint8)
        bad = np.nonzero(g != w)[0]
        pytest.fail(f"{len(bad)} of {len(w)} output bytes differ; first at byte {bad[0]}: "
                    f"tsrt {g[bad[:8]].tolist()} tflm {w[bad[:8]].tolist()}")
    total, act, pers = planned
    ARENA_RESULTS.append({"model": name, "tsrt": total, "act": act, "pers": pers,
                          "tflm": tflm_arena})
    assert total <= tflm_arena, f"tsrt plans {total} bytes, TFLM uses {tflm_arena}"


def test_catalog_covers_every_operator():
    import re
    ops = set()
    for name in CASES:
        m = re.match(r"([a-z0-9]+)_", name)
        ops.add(m.group(1))
    want = {"conv", "dwconv", "fc", "avgpool", "maxpool", "add", "sub", "mul", "reshape",
            "squeeze", "softmax", "logistic", "tanh", "relu", "relu6", "quantize", "dequantize",
            "concat", "mean", "pad", "svdf", "sslice"}
    assert want <= ops, want - ops


def test_arena_exactly_planned_is_enough(tsrt_run, tmp_path):
    """An arena of exactly tsrt_arena_planned() bytes works; one byte less fails with
    the needed and available sizes in the message."""
    c = CASES["net_i8_kws_like"](np.random.default_rng(1))
    p, full, planned = tsrt_exec(tsrt_run, tmp_path, c.model, c.inputs)
    assert p.returncode == 0, p.stdout
    need = planned[0]
    p2, out2, _ = tsrt_exec(tsrt_run, tmp_path, c.model, c.inputs, arena=need, name="exact")
    assert p2.returncode == 0, p2.stdout
    assert out2 == full
    p3, _, _ = tsrt_exec(tsrt_run, tmp_path, c.model, c.inputs, arena=need - 16, name="small")
    assert p3.returncode == 3
    assert "error -4" in p3.stdout and "arena too small" in p3.stdout
    assert f"needs {need} bytes" in p3.stdout
    assert f"arena has {need - 16}" in p3.stdout
    p4, _, _ = tsrt_exec(tsrt_run, tmp_path, c.model, c.inputs, arena=64, name="tiny")
    assert p4.returncode == 3 and "arena too small" in p4.stdout, p4.stdout
