"""The keyword-spotting firmware (firmware/apps/kws) on the emulated nano33ble: its C front end
matches tinysim.dsp.kws_frontend byte for byte on audio delivered through the PDM microphone,
and the app detects, averages and suppresses as documented."""
from __future__ import annotations

import re
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


# -- the app's pipeline on a hand-built model whose "yes" probability is the window's loudness --

def _loudness_model(path: Path) -> Path:
    """int8 [1,49,40,1] -> FULLY_CONNECTED -> int8 [1,4] read as probabilities (scale 1/256,
    zero point -128): silence 0.30, unknown 0.20, no 0, and yes rising linearly from 0 at a mean
    feature of -120 to 1 at -90 (so a 0.4 s burst of noise in an otherwise silent second)."""
    from tinysim.tflite_builder import ModelBuilder, options
    n = kf.N_FRAMES * kf.N_MEL
    s_w = 1 / (n * 30)
    b = ModelBuilder()
    x = b.tensor((1, kf.N_FRAMES, kf.N_MEL, 1), "int8", scale=1.0, zp=0)
    w = np.zeros((4, n), np.int8)
    w[2] = 1
    w = b.const(w, "int8", scale=s_w)
    bias = b.const(np.array([round(0.3 / s_w), round(0.2 / s_w), n * 120, 0], np.int32), "int32",
                   scale=float(np.float32(s_w)))
    y = b.tensor((1, 4), "int8", scale=1 / 256, zp=-128)
    b.op("FULLY_CONNECTED", [x, w, bias], [y], options("FullyConnectedOptions"))
    path.write_bytes(b.build([x], [y]))
    return path


def _bursts(starts, seconds: float) -> np.ndarray:
    rng = np.random.default_rng(5)
    x = np.zeros(int(16000 * seconds))
    for s in starts:
        a = int(s * 16000)
        x[a:a + 6400] = rng.normal(0, 2000, 6400)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def _run_app(tmp_path: Path, fw, x: np.ndarray, seconds: float, model: Path):
    _write_wav(tmp_path / "c.wav", x, 16000)
    (tmp_path / "s.yaml").write_text(
        f"name: kws\nplatform: nano33ble\nfirmware: {fw('nano33ble', 'kws')}\nmodel: {model}\n"
        f"duration: {seconds}s\nstreams:\n  - {{sensor: mic, channel: pcm, file: c.wav}}\n")
    r = run_scenario(tmp_path / "s.yaml")
    assert r.passed, r.error
    return r


def test_one_burst_one_detection_and_the_cycle_line(tmp_path, fw):
    model = _loudness_model(tmp_path / "loud.tflite")
    r = _run_app(tmp_path, fw, _bursts([0.5, 2.6], 4.0), 4.0, model)
    lines = r.run.uart.splitlines()
    assert lines[0] == "kws: listening (yes, no)"
    heard = [ln for ln in lines if ln.startswith("heard:")]
    # each burst stays in the 1 s window for 1.4 s, over the threshold for most of it: one line each
    # reported once the mean of the last 3 outputs passes the 0.70 threshold
    assert len(heard) == 2, lines
    for ln in heard:
        m = re.fullmatch(r"heard: yes \(p=(\d\.\d\d)\)", ln)
        assert m and 0.70 <= float(m.group(1)) <= 1.0, ln
    fe_line = [re.fullmatch(r"kws: front end (\d+) cycles/stride, load (\d+)% of 1280000", ln)
               for ln in lines if ln.startswith("kws: front end")]
    inf_line = [re.fullmatch(r"kws: inference (\d+) cycles, (\d+) in (\d+) strides", ln)
                for ln in lines if ln.startswith("kws: inference")]
    assert len(fe_line) == 1 and fe_line[0] and len(inf_line) == 1 and inf_line[0], lines
    (fe, load), (inf, n_inf, n_strides) = map(int, fe_line[0].groups()), map(int, inf_line[0].groups())
    # a small model keeps up: an inference every 4 strides, the first at stride 4
    assert (n_inf, n_strides) == (12, 50)
    bound = (fe * 50 + inf * 12) * 100 // (50 * 1280000)     # the maxima bound the busy cycles
    assert 0.9 * bound <= load <= bound
    assert not [ln for ln in lines if "overrun" in ln]
    # the LED lights for 0.5 s per detection: on and off twice
    assert r.run.leds["led_builtin"] == {"on": False, "toggles": 4}


def test_silence_is_never_a_keyword(tmp_path, fw):
    model = _loudness_model(tmp_path / "loud.tflite")
    r = _run_app(tmp_path, fw, np.zeros(32000, np.int16), 2.0, model)
    assert not [ln for ln in r.run.uart.splitlines() if ln.startswith("heard:")]


def test_firmware_front_end_is_bit_exact_on_the_committed_speech(tmp_path, fw):
    """The scenarios' recording (espeak-ng at 22,050 Hz: "yes" at 0.6 s), through the stream
    layer's resampling and the PDM microphone, gives the same features on both sides."""
    wav = Path(__file__).resolve().parents[1] / "scenarios/audio/kws_yes_no_yes_22k.wav"
    (tmp_path / "speech.wav").write_bytes(wav.read_bytes())
    got = _dump(tmp_path, fw, "speech.wav", 1.5)
    pcm = streams.load(wav).to_unit("pcm").resample(16000).data[:24000, 0]
    want = _host(np.clip(np.round(pcm), -32768, 32767).astype(np.int16))
    assert len(want) == 75 and len(got) >= 75
    assert np.array_equal(got[:75], want)
    assert want[35:50].max() > 40 and want[:25].max() < -40     # the word, and the quiet before it


def test_shipped_kws_firmware_and_model_are_current(tmp_path, build_dir):
    """tinysim/prebuilt/nano33ble/kws.elf is `make -C firmware prebuilt` output (the same
    loadable bytes as a fresh build) and ships the committed model."""
    import subprocess
    from tinysim.elf import load_elf
    repo = Path(__file__).resolve().parents[1]
    subprocess.run(["make", "-s", "-C", str(repo / "firmware"), f"BUILD_DIR={tmp_path}", "BOARD=nano33ble", "kws"],
                   check=True, capture_output=True)
    fresh = load_elf(tmp_path / "nano33ble" / "kws.elf")
    shipped = load_elf(repo / "tinysim" / "prebuilt" / "nano33ble" / "kws.elf")
    assert [(s.paddr, s.data) for s in fresh.segments] == [(s.paddr, s.data) for s in shipped.segments], \
        "nano33ble/kws.elf is stale: run make -C firmware prebuilt"
    assert (repo / "models/kws.tflite").read_bytes() == (repo / "tinysim/prebuilt/models/kws.tflite").read_bytes()
