"""The keyword-spotting firmware (firmware/apps/kws) on the emulated nano33ble: its C front end
matches tinysim.dsp.kws_frontend byte for byte on audio delivered through the PDM microphone,
and the app detects, averages and suppresses as documented."""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from tinysim import streams
from tinysim.dsp import kws_frontend as kf
from tinysim.scenario import run_scenario


def _write_wav(path: Path, x: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(x, "<i2").tobytes())


def _test_audio(rate: int, seconds: float) -> np.ndarray:
    """Tones, a chirp, noise at several levels, silence and full-scale noise: every path of the
    fixed-point arithmetic (rounding of negatives, the log table, both clamps)."""
    rng = np.random.default_rng(12)
    n = int(rate * seconds)
    t = np.arange(n) / rate
    x = 6000 * np.sin(2 * np.pi * 440 * t) + 3000 * np.sin(2 * np.pi * (200 + 3000 * t) * t)
    x += rng.normal(0, 1, n) * np.where(t % 0.5 < 0.25, 30, 3000)
    x[(t > 0.3) & (t < 0.45)] = 0                                  # digital silence
    loud = (t > 0.7) & (t < 0.8)
    x[loud] = rng.integers(-32768, 32768, loud.sum())              # full scale
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def _dump(tmp_path: Path, fw, wav: str, seconds: float) -> np.ndarray:
    (tmp_path / "s.yaml").write_text(
        f"name: kws_fe\nplatform: nano33ble\nfirmware: {fw('nano33ble', 'kws_dump')}\n"
        f"duration: {seconds + 0.03}s\nstreams:\n  - {{sensor: mic, channel: pcm, file: {wav}}}\n")
    r = run_scenario(tmp_path / "s.yaml")
    assert r.passed, r.error
    rows = [line.split() for line in r.run.uart.splitlines() if line.startswith("fe ")]
    assert [int(row[1]) for row in rows] == list(range(len(rows)))
    return np.array([np.frombuffer(bytes.fromhex(row[2]), np.int8) for row in rows])


def _host(pcm16k: np.ndarray) -> np.ndarray:
    # the firmware's frame k ends at the end of PDM buffer k: the stream after 160 zeros
    return kf.features(np.concatenate([np.zeros(kf.FRAME - kf.STRIDE, np.int16), pcm16k]))


def test_firmware_front_end_is_bit_exact_at_16k(tmp_path, fw):
    x = _test_audio(16000, 1.0)
    _write_wav(tmp_path / "a.wav", x, 16000)
    got = _dump(tmp_path, fw, "a.wav", 1.0)
    want = _host(x)
    assert len(want) == 50 and len(got) >= 50
    assert np.array_equal(got[:50], want), np.argwhere(got[:50] != want)[:5]
    # the audio reaches every branch: the floor, the top clamp's neighbourhood and plenty between
    assert (want == -128).sum() > 40 and want.max() > 60 and len(np.unique(want)) > 100


def test_firmware_front_end_is_bit_exact_on_resampled_audio(tmp_path, fw):
    x = _test_audio(22050, 0.5)
    _write_wav(tmp_path / "b.wav", x, 22050)
    got = _dump(tmp_path, fw, "b.wav", 0.5)
    pcm = streams.load(tmp_path / "b.wav").to_unit("pcm").resample(16000).data[:, 0]
    want = _host(np.clip(np.round(pcm), -32768, 32767).astype(np.int16))
    assert len(want) == 25 and len(got) >= 25
    assert np.array_equal(got[:25], want)
