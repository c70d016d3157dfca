"""Specs: composition, shorthand, units, lengths, seeds, and errors that point at file:line."""

from __future__ import annotations

import numpy as np
import pytest

from tinysim._yaml import parse_yaml
from tinysim.errors import ConfigError, ScenarioError
from tinysim.streams import Stream, StreamError, generate, known_generators, parse_shorthand, parse_spec, save


def gen(spec, **kw):
    kw.setdefault("seed", 1)
    kw.setdefault("rate_hz", 100)
    return generate(spec, **kw)


# --------------------------------------------------------------------------- composition


def test_sum_adds_parts():
    s = gen({"sum": [{"type": "sine", "freq_hz": 1}, {"type": "step", "at_s": 0, "to": 2}]}, duration_s=2)
    sine = gen({"type": "sine", "freq_hz": 1}, duration_s=2)
    assert np.allclose(s.data, sine.data + 2)


def test_sum_broadcasts_one_channel_and_adopts_units():
    s = gen({"sum": [{"type": "gesture", "gesture": "ring"}, {"type": "white_noise", "std": 0.01}]})
    assert s.unit == "g" and s.channels == ("x", "y", "z")
    rest = s.data[:40]
    assert np.allclose(rest[:, 0], rest[:, 2] - 1)          # the same noise on every axis


def test_sum_rejects_incompatible_units():
    with pytest.raises(ConfigError) as e:
        gen({"sum": [{"type": "sine", "freq_hz": 1, "unit": "g"}, {"type": "sine", "freq_hz": 1, "unit": "dps"}]},
            duration_s=1)
    assert "sum[1]" in str(e.value) and "dps" in str(e.value)


def test_sum_converts_same_kind_units():
    s = gen({"sum": [{"type": "step", "at_s": 0, "to": 1, "unit": "g"},
                     {"type": "step", "at_s": 0, "to": 500, "unit": "mg"}]}, duration_s=1)
    assert s.unit == "g" and np.allclose(s.data, 1.5)


def test_concat_parts_follow_each_other_and_one_fills_the_rest():
    s = gen({"concat": [{"type": "step", "at_s": 0, "to": 1, "duration_s": 1},
                        {"type": "step", "at_s": 0, "to": 2},
                        {"type": "step", "at_s": 0, "to": 3, "duration_s": 0.5}]}, duration_s=4)
    x = s.data[:, 0]
    assert len(x) == 400
    assert np.all(x[:100] == 1) and np.all(x[100:350] == 2) and np.all(x[350:] == 3)


def test_concat_natural_length_and_labels_shift():
    s = gen({"concat": [{"type": "white_noise", "duration_s": 2},
                        {"type": "gesture", "gesture": "ring", "lead_s": 0, "gap_s": 0}]})
    assert s.unit == "g"
    assert len(s.labels) == 1 and s.labels[0].start_s == pytest.approx(2)
    assert s.duration_s == pytest.approx(2 + s.labels[0].end_s - s.labels[0].start_s, abs=0.011)


def test_duration_s_on_a_part_zero_pads_it():
    s = gen({"sum": [{"type": "step", "at_s": 0, "to": 1},
                     {"type": "step", "at_s": 0, "to": 10, "duration_s": 0.5}]}, duration_s=1)
    assert np.all(s.data[:50, 0] == 11) and np.all(s.data[50:, 0] == 1)


def test_gain_offset_per_channel():
    s = gen({"type": "step", "at_s": 0, "to": 1, "channels": 3, "gain": [1, 2, 3], "offset": [0, 0, 1]},
            duration_s=0.1)
    assert np.all(s.data == [1, 2, 4])


def test_channel_names_and_unit_key():
    s = gen({"type": "vibration", "rpm": 1200, "channels": ["ax", "ay", "az"], "unit": "m/s^2"}, duration_s=1)
    g = gen({"type": "vibration", "rpm": 1200}, duration_s=1)
    assert s.channels == ("ax", "ay", "az") and s.unit == "m/s^2"
    assert np.allclose(s.data, g.data * 9.80665)


def test_generate_unit_argument_labels_or_converts():
    mic = gen("sine(freq=1)", duration_s=1, unit="pcm")
    assert mic.unit == "pcm" and mic.channels == ("pcm",)
    g = gen({"type": "gesture", "gesture": "wing"}, unit="mg")
    assert g.unit == "mg" and np.allclose(g.data[0], [0, 0, 1000])
    with pytest.raises(StreamError, match="cannot convert"):
        gen({"type": "gesture", "gesture": "wing"}, unit="dps")


