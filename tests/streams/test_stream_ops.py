"""The Stream object: validation, resampling, unit conversion, windows, summaries."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinysim.streams import Label, Stream, StreamError, describe, generate, sparkline


def sine(freq, rate, seconds, unit="g"):
    t = np.arange(int(seconds * rate)) / rate
    return Stream(np.sin(2 * np.pi * freq * t), rate, ("x",), unit)


def test_construction_normalises_and_freezes():
    s = Stream([1, 2, 3], 10, "v", "m/s2")
    assert s.data.shape == (3, 1) and s.channels == ("v",) and s.unit == "m/s^2"
    assert s.duration_s == 0.3 and s.n_samples == 3 and s.end_s == pytest.approx(0.3)
    with pytest.raises(ValueError):
        s.data[0, 0] = 5
    with pytest.raises(Exception):
        s.rate_hz = 5  # frozen
    src = np.zeros((4, 3))
    s3 = Stream(src, 1, (), "g")
    src[0, 0] = 1
    assert s3.data[0, 0] == 0 and s3.channels == ("x", "y", "z")


@pytest.mark.parametrize("kw, words", [
    (dict(data=np.zeros((3, 2)), channels=("a",)), "1 channel names"),
    (dict(data=[1.0, float("nan")]), "finite"),
    (dict(rate_hz=0), "positive"),
    (dict(unit="furlongs"), "unknown unit"),
    (dict(data=np.zeros((3, 2)), channels=("a", "a")), "distinct"),
])
def test_construction_errors(kw, words):
    args = dict(data=[1.0, 2.0], rate_hz=10, channels=("x",), unit="g") | kw
    with pytest.raises(StreamError, match=words):
        Stream(**args)


# --------------------------------------------------------------------------- resample


def test_same_rate_is_an_exact_copy():
    s = generate("white_noise(std=1)", seed=1, rate_hz=100, duration_s=1, unit="g")
    r = s.resample(100)
    assert r == s and r is not s


def test_upsampling_interpolates_linearly():
    s = sine(2, 100, 2)
    up = s.resample(1000)
    assert up.rate_hz == 1000 and up.n_samples == 2000 and up.t0_s == s.t0_s
    t = np.arange(2000) / 1000
    ok = t <= (s.n_samples - 1) / 100
    assert np.max(np.abs(up.data[ok, 0] - np.sin(2 * np.pi * 2 * t[ok]))) < 2e-3
    assert np.array_equal(up.data[::10], s.data)   # the original samples are kept


def test_downsampling_keeps_the_band_and_attenuates_aliases():
    rate, new = 1000, 100
    low = sine(5, rate, 4).resample(new)
    assert low.n_samples == 400
    t = np.arange(400) / new
    assert np.max(np.abs(low.data[2:-2, 0] - np.sin(2 * np.pi * 5 * t[2:-2]))) < 0.05
    # 90 Hz folds to 10 Hz at 100 Hz; a 10-sample boxcar passes |sin(0.9 pi) / (10 sin(0.09 pi))| = 0.11
    alias = sine(90, rate, 4).resample(new)
    assert np.abs(alias.data[1:-1]).max() == pytest.approx(0.11, abs=0.01)
    plain = sine(90, rate, 4).data[::10]       # what naive decimation would give
    assert np.abs(plain).max() > 0.9
    dc = Stream(np.full(1000, 9.81), rate, ("z",), "m/s^2").resample(new)
    assert np.all(dc.data == 9.81)


def test_resample_non_integer_ratio():
    s = sine(1, 104, 3).resample(25)
    assert s.n_samples == 75 and s.duration_s == pytest.approx(3.0)


# --------------------------------------------------------------------------- units


@pytest.mark.parametrize("src, dst, factor", [
    ("g", "m/s^2", 9.80665), ("g", "mg", 1e3), ("g", "ug", 1e6), ("mg", "g", 1e-3),
    ("m/s^2", "g", 1 / 9.80665), ("dps", "rad/s", math.pi / 180), ("rad/s", "dps", 180 / math.pi),
    ("dps", "mdps", 1e3), ("pcm", "fs", 1 / 32768), ("fs", "pcm", 32768), ("V", "mV", 1e3),
    ("C", "mC", 1e3), ("uT", "gauss", 1e-2),
])
def test_unit_conversion(src, dst, factor):
    s = Stream([1.0, -2.0], 10, ("x",), src)
    c = s.to_unit(dst)
    assert c.unit == dst and np.allclose(c.data[:, 0], [factor, -2 * factor], rtol=1e-15)
    assert np.allclose(c.to_unit(src).data, s.data, rtol=1e-15)


def test_exact_decimal_factors():
    s = Stream([0.001, 1.5], 10, ("x",), "g")
    assert s.to_unit("ug").data[:, 0].tolist() == [1000.0, 1500000.0]
    assert Stream([3.0], 1, "x", "g").to_unit("g").data[0, 0] == 3.0


@pytest.mark.parametrize("src, dst", [("g", "dps"), ("pcm", "V"), ("1", "g"), ("g", "parsecs")])
def test_incompatible_units(src, dst):
    with pytest.raises(StreamError, match="cannot convert"):
        Stream([1.0], 10, ("x",), src).to_unit(dst)


# --------------------------------------------------------------------------- window


def test_window_selects_samples_and_clips_labels():
    s = Stream(np.arange(100.0), 10, ("x",), "g", t0_s=1.0,
               labels=(Label(2.0, 4.0, "a"), Label(9.0, 10.0, "b")))
    w = s.window(3.0, 2.5)
    assert w.t0_s == 3.0 and w.n_samples == 25 and w.data[0, 0] == 20
    assert w.labels == (Label(3.0, 4.0, "a"),)
    with pytest.raises(StreamError, match="outside the stream"):
        s.window(0.0, 1.0)
    with pytest.raises(StreamError, match="outside the stream"):
        s.window(10.0, 2.0)


# --------------------------------------------------------------------------- summaries


def test_describe():
    s = Stream(np.array([[1.0, -2.0], [3.0, 2.0]]), 50, ("a", "b"), "dps", labels=(Label(0, 0.02, "x"),))
    d = describe(s)
    assert d["n_samples"] == 2 and d["rate_hz"] == 50 and d["duration_s"] == 0.04 and d["unit"] == "dps"
    a, b = d["channels"]
    assert (a["name"], a["min"], a["max"], a["mean"]) == ("a", 1, 3, 2) and a["rms"] == pytest.approx(math.sqrt(5))
    assert (b["mean"], b["rms"]) == (0, 2)
    assert d["labels"] == [{"start_s": 0, "end_s": 0.02, "name": "x"}]


def test_sparkline():
    s = generate({"type": "vibration", "rpm": 600}, seed=1, rate_hz=1000, duration_s=2)
    lines = sparkline(s, width=40)
    assert len(lines) == 3
    for line, name in zip(lines, "xyz"):
        blocks = line.split()[1]
        assert line.startswith(name) and len(blocks) == 40 and set(blocks) <= set("▁▂▃▄▅▆▇█")
        assert line.endswith(" g")
    flat = sparkline(Stream(np.ones(5), 1, ("c",), "C"), width=60)[0]
    assert flat.split()[1] == "▄" * 5
