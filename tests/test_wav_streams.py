"""A WAV at another rate than the microphone's is resampled once, deterministically, and the
run report says so (a stereo WAV is refused with a hint: tests/test_trust.py)."""
from __future__ import annotations

import wave

import numpy as np

from tinysim import streams
from tinysim.scenario import run_scenario

NOTE = "mic: speech.wav resampled 44100 -> 16000 Hz (set rate_hz to choose the rate)"


def _wav(path, rate: int, seconds: float = 0.1) -> None:
    t = np.arange(int(rate * seconds)) / rate
    x = np.round(8000 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(x.tobytes())


def _scenario(tmp_path, fw, extra: str = "") -> object:
    f = tmp_path / "s.yaml"
    f.write_text(f"name: wav\nplatform: nano33ble\nfirmware: {fw('nano33ble', 'mic')}\nduration: 50ms\n"
                 f"streams:\n  - {{sensor: mic, channel: pcm, file: speech.wav{extra}}}\n")
    return run_scenario(f)


def test_a_44k_wav_is_resampled_to_16k_and_the_report_says_so(fw, tmp_path):
    _wav(tmp_path / "speech.wav", 44100)
    a, b = _scenario(tmp_path, fw), _scenario(tmp_path, fw)
    assert a.passed, a.error
    assert a.run.notes.count(NOTE) == 1
    # Deterministic: the same file gives the same samples to the firmware, so the same output.
    assert a.run.uart == b.run.uart and a.run.instructions == b.run.instructions


def test_the_resampled_stream_has_16k_samples_per_second(tmp_path):
    """What the scenario hands the microphone: 0.1 s of 44.1 kHz audio becomes 1,600 samples
    (0.1 s at 16 kHz) of the same 440 Hz tone."""
    _wav(tmp_path / "speech.wav", 44100)
    s = streams.load(tmp_path / "speech.wav").to_unit("pcm").resample(16000)
    assert s.rate_hz == 16000 and s.n_samples == 1600
    spectrum = np.abs(np.fft.rfft(s.data[:, 0]))
    assert int(np.argmax(spectrum)) * 16000 / 1600 == 440


def test_no_note_when_the_wav_is_at_16k_or_rate_hz_is_given(fw, tmp_path):
    _wav(tmp_path / "speech.wav", 16000)
    r = _scenario(tmp_path, fw)
    assert r.passed, r.error
    assert not [n for n in r.run.notes if "resampled" in n]
    _wav(tmp_path / "speech.wav", 44100)
    r = _scenario(tmp_path, fw, ", rate_hz: 16000")
    assert r.passed, r.error
    assert not [n for n in r.run.notes if "resampled" in n]
