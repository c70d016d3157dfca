"""Speech streams (type: speech): words spoken by espeak-ng, their ground truth, and errors."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from tinysim.errors import ConfigError
from tinysim.streams import StreamError, generate, load, parse_spec
from tinysim.streams import speech

needs_espeak = pytest.mark.skipif(not speech.espeak_available(),
                                  reason="espeak-ng is not installed (apt-get install espeak-ng; "
                                         "./scripts/setup.sh installs it)")
RATE = 16000
STILL = {"pitch": 0, "speed": 0, "level_db": 0, "gap_s": 0}   # no jitter: values derivable


def gen(spec, **kw):
    kw.setdefault("seed", 1)
    kw.setdefault("rate_hz", RATE)
    return generate({"type": "speech", **spec}, **kw)


@needs_espeak
def test_labels_and_samples_follow_the_plan():
    s = gen({"words": ["yes", "no", "bed"], "voice": ["en-us+f3", "en-gb+m3"], "lead_s": 0.25,
             "gap_s": 0.5, "level_dbfs": -6, "jitter": STILL})
    assert [lb.name for lb in s.labels] == ["yes", "no", "bed"]
    x = s.data[:, 0]
    t, peak = 0.25, 32768.0 * 10 ** (-6 / 20)
    for lb, voice in zip(s.labels, ["en-us+f3", "en-gb+m3", "en-us+f3"]):
        word = speech.speak(lb.name, rate_hz=RATE, voice=voice, peak=peak)
        assert lb.start_s == pytest.approx(t, abs=1e-12)
        assert lb.end_s - lb.start_s == pytest.approx(len(word) / RATE, abs=1e-12)
        k0 = int(np.ceil(lb.start_s * RATE - 1e-9))
        assert np.array_equal(x[k0:k0 + len(word)], word)
        assert np.max(np.abs(word)) == pytest.approx(peak)
        t = lb.end_s + 0.5
    # silence between the words (no noise asked for), and the natural length ends after a gap
    k_end = int(np.ceil(s.labels[0].end_s * RATE))
    k_next = int(np.ceil(s.labels[1].start_s * RATE - 1e-9))
    assert not np.any(x[k_end + 1:k_next])
    assert s.duration_s == pytest.approx(t, abs=1 / RATE)


@needs_espeak
def test_speak_resamples_as_a_wav_recording_is(tmp_path):
    # Independent path: espeak-ng writes a WAV file, the stream layer loads and resamples it.
    wav = tmp_path / "yes.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-p", "50", "-s", "160", "-w", str(wav), "yes"], check=True)
    rec = load(wav)
    assert rec.rate_hz == speech.ESPEAK_RATE_HZ
    y = rec.resample(RATE).data[:, 0]
    i0, i1 = speech.audible_span(y, pad=80)
    assert np.array_equal(speech.speak("yes", rate_hz=RATE), y[i0:i1])
    assert 0.2 < (i1 - i0) / RATE < 0.8            # a word, not silence or a whole sentence


@needs_espeak
def test_same_seed_same_bytes_and_jitter_draws_from_the_seed():
    spec = {"words": ["yes", "no"], "order": "random", "noise": 10}
    a = gen(spec, duration_s=4)
    speech._espeak.cache_clear()                 # b asks espeak-ng again
    b = gen(spec, duration_s=4)
    assert a == b
    c = gen(spec, seed=2, duration_s=4)
    assert a.data.tobytes() != c.data.tobytes()


@needs_espeak
def test_words_repeat_while_they_fit_a_duration():
    s = gen({"words": ["yes", "no"], "gap_s": 1.0, "lead_s": 0.5, "jitter": STILL}, duration_s=6)
    names = [lb.name for lb in s.labels]
    assert names == ["yes", "no"] * (len(names) // 2) + ["yes"] * (len(names) % 2)
    assert all(lb.end_s <= 6.0 for lb in s.labels)
    # one more word would not have fitted: the last ends within a word + gap of the end
    assert 6.0 - s.labels[-1].end_s < 1.0 + 0.8


@needs_espeak
def test_noise_is_added_with_its_std():
    s = gen({"words": ["no"], "noise": 100, "lead_s": 2.0, "jitter": STILL})
    lead = s.data[:int(1.9 * RATE), 0]
    assert np.std(lead) == pytest.approx(100, rel=0.05)


@needs_espeak
def test_unknown_variant_is_a_clear_error():
    with pytest.raises(StreamError) as e:
        gen({"words": ["yes"], "voice": "en-us+f33"})
    assert "no voice variant 'f33'" in str(e.value) and "espeak-ng --voices=variant" in str(e.value)


@needs_espeak
def test_unknown_voice_is_a_clear_error():
    with pytest.raises(StreamError) as e:
        gen({"words": ["yes"], "voice": "xx-nowhere"})
    assert "could not say 'yes' with voice 'xx-nowhere'" in str(e.value)


def test_missing_espeak_says_how_to_install(monkeypatch):
    monkeypatch.setattr(speech.shutil, "which", lambda name: None)
    speech._espeak.cache_clear()
    try:
        with pytest.raises(StreamError) as e:
            gen({"words": ["yes"], "voice": "en-us"}, duration_s=1)
    finally:
        speech._espeak.cache_clear()
    assert "espeak-ng, which is not installed" in str(e.value) and "apt-get install espeak-ng" in str(e.value)


@pytest.mark.parametrize("spec, key, text", [
    ({"words": ["-v"]}, "words", "is not a word"),
    ({"words": [True, False]}, "words", "quote the words, e.g. ['yes', 'no']"),
    ({"words": []}, "words", "expected a word"),
    ({"words": "yes", "voice": "en us"}, "voice", "is not a voice (espeak-ng"),
    ({"words": "yes", "pitch": 120}, "pitch", "must be <= 99"),
    ({"words": "yes", "speed": 20}, "speed", "must be >= 80"),
    ({"words": "yes", "wrods": 1}, "wrods", "unknown key"),
])
def test_bad_specs_point_at_the_key(spec, key, text):
    with pytest.raises(ConfigError) as e:
        parse_spec({"type": "speech", **spec})
    msg = str(e.value)
    assert key in msg and text in msg
