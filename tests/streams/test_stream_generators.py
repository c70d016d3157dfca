"""Each generator: shape, rate, determinism and the property that defines it."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from tinysim.streams import Stream, generate
from tinysim.streams import _detmath as dm


def peak_hz(x: np.ndarray, rate: float) -> float:
    spec = np.abs(np.fft.rfft((x - x.mean()) * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spec)])


def amplitude_at(x: np.ndarray, rate: float, f: float) -> float:
    """Amplitude of the f Hz component (x spans a whole number of its periods)."""
    spec = np.fft.rfft(x) * 2 / len(x)
    return float(np.abs(spec[int(round(f * len(x) / rate))]))


SPECS = {
    "sine": {"type": "sine", "freq_hz": 5},
    "square": {"type": "square", "freq_hz": 5, "duty": 0.3},
    "chirp": {"type": "chirp", "f0_hz": 1, "f1_hz": 20},
    "white_noise": {"type": "white_noise", "std": 0.5},
    "pink_noise": {"type": "pink_noise", "std": 0.5},
    "constant": {"type": "constant", "value": 0.25},
    "impulse": {"type": "impulse", "at_s": 0.5},
    "step": {"type": "step", "at_s": 0.5, "from": -1, "to": 2},
    "random_walk": {"type": "random_walk", "step_std": 0.1},
    "gesture": {"type": "gesture", "gesture": "wing"},
    "vibration": {"type": "vibration", "rpm": 1800},
}
RANDOM = {"white_noise", "pink_noise", "random_walk", "gesture", "vibration"}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_shape_rate_and_determinism(name):
    spec = SPECS[name]
    a = generate(spec, seed=7, rate_hz=200, duration_s=3)
    assert isinstance(a, Stream)
    assert a.rate_hz == 200 and a.t0_s == 0
    assert a.data.shape == (600, 3 if name in ("gesture", "vibration") else 1)
    assert a.data.dtype == np.float64
    assert generate(spec, seed=7, rate_hz=200, duration_s=3) == a  # bit for bit
    other = generate(spec, seed=8, rate_hz=200, duration_s=3)
    if name in RANDOM:
        assert other != a
    else:
        assert other == a  # no randomness: the seed does not matter


@pytest.mark.parametrize("name", ["white_noise", "pink_noise", "random_walk"])
def test_multi_channel_noise_is_independent(name):
    s = generate({**SPECS[name], "channels": 3}, seed=1, rate_hz=100, duration_s=50)
    assert s.channels == ("x", "y", "z")
    c = np.corrcoef(np.diff(s.data, axis=0).T)
    assert np.all(np.abs(c[np.triu_indices(3, 1)]) < 0.1)


# Pinned outputs: a change here means streams are no longer reproducible
# across versions/machines (or a deliberate change of a generator).
GOLDEN = {
    "sine": ({"type": "sine", "freq_hz": 3.3, "amplitude": 2, "phase_deg": 30}, 1000,
             "8202476ed47b74ce87148b11c809dde090f13cfee1cf85649ad20422eea0013e"),
    "chirp_exp": ({"type": "chirp", "f0_hz": 1, "f1_hz": 200, "method": "exponential"}, 1000,
                  "c33ddd1301c664f97c79300944564052a8fda8b851b513daf00bebdd5d7e7e6d"),
    "white": ({"type": "white_noise", "std": 0.5, "channels": 3}, 100,
              "12da3bce148675a88eed402963f071a20eb502e240755dd7eb35c9097a9bc990"),
    "pink": ({"type": "pink_noise", "channels": 2}, 100,
             "995f5bfe819b883c58deadbd12f2baa3b2d97251d82ca92d1caccd5ba64d0faa"),
    "walk": ({"type": "random_walk", "step_std": 0.1, "clamp": 1}, 100,
             "72eb9025611ae980958121da859e0f708e845f886e82a1926553b7e35c852b52"),
    "gesture_acc": ({"type": "gesture", "gesture": ["wing", "ring", "slope"], "noise": 0.01,
                     "orientation": {"roll": 10, "pitch": -20, "yaw": 30}}, 25,
                    "8e6e1a9e4fe207a0805615906d4f9ced9f9493715149a96cfa2b1005459a8ad7"),
    "gesture_gyro": ({"type": "gesture", "gesture": ["wing", "ring", "slope"], "output": "gyro",
                      "noise": 0.5}, 25,
                     "18c0541a2694b240b7fde29634389c12e15276cfd3d901933b9c252725446d0e"),
    "vibration": ({"type": "vibration", "rpm": 1800, "misalignment": 0.03, "bearing_fault": 0.1}, 4000,
                  "4356bc097adc8d617e5e7caecee30e71333f26d6b59c50c78fdbcaf6e88e1065"),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_bytes(name):
    spec, rate, digest = GOLDEN[name]
    s = generate(spec, seed=2024, rate_hz=rate, duration_s=4)
    assert hashlib.sha256(s.data.tobytes()).hexdigest() == digest


def test_detmath_matches_libm():
    x = np.linspace(-20, 20, 40001)
    assert np.max(np.abs(dm.sin_cycles(x) - np.sin(2 * np.pi * x))) < 1e-13
    assert np.max(np.abs(dm.cos_cycles(x) - np.cos(2 * np.pi * x))) < 1e-13
    y = np.linspace(-50, 50, 10001)
    assert np.max(np.abs(dm.exp(y) / np.exp(y) - 1)) < 1e-15
    z = np.geomspace(1e-300, 1e300, 10001)
    assert np.max(np.abs(dm.log(z) - np.log(z))) < 1e-12
    r = dm.normal(dm.rng_for(3, ()), (200000,))
    assert abs(r.mean()) < 0.01 and abs(r.std() - 1) < 0.01


# --------------------------------------------------------------------------- periodic


def test_sine_frequency_amplitude_phase():
    s = generate({"type": "sine", "freq_hz": 7, "amplitude": 2.5, "phase_deg": 90}, seed=0,
                 rate_hz=500, duration_s=4)
    x = s.channel("ch0")
    assert peak_hz(x, 500) == pytest.approx(7, abs=0.25)
    assert x[0] == pytest.approx(2.5)          # 90 degrees: starts at the crest
    assert amplitude_at(x, 500, 7) == pytest.approx(2.5, rel=1e-6)


def test_sine_per_channel_lists():
    s = generate({"type": "sine", "freq_hz": [2, 5, 11], "amplitude": [1, 2, 3]}, seed=0,
                 rate_hz=200, duration_s=5)
    assert s.channels == ("x", "y", "z")
    assert [peak_hz(s.data[:, i], 200) for i in range(3)] == pytest.approx([2, 5, 11], abs=0.2)
    assert np.max(np.abs(s.data), axis=0) == pytest.approx([1, 2, 3], rel=1e-3)


def test_square_duty_and_levels():
    s = generate({"type": "square", "freq_hz": 4, "duty": 0.25, "amplitude": 3}, seed=0,
                 rate_hz=1000, duration_s=2)
    x = s.data[:, 0]
    assert set(np.unique(x)) == {-3.0, 3.0}
    assert np.mean(x > 0) == pytest.approx(0.25, abs=0.01)
    assert peak_hz(x, 1000) == pytest.approx(4, abs=0.5)


@pytest.mark.parametrize("method, mid", [("linear", 50.5), ("exponential", 10.0)])
def test_chirp_sweeps_from_f0_to_f1(method, mid):
    rate = 2000
    s = generate({"type": "chirp", "f0_hz": 1, "f1_hz": 100, "method": method}, seed=0,
                 rate_hz=rate, duration_s=20)
    x = s.data[:, 0]
    # zero-crossing rate in short windows estimates the instantaneous frequency
    def freq_at(t):
        w = x[int((t - 0.25) * rate):int((t + 0.25) * rate)]
        return np.sum(np.diff(np.signbit(w)) != 0) / 2 / 0.5
    assert freq_at(10) == pytest.approx(mid, rel=0.1)
    assert freq_at(19.7) == pytest.approx(100 * (100 ** (-0.3 / 20) if method == "exponential"
                                                 else 1 - 0.3 / 20 * 99 / 100), rel=0.1)
    assert np.max(np.abs(x)) <= 1.0


# --------------------------------------------------------------------------- noise


def test_white_noise_statistics():
    x = generate({"type": "white_noise", "std": 0.3}, seed=1, rate_hz=1000, duration_s=100).data[:, 0]
    assert x.std() == pytest.approx(0.3, rel=0.02)
    assert abs(x.mean()) < 0.01
    assert abs(np.corrcoef(x[:-1], x[1:])[0, 1]) < 0.02


def test_pink_noise_spectral_slope_is_about_minus_one():
    rate = 1000
    x = generate({"type": "pink_noise", "std": 1}, seed=5, rate_hz=rate, duration_s=200).data[:, 0]
    assert x.std() == pytest.approx(1, rel=0.15)
    seg = 4096
    psd = np.mean([np.abs(np.fft.rfft(x[i:i + seg] * np.hanning(seg))) ** 2
                   for i in range(0, len(x) - seg, seg)], axis=0)
    f = np.fft.rfftfreq(seg, 1 / rate)
    band = (f > 2) & (f < 200)
    slope = np.polyfit(np.log10(f[band]), np.log10(psd[band]), 1)[0]
    assert -1.25 < slope < -0.75


def test_random_walk_steps_and_clamp():
    s = generate({"type": "random_walk", "step_std": 0.2, "start": 5}, seed=2, rate_hz=10, duration_s=1000)
    d = np.diff(s.data[:, 0])
    assert d.std() == pytest.approx(0.2, rel=0.05)
    assert s.data[0, 0] == pytest.approx(5, abs=1)
    c = generate({"type": "random_walk", "step_std": 0.2, "clamp": [-1, 0.5]}, seed=2, rate_hz=10,
                 duration_s=1000).data[:, 0]
    assert c.min() >= -1 and c.max() <= 0.5
    assert np.sum(c == 0.5) > 0 and np.sum(c == -1) > 0   # it does reach both bounds


# --------------------------------------------------------------------------- events


def test_constant():
    s = generate({"type": "constant", "value": [0, 0, 1], "unit": "g"}, seed=0, rate_hz=10, duration_s=1)
    assert s.unit == "g" and s.data.tolist() == [[0, 0, 1]] * 10


def test_impulse_and_step():
    imp = generate({"type": "impulse", "at_s": 0.5, "width_s": 0.1, "amplitude": 4}, seed=0,
                   rate_hz=100, duration_s=1).data[:, 0]
    assert np.nonzero(imp)[0].tolist() == list(range(50, 60)) and imp[55] == 4
    one = generate({"type": "impulse", "at_s": 0.25}, seed=0, rate_hz=100, duration_s=1).data[:, 0]
    assert np.nonzero(one)[0].tolist() == [25]
    st = generate({"type": "step", "at_s": 0.3, "from": [1, 2], "to": [3, 4]}, seed=0, rate_hz=10,
                  duration_s=1).data
    assert st[:3].tolist() == [[1, 2]] * 3 and st[3:].tolist() == [[3, 4]] * 7


# --------------------------------------------------------------------------- vibration


def test_vibration_harmonics_and_bearing_tone():
    rate, rpm, order = 4000, 1800, 3.5
    s = generate({"type": "vibration", "rpm": rpm, "imbalance": 0.1, "misalignment": 0.05,
                  "bearing_fault": 0.08, "bpfo_order": order, "bearing_modulation": 0.5,
                  "noise": 0.002}, seed=3, rate_hz=rate, duration_s=10)
    assert s.unit == "g" and s.channels == ("x", "y", "z")
    f = rpm / 60
    x, y, z = (s.data[:, i] for i in range(3))
    assert amplitude_at(x, rate, f) == pytest.approx(0.1, rel=0.05)        # imbalance, radial
    assert amplitude_at(y, rate, f) == pytest.approx(0.1, rel=0.05)
    assert amplitude_at(z, rate, 2 * f) == pytest.approx(0.05, rel=0.05)   # misalignment, axial
    assert amplitude_at(y, rate, order * f) == pytest.approx(0.08, rel=0.05)
    for side in (order * f - f, order * f + f):                              # AM sidebands
        assert amplitude_at(y, rate, side) == pytest.approx(0.08 * 0.5 / 2, rel=0.1)
    assert peak_hz(y, rate) == pytest.approx(f, abs=0.2)
    healthy = generate({"type": "vibration", "rpm": rpm, "bpfo_order": order, "noise": 0.002},
                       seed=3, rate_hz=rate, duration_s=10)
    assert amplitude_at(healthy.data[:, 1], rate, order * f) < 0.003


def test_vibration_imbalance_is_a_rotating_vector():
    s = generate({"type": "vibration", "rpm": 600, "imbalance": 1, "noise": 0}, seed=0, rate_hz=1000,
                 duration_s=1)
    radius = np.hypot(s.data[:, 0], s.data[:, 1])
    assert np.allclose(radius, 1.0)