def test_parts_draw_independent_noise_whatever_their_neighbours():
    a = gen({"concat": [{"type": "white_noise", "duration_s": 1}, {"type": "sine", "freq_hz": 1}]}, duration_s=2)
    b = gen({"concat": [{"type": "white_noise", "duration_s": 1}, {"type": "square", "freq_hz": 3}]},
            duration_s=2)
    assert np.array_equal(a.data[:100], b.data[:100])
    c = gen({"sum": [{"type": "white_noise"}, {"type": "white_noise"}]}, duration_s=1)
    assert np.std(c.data) == pytest.approx(np.sqrt(2), rel=0.2)   # not the same draws twice


def test_natural_duration_and_override():
    spec = parse_spec({"type": "gesture", "gesture": ["wing", "ring"]})
    d = spec.natural_duration_s(seed=3, rate_hz=50)
    assert d is not None and spec.generate(seed=3, rate_hz=50).duration_s == pytest.approx(d, abs=0.02)
    assert spec.generate(seed=3, rate_hz=50, duration_s=20).duration_s == 20


def test_file_part_is_resampled_and_relative_to_the_yaml(tmp_path):
    rec = Stream(np.arange(10.0), 10, ("x",), "g")
    save(rec, tmp_path / "rec.csv")
    text = "stream:\n  type: file\n  path: rec.csv\n  gain: 2\n"
    (tmp_path / "s.yaml").write_text(text)
    from tinysim._yaml import load_yaml
    doc = load_yaml(tmp_path / "s.yaml")
    s = generate(doc.data["stream"], seed=0, rate_hz=20, doc=doc, at=("stream",))
    assert s.unit == "g" and s.rate_hz == 20 and s.n_samples == 20
    assert s.data[2, 0] == pytest.approx(2.0)  # 1 g at t=0.1 s, doubled
    held = generate(doc.data["stream"], seed=0, rate_hz=10, doc=doc, at=("stream",), duration_s=2)
    assert np.all(held.data[10:, 0] == 18)     # past the end: the last sample is held
    loop = generate({"type": "file", "path": "rec.csv", "loop": True}, seed=0, rate_hz=10, duration_s=2,
                    base_dir=tmp_path)
    assert np.array_equal(loop.data[10:], loop.data[:10])


def test_file_part_problems_point_at_the_spec(tmp_path):
    (tmp_path / "bare.csv").write_text("a,b\n1,2\n3,4\n")
    doc = parse_yaml("imu:\n  stream:\n    type: file\n    path: bare.csv\n", str(tmp_path / "sc.yaml"))
    with pytest.raises(ConfigError) as e:
        generate(doc.data["imu"]["stream"], seed=0, rate_hz=10, doc=doc, at=("imu", "stream"),
                 base_dir=tmp_path)
    assert "sc.yaml:4: imu.stream.path" in str(e.value) and "unit" in str(e.value)
    with pytest.raises(ConfigError, match="file not found"):
        parse_spec({"type": "file", "path": "nope.csv"}, base_dir=tmp_path)


# --------------------------------------------------------------------------- shorthand


def test_shorthand_equals_the_mapping():
    assert parse_shorthand("sine(freq=2, amp=1)") == {"type": "sine", "freq_hz": 2, "amplitude": 1}
    assert parse_shorthand("gesture(gesture=[wing, ring], orientation_deg=3)")["gesture"] == ["wing", "ring"]
    a = gen("sine(freq=2, amp=0.5) + white_noise(std=0.1)", duration_s=1)
    b = gen({"sum": [{"type": "sine", "freq_hz": 2, "amplitude": 0.5}, {"type": "white_noise", "std": 0.1}]},
            duration_s=1)
    assert a == b
    assert gen("white_noise", duration_s=1).n_samples == 100
    assert parse_shorthand("step(at=1e-3, from=-2, unit='m/s^2')") == {
        "type": "step", "at_s": 1e-3, "from": -2, "unit": "m/s^2"}


@pytest.mark.parametrize("text", ["sine(freq=2", "sine(freq 2)", "sine(freq=2,, amp=1)", "sine(freq=2) +",
                                  "sine(freq=2, freq=3)", "sine(freq=$)"])
def test_bad_shorthand(text):
    with pytest.raises(ConfigError, match="column"):
        gen(text, duration_s=1)


# --------------------------------------------------------------------------- errors


def test_unknown_generator_lists_the_known_ones():
    with pytest.raises(ConfigError) as e:
        gen({"type": "sinus", "freq_hz": 1}, duration_s=1)
    msg = str(e.value)
    assert "unknown generator 'sinus'" in msg and "did you mean 'sine'" in msg
    for name in known_generators():
        assert name in msg
    assert e.value.problems[0].key == "type"


