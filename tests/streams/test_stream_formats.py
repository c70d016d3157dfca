"""Recorded formats: CSV, WAV, NPY round trips, header units, irregular time, bad files."""

from __future__ import annotations

import json
import wave

import numpy as np
import pytest

from tinysim.streams import Label, Stream, StreamError, generate, load, save
from tinysim.streams.formats import parse_column


@pytest.fixture
def imu():
    return generate({"type": "gesture", "gesture": "ring", "noise": 0.01}, seed=3, rate_hz=104)


# --------------------------------------------------------------------------- CSV


def test_csv_round_trip_with_time_column(tmp_path, imu):
    p = tmp_path / "imu.csv"
    save(imu.replace(t0_s=0.25, labels=()), p)
    assert p.read_text().splitlines()[0] == "t[s],x[g],y[g],z[g]"
    back = load(p)
    assert back == imu.replace(t0_s=0.25, labels=())   # bit for bit, rate 104 exactly


def test_csv_round_trip_without_time_column(tmp_path, imu):
    p = tmp_path / "imu.csv"
    save(imu, p, time=False)
    with pytest.raises(StreamError) as e:
        load(p)
    assert "no time column" in str(e.value) and "rate_hz=" in e.value.hint
    back = load(p, rate_hz=104)
    assert np.array_equal(back.data, imu.data) and back.unit == "g" and back.rate_hz == 104


@pytest.mark.parametrize("header, expected", [
    ("ax_g", ("ax", "g", None)), ("x[g]", ("x", "g", None)), ("gyro_x (dps)", ("gyro_x", "dps", None)),
    ("ay_mg", ("ay", "mg", None)), ("acc[m/s^2]", ("acc", "m/s^2", None)), ("mic_pcm", ("mic", "pcm", None)),
    ("temp_C", ("temp", "C", None)), ("gyro_x", ("gyro_x", None, None)), ("value", ("value", None, None)),
    ("t", ("t", None, 1.0)), ("time", ("time", None, 1.0)), ("time_s", ("time", None, 1.0)),
    ("timestamp", ("timestamp", None, 1.0)), ("t_ms", ("t", None, 1e-3)), ("timestamp_us", ("timestamp", None, 1e-6)),
    ("time[ms]", ("time", None, 1e-3)), ("TIME_NS", ("TIME", None, 1e-9)),
])
def test_csv_header_parsing(header, expected):
    assert parse_column(header) == expected


