"""The keyword-spotting dataset: 1 s clips of 16 kHz int16 audio, synthesized with espeak-ng.

Classes (the model's output order): silence, unknown, yes, no.

* yes / no / unknown: a word spoken by espeak-ng (tinysim.streams.speech.speak: espeak's
  22,050 Hz output resampled to 16 kHz exactly as the stream layer resamples a WAV), at a
  random pitch, speed and peak level, placed at a random offset inside the 1 s window, over
  background noise at a random SNR (or none);
* unknown also holds windows that show only the first or last third of "yes" or "no" (the
  firmware classifies a sliding window; a word entering or leaving it is not a detection);
* silence: background noise alone, from quiet to loud, or digital silence.

Background noise comes from tinysim's stream generators (white, pink, brown, mains hum with
harmonics, a slow chirp), so training sees the noise a scenario can feed the microphone.
Samples are rounded and saturated to int16 as the PDM model delivers them.

Voices are held out, not only clips: validation uses espeak accents *and* variants that no
training clip uses (VAL_ACCENTS x VAL_VARIANTS). The synthesized clips are cached under
~/.cache/tinysim/kws (keyed by the parameters and the espeak-ng version). Same seed, same clips.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import numpy as np

from tinysim import streams
from tinysim.streams import speech

CLASSES = ("silence", "unknown", "yes", "no")
RATE = 16000
CLIP = RATE                        # 1 s
KEYWORDS = ("yes", "no")
# Other words ("unknown"): the Speech Commands set's fillers plus near-misses of the keywords.
UNKNOWN_WORDS = ("up", "down", "left", "right", "on", "off", "stop", "go", "one", "two", "three",
                 "four", "five", "six", "seven", "eight", "nine", "zero", "bed", "bird", "cat",
                 "dog", "happy", "house", "tree", "wow", "learn", "follow", "yet", "yellow", "yell",
                 "less", "guess", "nose", "note", "now", "new", "snow", "test", "yesterday")
TRAIN_ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd")
VAL_ACCENTS = ("en-029", "en-us-nyc")
TRAIN_VARIANTS = (None, "m1", "m2", "m3", "m4", "m5", "m7", "f1", "f2", "f3", "f5", "klatt", "klatt2",
                  "klatt3")
VAL_VARIANTS = ("m6", "m8", "f4", "klatt4")
NOISES = ("white", "pink", "brown", "hum", "chirp")
DATA_VERSION = 1                   # bump when the recipe changes: invalidates the cache


def voices(split: str) -> list[str]:
    accents, variants = (TRAIN_ACCENTS, TRAIN_VARIANTS) if split == "train" else (VAL_ACCENTS, VAL_VARIANTS)
    return [a if v is None else f"{a}+{v}" for a in accents for v in variants]


def noise_spec(kind: str, rng: np.random.Generator) -> dict:
    """A generator spec for 1 s of background noise (unit RMS roughly; rescaled anyway)."""
    if kind == "white":
        return {"type": "white_noise", "std": 1.0}
    if kind == "pink":
        return {"type": "pink_noise", "std": 1.0}
    if kind == "brown":
        return {"type": "random_walk", "step_std": 1.0}
    if kind == "hum":
        f = float(rng.choice([50.0, 60.0]))
        return {"sum": [{"type": "sine", "freq_hz": f * k, "amplitude": 1.0 / k,
                         "phase_deg": float(rng.uniform(0, 360))} for k in (1, 2, 3, 5)]
                + [{"type": "white_noise", "std": 0.05}]}
    f0 = float(rng.uniform(100, 2000))
    return {"sum": [{"type": "chirp", "f0_hz": f0, "f1_hz": f0 * float(rng.uniform(0.5, 2.0))},
                    {"type": "pink_noise", "std": 0.3}]}


def background(rng: np.random.Generator, seed: int) -> np.ndarray:
    """1 s of noise from a random generator, zero mean, unit RMS."""
    kind = NOISES[int(rng.integers(len(NOISES)))]
    x = streams.generate(noise_spec(kind, rng), seed=seed, rate_hz=RATE, duration_s=1.0).data[:CLIP, 0]
    x = x - x.mean()
    return x / max(float(np.sqrt(np.mean(x * x))), 1e-12)


def to_int16(x: np.ndarray) -> np.ndarray:
    # as the PDM model hands samples to the firmware
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def dbfs(db: float) -> float:
    return 32768.0 * 10.0 ** (db / 20.0)


def word_clip(word: str, voice: str, rng: np.random.Generator, seed: int, part: str | None = None) -> np.ndarray:
    pitch = int(rng.integers(20, 81))
    speed = int(rng.integers(120, 221))
    peak = dbfs(float(rng.uniform(-30.0, -3.0)))
    x = speech.speak(word, rate_hz=RATE, voice=voice, pitch=pitch, speed=speed, peak=peak)
    if part == "head":
        x = x[:max(1, len(x) // 3)]
    elif part == "tail":
        x = x[len(x) - max(1, len(x) // 3):]
    x = x[:CLIP]
    out = np.zeros(CLIP)
    off = int(rng.integers(0, CLIP - len(x) + 1))
    out[off:off + len(x)] = x
    if rng.random() < 0.85:
        rms = float(np.sqrt(np.mean(x * x)))
        snr = float(rng.uniform(5.0, 35.0))
        out += background(rng, seed) * rms / 10.0 ** (snr / 20.0)
    return out


def silence_clip(rng: np.random.Generator, seed: int) -> np.ndarray:
    if rng.random() < 0.1:
        return np.zeros(CLIP)
    return background(rng, seed) * dbfs(float(rng.uniform(-75.0, -20.0)))


def make_split(split: str, n_keyword: int, n_unknown: int, n_silence: int, seed: int):
    """(int16 [n, 16000], labels [n]); per voice, keywords and unknown words spread evenly."""
    vs = voices(split)
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    xs, ys = [], []

    def add(x, label):
        xs.append(to_int16(x))
        ys.append(label)

    k = 0
    for label, word in ((2, "yes"), (3, "no")):
        for i in range(n_keyword):
            k += 1
            add(word_clip(word, vs[i % len(vs)], rng, seed * 1_000_003 + k), label)
    for i in range(n_unknown):
        k += 1
        voice = vs[i % len(vs)]
        if rng.random() < 0.15:
            add(word_clip(str(rng.choice(KEYWORDS)), voice, rng, seed * 1_000_003 + k,
                          part=str(rng.choice(["head", "tail"]))), 1)
        else:
            add(word_clip(str(rng.choice(UNKNOWN_WORDS)), voice, rng, seed * 1_000_003 + k), 1)
    for i in range(n_silence):
        k += 1
        add(silence_clip(rng, seed * 1_000_003 + k), 0)
    return np.stack(xs), np.array(ys, dtype=np.int64)


def espeak_version() -> str:
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tinysim" / "kws"


def load_split(split: str, n_keyword: int, n_unknown: int, n_silence: int, seed: int):
    """make_split, cached on disk."""
    key = json.dumps([DATA_VERSION, split, n_keyword, n_unknown, n_silence, seed, espeak_version(),
                      voices(split), UNKNOWN_WORDS])
    path = cache_dir() / f"{split}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"
    if path.is_file():
        z = np.load(path)
        return z["x"], z["y"]
    x, y = make_split(split, n_keyword, n_unknown, n_silence, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, x=x, y=y)
    tmp.replace(path)
    return x, y