def test_unknown_key_names_its_path_and_line():
    text = """\
sensors:
  imu:
    stream:
      concat:
        - type: gesture
          gesture: wing
          orientation:
            roll: 10
            pich: 5
        - type: sine
          frequency: 2
"""
    doc = parse_yaml(text, "scenario.yaml")
    with pytest.raises(ScenarioError) as e:
        generate(doc.data["sensors"]["imu"]["stream"], seed=1, rate_hz=50, doc=doc,
                 at=("sensors", "imu", "stream"), error=ScenarioError)
    probs = {p.key: p for p in e.value.problems}
    assert probs["sensors.imu.stream.concat[0].orientation.pich"].line == 9
    assert "did you mean 'pitch'" in probs["sensors.imu.stream.concat[0].orientation.pich"].message
    assert probs["sensors.imu.stream.concat[1].frequency"].line == 11
    assert probs["sensors.imu.stream.concat[1].freq_hz"].message == "required key is missing"
    assert probs["sensors.imu.stream.concat[1].freq_hz"].line == 10   # the mapping that lacks it
    assert "scenario.yaml:9: sensors.imu.stream.concat[0].orientation.pich" in str(e.value)


@pytest.mark.parametrize("spec, key, words", [
    ({"type": "sine", "freq_hz": "fast"}, "freq_hz", "expected a number"),
    ({"type": "sine", "freq_hz": True}, "freq_hz", "expected a number"),
    ({"type": "sine", "freq_hz": [1, 2], "channels": 3}, "freq_hz", "2 values for 3 channels"),
    ({"type": "white_noise", "std": -1}, "std", ">= 0"),
    ({"type": "square", "freq_hz": 1, "duty": 2}, "duty", "<= 1"),
    ({"type": "chirp", "f0_hz": 0, "f1_hz": 5, "method": "exponential"}, "f0_hz", "> 0"),
    ({"type": "chirp", "f0_hz": 1, "f1_hz": 5, "method": "log"}, "method", "linear"),
    ({"type": "gesture", "gesture": "circle"}, "gesture", "known: wing, ring, slope"),
    ({"type": "gesture", "gesture": "ring", "channels": 2}, "channels", "3 channels"),
    ({"type": "gesture", "gesture": "ring", "jitter": {"speed": 0.9}}, "jitter.speed", "<= 0.5"),
    ({"type": "vibration"}, "rpm", "required key is missing"),
    ({"type": "sine", "freq_hz": 1, "unit": "furlongs"}, "unit", "unknown unit"),
    ({"type": "sine", "freq_hz": 1, "duration_s": 0}, "duration_s", "> 0"),
    ({"type": "sum", "of": []}, "type", "sum: [spec"),
    ({"sum": []}, "sum", "at least 1"),
    ({"sum": [{"type": "sine", "freq_hz": 1}], "type": "sine"}, "sum", "one of type, sum and concat"),
    ({"freq_hz": 1}, "", "missing 'type:'"),
    (["sine"], "", "expected a stream spec"),
])
def test_bad_specs(spec, key, words):
    with pytest.raises(ConfigError) as e:
        parse_spec(spec)
    assert any(p.key == key and words in p.message for p in e.value.problems), str(e.value)


def test_all_problems_are_reported_at_once():
    with pytest.raises(ConfigError) as e:
        parse_spec({"sum": [{"type": "sine"}, {"type": "noise"}, {"type": "step", "at_s": -1}]})
    assert [p.key for p in e.value.problems] == ["sum[0].freq_hz", "sum[1].type", "sum[2].at_s"]


def test_missing_length_and_open_concat_parts():
    with pytest.raises(ConfigError, match="length is unknown"):
        gen("sine(freq=1)")
    with pytest.raises(ConfigError, match=r"concat\[1\]: has no length"):
        gen({"concat": [{"type": "white_noise"}, {"type": "pink_noise"}]}, duration_s=2)


@pytest.mark.parametrize("kw, words", [
    ({"seed": -1}, "seed"), ({"seed": 1.5}, "seed"), ({"rate_hz": 0}, "rate_hz"),
    ({"rate_hz": float("nan")}, "rate_hz"), ({"duration_s": -2}, "duration_s"),
    ({"duration_s": 0.001}, "less than one sample"), ({"unit": "furlong"}, "unknown unit"),
])
def test_bad_arguments(kw, words):
    with pytest.raises(StreamError, match=words):
        gen("sine(freq=1)", **({"duration_s": 1} | kw))