def test_csv_units_from_header_are_converted_to_the_first(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("t_ms,ax_g,ay[mg],az (m/s^2)\n0,1,1000,9.80665\n10,2,500,0\n20,3,0,0\n")
    s = load(p)
    assert s.rate_hz == 100 and s.unit == "g" and s.channels == ("ax", "ay", "az")
    assert np.allclose(s.data[0], [1, 1, 1]) and np.allclose(s.data[:, 1], [1, 0.5, 0])
    assert load(p, unit="mg").data[1, 0] == 2000
    assert load(p, columns=["az", "ax"]).channels == ("az", "ax")


def test_csv_unit_argument_for_bare_columns(tmp_path):
    p = tmp_path / "b.csv"
    p.write_text("time,x,y\n0,1,2\n0.5,3,4\n1.0,5,6\n")
    with pytest.raises(StreamError) as e:
        load(p)
    assert "unknown unit of column(s) x, y" in str(e.value) and "unit=" in e.value.hint
    s = load(p, unit="dps")
    assert s.unit == "dps" and s.rate_hz == 2 and s.data[:, 1].tolist() == [2, 4, 6]


def test_csv_irregular_timestamps_are_resampled(tmp_path):
    t = np.array([0, 0.01, 0.021, 0.029, 0.04, 0.052, 0.06, 0.07, 0.08])
    p = tmp_path / "irr.csv"
    p.write_text("t,v_V\n" + "".join(f"{a},{2 * a}\n" for a in t))
    s = load(p)
    assert s.rate_hz == 100 and s.n_samples == 9          # the median interval
    assert np.allclose(s.data[:, 0], 2 * np.arange(9) / 100)   # linear data stays linear
    s50 = load(p, rate_hz=50)
    assert s50.rate_hz == 50 and s50.n_samples == 5 and np.allclose(s50.data[:, 0], 2 * np.arange(5) / 50)


def test_csv_uniform_data_at_another_rate_is_resampled(tmp_path, imu):
    p = tmp_path / "imu.csv"
    save(imu, p)
    s = load(p, rate_hz=52)
    assert s.rate_hz == 52 and s.n_samples == imu.n_samples // 2


@pytest.mark.parametrize("text, words", [
    ("t,x_g\n0,1\n0.1,abc\n", "3: column 'x_g': 'abc' is not a number"),
    ("t,x_g\n0,1\n0.2,2\n0.1,3\n", "4: time 0.1 does not increase"),
    ("t,x_g\n0,1\n0.1\n", "3: 1 fields, the header has 2"),
    ("t,x_parsec\n0,1\n", "unknown unit of column(s) x_parsec"),
    ("t,x[furlong]\n0,1\n", "unknown unit 'furlong'"),
    ("0,1\n1,2\n", "looks like data, not a header"),
    ("", "empty CSV"),
    ("t,x_g\n", "no data rows"),
    ("t,a_g,b_dps\n0,1,2\n1,2,3\n", "measure different things"),
])
def test_csv_errors(tmp_path, text, words):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(StreamError) as e:
        load(p, rate_hz=None)
    assert words in str(e.value)


def test_csv_comments_and_semicolons(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("# exported by a logger\nt;x_g\n0;1\n1;2\n")
    assert load(p).data[:, 0].tolist() == [1, 2]


# --------------------------------------------------------------------------- WAV


@pytest.mark.parametrize("channels", [1, 2])
def test_wav_round_trip(tmp_path, channels):
    x = np.round(generate({"type": "sine", "freq_hz": 440, "amplitude": 12000, "channels": channels},
                          seed=0, rate_hz=16000, duration_s=0.5).data)
    s = Stream(x, 16000, (), "pcm")
    p = tmp_path / "a.wav"
    save(s, p)
    with wave.open(str(p)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (channels, 2, 16000)
    back = load(p)
    assert back.unit == "pcm" and back.rate_hz == 16000 and np.array_equal(back.data, x)
    assert back.channels == (("pcm",) if channels == 1 else ("ch0", "ch1"))


def test_wav_full_scale_float_and_clipping(tmp_path):
    s = Stream([0.5, -1.0, 1.5], 8000, ("pcm",), "fs")
    save(s, tmp_path / "f.wav")
    assert load(tmp_path / "f.wav").data[:, 0].tolist() == [16384, -32768, 32767]
    assert load(tmp_path / "f.wav", unit="fs").data[0, 0] == 0.5


def test_wav_errors(tmp_path):
    with pytest.raises(StreamError, match="whole number of Hz"):
        save(Stream([0.0], 100.5, ("pcm",), "pcm"), tmp_path / "r.wav")
    with pytest.raises(StreamError, match="WAV holds audio"):
        save(Stream([0.0], 100, ("x",), "g"), tmp_path / "g.wav")
    (tmp_path / "junk.wav").write_bytes(b"RIFF\0\0\0\0JUNK")
    with pytest.raises(StreamError, match="not a PCM WAV"):
        load(tmp_path / "junk.wav")


# --------------------------------------------------------------------------- NPY


def test_npy_round_trip_with_sidecar(tmp_path, imu):
    p = tmp_path / "imu.npy"
    s = imu.replace(t0_s=1.5)
    save(s, p)
    meta = json.loads((tmp_path / "imu.npy.json").read_text())
    assert meta["rate_hz"] == 104 and meta["unit"] == "g" and meta["channels"] == ["x", "y", "z"]
    back = load(p)
    assert back == s and back.labels and isinstance(back.labels[0], Label)


def test_npy_without_sidecar_needs_rate_and_unit(tmp_path):
    p = tmp_path / "raw.npy"
    np.save(p, np.arange(6, dtype=np.int16))
    with pytest.raises(StreamError, match="rate_hz and unit unknown"):
        load(p)
    s = load(p, rate_hz=16000, unit="pcm")
    assert s.data.shape == (6, 1) and s.channels == ("pcm",)
    np.save(p, np.zeros((4, 3)))
    assert load(p, rate_hz=10, unit="dps").channels == ("x", "y", "z")
    assert load(p, rate_hz=10, unit="dps", columns=[2]).channels == ("z",)


# --------------------------------------------------------------------------- general


def test_unknown_extension_and_missing_file(tmp_path):
    with pytest.raises(StreamError, match="unknown stream file type '.txt'"):
        load(tmp_path / "a.txt")
    with pytest.raises(StreamError, match="file not found"):
        load(tmp_path / "missing.csv")
    with pytest.raises(StreamError, match="unknown option"):
        save(Stream([0.0], 1, ("x",), "g"), tmp_path / "a.npy", time=False)
