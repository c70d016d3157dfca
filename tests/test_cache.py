"""What tinysim derives once and keeps (tinysim/cache.py): a model's graph, TFLM's reference
outputs, synthetic sensor streams. A kept result equals a fresh one, is found by content, and a
damaged or missing cache costs only the time."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinysim import inference as inf
from tinysim.cache import derived
from tinysim.scenario import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("TINYSIM_CACHE", str(d))
    return d


def test_derived_keeps_by_key_and_survives_damage(cache):
    calls = []

    def make(v):
        calls.append(v)
        return {"v": v}
    assert derived("t", b"one", lambda: make(1)) == {"v": 1}
    assert derived("t", b"one", lambda: make(2)) == {"v": 1}          # kept
    assert derived("t", b"two", lambda: make(3)) == {"v": 3}          # another key
    files = sorted((cache / "t").glob("*.pickle"))
    assert len(files) == 2 and calls == [1, 3]
    for f in files:
        f.write_bytes(b"not a pickle")
    assert derived("t", b"one", lambda: make(4)) == {"v": 4}          # damaged: made again
    assert derived("t", b"one", lambda: make(5)) == {"v": 4}          # and written again
    assert calls == [1, 3, 4]


def test_cache_off_runs_everything_fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYSIM_CACHE", "off")
    n = []
    derived("t", b"k", lambda: n.append(1))
    derived("t", b"k", lambda: n.append(1))
    assert n == [1, 1]


def test_model_graph_and_reference_equal_fresh_ones(cache, monkeypatch):
    data = (ROOT / "models/magic_wand.tflite").read_bytes()
    kept = [inf.inspect_model("a.tflite", data) for _ in range(2)]
    assert (cache / "models").is_dir()
    ins = inf.random_inputs(kept[0], 5)
    ref_kept = [inf.reference(data, ins, len(kept[0].outputs)) for _ in range(2)]
    monkeypatch.setenv("TINYSIM_CACHE", "off")
    fresh = inf.inspect_model("a.tflite", data)
    ref_fresh = inf.reference(data, ins, len(fresh.outputs))
    assert kept[0] == kept[1] == fresh
    for r in ref_kept:
        assert r.arena_used_bytes == ref_fresh.arena_used_bytes
        assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(r.outputs, ref_fresh.outputs))
    # another input is another entry
    monkeypatch.setenv("TINYSIM_CACHE", str(cache))
    inf.reference(data, inf.random_inputs(kept[0], 6), len(fresh.outputs))
    assert len(list((cache / "reference").glob("*.pickle"))) == 2


def test_a_corrupt_model_is_an_error_every_time(cache):
    data = (ROOT / "models/magic_wand.tflite").read_bytes()[:120]       # cut short
    for _ in range(2):
        with pytest.raises(inf.ModelError, match="corrupt flatbuffer"):
            inf.inspect_model("bad.tflite", data)
    assert not list((cache / "models").glob("*.pickle"))


def test_generated_streams_equal_fresh_ones_and_reports_do_not_change(cache, monkeypatch):
    path = ROOT / "scenarios/vibration_healthy_hifive1.yaml"
    from tinysim.scenario import _stream_data
    sc = load_scenario(path)
    kept = [_stream_data(sc, 0, sc.spec.streams[0]) for _ in range(2)]
    assert list((cache / "streams").glob("*.pickle"))
    monkeypatch.setenv("TINYSIM_CACHE", "off")
    fresh = _stream_data(sc, 0, sc.spec.streams[0])
    for data, rate in kept:
        assert rate == fresh[1] and np.array_equal(data, fresh[0]) and data.dtype == fresh[0].dtype
    r_fresh = run_scenario(path, max_time_s=0.5)
    monkeypatch.setenv("TINYSIM_CACHE", str(cache))
    r_kept = run_scenario(path, max_time_s=0.5)
    assert (r_kept.run.instructions, r_kept.run.cycles, r_kept.run.uart) == \
        (r_fresh.run.instructions, r_fresh.run.cycles, r_fresh.run.uart)
