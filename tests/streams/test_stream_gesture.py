"""Magic-wand gestures: gravity, orientation, timeline, jitter, accel/gyro agreement."""

from __future__ import annotations

import numpy as np
import pytest

from tinysim.streams import generate
from tinysim.streams.gesture import GESTURES, template_duration

RATE = 50


def gesture(**kw):
    spec = {"type": "gesture", "gesture": "wing", **kw}
    return generate(spec, seed=kw.pop("seed", 1) if "seed" in kw else 1, rate_hz=RATE,
                    duration_s=kw.get("duration_s"))


def test_at_rest_the_accelerometer_reads_gravity_on_z():
    s = generate({"type": "gesture", "gesture": "ring", "lead_s": 1}, seed=1, rate_hz=RATE)
    assert s.unit == "g" and s.channels == ("x", "y", "z")
    rest = s.data[: RATE // 2]
    assert np.allclose(rest, [0, 0, 1])
    assert np.allclose(s.data[-5:], [0, 0, 1], atol=1e-9)  # back at rest in the start pose


@pytest.mark.parametrize("orientation, gravity", [
    ({"roll": 90}, [0, 1, 0]),
    ({"pitch": 90}, [-1, 0, 0]),
    ({"roll": 180}, [0, 0, -1]),
    ({"yaw": 45}, [0, 0, 1]),
])
def test_orientation_moves_gravity(orientation, gravity):
    s = generate({"type": "gesture", "gesture": "slope", "orientation": orientation}, seed=1, rate_hz=RATE)
    assert np.allclose(s.data[0], gravity, atol=1e-12)
    # |a| at rest is 1 g whatever the orientation
    assert np.allclose(np.linalg.norm(s.data[:10], axis=1), 1)


def _integrate_attitude(gyro):
    """World-from-board rotation after integrating body rates (Rodrigues steps)."""
    r = np.eye(3)
    for w in np.radians(gyro.data) / gyro.rate_hz:
        angle = np.linalg.norm(w)
        if angle == 0:
            continue
        k = w / angle
        kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
        r = r @ (np.eye(3) + np.sin(angle) * kx + (1 - np.cos(angle)) * kx @ kx)
    return r


@pytest.mark.parametrize("name", GESTURES)
def test_motion_is_about_one_g_and_the_board_returns_to_its_pose(name):
    acc = generate({"type": "gesture", "gesture": name, "jitter": {"speed": 0, "amplitude": 0,
                    "orientation_deg": 0}}, seed=1, rate_hz=200)
    dyn = np.linalg.norm(acc.data - [0, 0, 1], axis=1)
    assert 0.3 < dyn.max() < 3
    gyro = generate({"type": "gesture", "gesture": name, "output": "gyro", "orientation": {"roll": 30}},
                    seed=1, rate_hz=2000)
    assert gyro.unit == "dps"
    assert np.abs(gyro.data).max() > 20
    r = _integrate_attitude(gyro)
    assert np.degrees(np.arccos(np.clip((np.trace(r) - 1) / 2, -1, 1))) < 0.5


def test_gyro_agrees_with_gravity_tilt():
    # Integrate the gyro to an attitude and predict what the accelerometer sees
    # of gravity at the moment the hand is still (zero acceleration) mid-stroke.
    spec = {"type": "gesture", "gesture": "wing", "jitter": {"speed": 0, "amplitude": 0, "orientation_deg": 0}}
    rate = 2000
    acc = generate(spec, seed=1, rate_hz=rate)
    gyro = generate({**spec, "output": "gyro"}, seed=1, rate_hz=rate)
    start = int(acc.labels[0].start_s * rate)
    k = start + int(0.35 * rate)  # end of the first stroke: the hand is at rest, at the bottom of the W
    r = _integrate_attitude(gyro.window(0, k / rate))
    predicted = r.T @ [0, 0, 1]
    assert np.allclose(acc.data[k], predicted, atol=0.02)
    assert predicted[1] < -0.3  # the board pitched down noticeably


def test_accel_and_gyro_share_the_motion():
    spec = {"type": "gesture", "gesture": ["wing", "ring"], "duration_s": 12}
    acc = generate(spec, seed=4, rate_hz=RATE)
    gyro = generate({**spec, "output": "gyro"}, seed=4, rate_hz=RATE)
    assert acc.labels == gyro.labels
    moving_a = np.linalg.norm(acc.data - [0, 0, 1], axis=1) > 1e-6
    moving_g = np.linalg.norm(gyro.data, axis=1) > 1e-6
    assert np.array_equal(moving_a, moving_g)


def test_timeline_lead_gap_repeat_and_labels():
    s = generate({"type": "gesture", "gesture": "ring", "repeat": 3, "lead_s": 1, "gap_s": 2,
                  "jitter": {"speed": 0}}, seed=1, rate_hz=RATE)
    d = template_duration("ring")
    assert [lb.name for lb in s.labels] == ["ring"] * 3
    assert [lb.start_s for lb in s.labels] == pytest.approx([1, 1 + d + 2, 1 + 2 * (d + 2)])
    assert s.duration_s == pytest.approx(1 + 3 * (d + 2), abs=1 / RATE)
    # without repeat, gestures fill the requested duration
    filled = generate({"type": "gesture", "gesture": ["wing", "ring", "slope"]}, seed=1, rate_hz=RATE,
                      duration_s=30)
    names = [lb.name for lb in filled.labels]
    assert len(names) >= 6 and names[:3] == ["wing", "ring", "slope"]
    assert filled.labels[-1].end_s <= 30


def test_speed_scales_time():
    slow = generate({"type": "gesture", "gesture": "wing", "jitter": {"speed": 0}}, seed=1, rate_hz=RATE)
    fast = generate({"type": "gesture", "gesture": "wing", "speed": 2, "jitter": {"speed": 0}}, seed=1,
                    rate_hz=RATE)
    dur = lambda s: s.labels[0].end_s - s.labels[0].start_s  # noqa: E731
    assert dur(fast) == pytest.approx(dur(slow) / 2)


def test_jitter_varies_each_repetition_within_range():
    s = generate({"type": "gesture", "gesture": "ring", "repeat": 40, "gap_s": 0,
                  "jitter": {"speed": 0.2, "amplitude": 0, "orientation_deg": 0}}, seed=9, rate_hz=RATE)
    durs = np.array([lb.end_s - lb.start_s for lb in s.labels])
    speeds = template_duration("ring") / durs
    assert speeds.min() >= 0.8 - 1e-9 and speeds.max() <= 1.2 + 1e-9
    assert speeds.std() > 0.05


def _features(s, lb, n=40):
    """The gesture window's dynamic acceleration, resampled to n points, normalised."""
    w = s.window(lb.start_s, lb.end_s - lb.start_s).data - [0, 0, 1]
    pos = np.linspace(0, len(w) - 1, n)
    f = np.stack([np.interp(pos, np.arange(len(w)), w[:, i]) for i in range(3)], axis=1).ravel()
    return f / np.linalg.norm(f)


def test_gestures_are_distinguishable():
    clean = {"speed": 0, "amplitude": 0, "orientation_deg": 0}
    templates = {}
    for name in GESTURES:
        t = generate({"type": "gesture", "gesture": name, "jitter": clean}, seed=0, rate_hz=RATE)
        templates[name] = _features(t, t.labels[0])
    s = generate({"type": "gesture", "gesture": list(GESTURES), "order": "random", "noise": 0.03,
                  "jitter": {"speed": 0.15, "amplitude": 0.15, "orientation_deg": 8}},
                 seed=11, rate_hz=RATE, duration_s=120)
    assert len({lb.name for lb in s.labels}) == 3
    correct = 0
    for lb in s.labels:
        f = _features(s, lb)
        guess = max(templates, key=lambda k: float(np.dot(f, templates[k])))
        correct += guess == lb.name
    assert correct == len(s.labels)


def test_gesture_noise_unit_follows_output():
    a = generate({"type": "gesture", "gesture": "wing", "noise": 0.05, "lead_s": 2}, seed=1, rate_hz=RATE)
    assert np.std(a.data[:RATE, 2]) == pytest.approx(0.05, rel=0.3)
    g = generate({"type": "gesture", "gesture": "wing", "noise": 0.05, "lead_s": 2, "output": "gyro"},
                 seed=1, rate_hz=RATE)
    assert not np.allclose(a.data[:RATE] - [0, 0, 1], g.data[:RATE])  # independent noise draws
