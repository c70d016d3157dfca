"""Spoken words for a microphone, synthesized by espeak-ng (a Debian package, not a PyPI one).

``type: speech`` composes words into an audio stream (unit pcm: 16-bit counts)::

    type: speech
    words: [yes, no, yes]        # said in turn (order: cycle) or drawn at random
    voice: [en-us+f3, en-gb+m3]  # espeak-ng voices, "language+variant"; used in turn / at random
    lead_s: 0.5                  # silence before the first word
    gap_s: 1.0                   # silence after each word
    noise: 30                    # white noise std, pcm counts (or add a noise spec with sum:)

Each word is spoken by espeak-ng (22,050 Hz), resampled to the stream's rate
exactly as a recorded WAV is (:meth:`Stream.resample`), trimmed to where it is
audible and scaled to a peak of ``level_dbfs``. Each repetition draws,
uniformly from the seed, a pitch offset in [-j, +j] (``jitter.pitch``; espeak's
0-99 scale), a speed factor in [1 - j, 1 + j] (``jitter.speed``), a level
offset in [-j, +j] dB (``jitter.level_db``) and an extra gap in [0, j] s
(``jitter.gap_s``). Without ``repeat`` the words repeat while they fit in the
requested duration (with no duration asked for: once through ``words``).

Ground truth: each word gets a Label (the word, its audible span).

The same spec and seed give the same bytes for the same espeak-ng version;
another version may pronounce a word differently.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import shutil
import subprocess
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from . import _detmath as dm
from .schema import NonNegative, SpecBase, bounded, fail, register
from .stream import Label, Stream, StreamError

__all__ = ["ESPEAK_RATE_HZ", "espeak_available", "synthesize", "speak", "audible_span", "variants"]

ESPEAK_RATE_HZ = 22050
_WORD = re.compile(r"^[A-Za-z][A-Za-z' -]{0,63}$")
_VOICE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*(\+[A-Za-z0-9_-]+)?$")
_MISSING_HINT = "install it: apt-get install espeak-ng (./scripts/setup.sh does)"


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def _require() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise StreamError("speech needs espeak-ng, which is not installed", hint=_MISSING_HINT)
    return exe


@functools.lru_cache(maxsize=1)
def variants() -> frozenset[str]:
    """Voice variants this espeak-ng knows (the part after '+' in a voice name)."""
    out = subprocess.run([_require(), "--voices=variant"], capture_output=True, text=True, check=False)
    names = set()
    for line in out.stdout.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 5 and cols[4].startswith("!v/"):
            names.add(cols[4][3:])
    return frozenset(names)


def _check_voice(voice: str) -> None:
    if "+" in voice:
        variant = voice.split("+", 1)[1]
        # espeak-ng falls back to the plain voice on an unknown variant without a word.
        if variant not in variants():
            close = difflib.get_close_matches(variant, sorted(variants()), n=1)
            did = f" (did you mean '{close[0]}'?)" if close else ""
            raise StreamError(f"espeak-ng has no voice variant '{variant}'{did}",
                              hint="list them with `espeak-ng --voices=variant` (the file name "
                                   "after !v/), e.g. en-us+f3, en-gb+m7")


@functools.lru_cache(maxsize=8192)
def _espeak(text: str, voice: str, pitch: int, speed: int) -> bytes:
    _check_voice(voice)
    # Text on stdin, never argv: a word cannot be read as an option.
    out = subprocess.run([_require(), "-v", voice, "-p", str(pitch), "-s", str(speed), "--stdout"],
                         input=text.encode(), capture_output=True, check=False)
    if out.returncode != 0 or b"data" not in out.stdout[:200]:
        err = out.stderr.decode(errors="replace").strip() or f"exit code {out.returncode}"
        raise StreamError(f"espeak-ng could not say {text!r} with voice {voice!r}: {err}",
                          hint="list voices with `espeak-ng --voices=en`, variants with "
                               "`espeak-ng --voices=variant`")
    # --stdout writes a streaming WAV header (sizes unknown): the samples follow "data" + size.
    return out.stdout[out.stdout.index(b"data") + 8:]


def synthesize(text: str, *, voice: str = "en-us", pitch: int = 50, speed: int = 160) -> np.ndarray:
    """espeak-ng's samples (int16 counts as float64, at ESPEAK_RATE_HZ) for ``text``.
    pitch: 0-99; speed: words per minute (80-450)."""
    raw = _espeak(text, voice, int(pitch), int(speed))
    return np.frombuffer(raw[:len(raw) // 2 * 2], dtype="<i2").astype(np.float64)


def audible_span(x: np.ndarray, rel: float = 0.02, pad: int = 0) -> tuple[int, int]:
    """[i0, i1): first to last sample above ``rel`` x the peak, widened by ``pad`` samples."""
    a = np.abs(x)
    peak = float(a.max()) if len(a) else 0.0
    if peak <= 0.0:
        return 0, 0
    on = np.flatnonzero(a > rel * peak)
    return max(0, int(on[0]) - pad), min(len(x), int(on[-1]) + 1 + pad)


def speak(text: str, *, rate_hz: float = 16000.0, voice: str = "en-us", pitch: int = 50,
          speed: int = 160, peak: float | None = None) -> np.ndarray:
    """The word as a microphone would get it at ``rate_hz`` (float64 pcm counts): espeak-ng's
    output resampled as the stream layer resamples a WAV, trimmed to its audible part
    (+ 5 ms each side), scaled to a peak of ``peak`` counts if given."""
    x = synthesize(text, voice=voice, pitch=pitch, speed=speed)
    s = Stream(x, ESPEAK_RATE_HZ, ("pcm",), "pcm").resample(rate_hz)
    y = s.data[:, 0]
    i0, i1 = audible_span(y, pad=int(round(0.005 * rate_hz)))
    y = y[i0:i1]
    if peak is not None and len(y):
        y = y * (peak / float(np.max(np.abs(y))))
    return y


# --------------------------------------------------------------------------- spec


def _names(pattern: re.Pattern, what: str, example: str):
    def check(value: Any) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not items:
            raise fail(f"expected a {what} or a list of them, got {value!r}")
        for item in items:
            if isinstance(item, bool):
                # YAML 1.1 reads unquoted yes/no/on/off as booleans
                raise fail(f"{item!r} is not a {what}: YAML reads unquoted yes, no, on and off as "
                           "true/false; quote the words, e.g. ['yes', 'no']")
            if not isinstance(item, str) or not pattern.match(item):
                raise fail(f"{item!r} is not a {what} (e.g. {example})")
        return tuple(items)
    return check


class SpeechJitter(BaseModel):
    """Per-word variation: pitch offset (espeak's 0-99 scale), relative speed, level (dB),
    extra gap (s)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    pitch: Annotated[float, BeforeValidator(bounded(ge=0, le=50))] = 10.0
    speed: Annotated[float, BeforeValidator(bounded(ge=0, le=0.5))] = 0.1
    level_db: Annotated[float, BeforeValidator(bounded(ge=0, le=30))] = 3.0
    gap_s: NonNegative = 0.0


class SpeechSpec(SpecBase):
    """A microphone hearing words spoken by espeak-ng (pcm counts)."""

    type: Literal["speech"]
    words: Annotated[tuple[str, ...], BeforeValidator(_names(_WORD, "word (letters, ' and -)", "yes"))] = Field(
        description="Words (or short phrases), said in turn (order: cycle) or at random.")
    order: Literal["cycle", "random"] = "cycle"
    voice: Annotated[tuple[str, ...], BeforeValidator(_names(_VOICE, "voice (espeak-ng language+variant)", "en-us or en-gb+m3"))] = (
        "en-us",)
    voice_order: Literal["cycle", "random"] = "cycle"
    pitch: Annotated[float, BeforeValidator(bounded(ge=0, le=99))] = 50.0
    speed: Annotated[float, BeforeValidator(bounded(ge=80, le=450))] = 160.0
    level_dbfs: Annotated[float, BeforeValidator(bounded(ge=-90, le=0))] = -12.0
    noise: NonNegative = Field(default=0.0, description="White noise std, pcm counts.")
    repeat: Annotated[int, Field(strict=True, ge=1, le=100000)] | None = None
    lead_s: NonNegative = 0.5
    gap_s: NonNegative = 1.0
    jitter: SpeechJitter = SpeechJitter()


def _plan(m: SpeechSpec, rate: float, rng, limit_s: float | None):
    """[(word, start_s, samples at rate)] of each repetition, and the end time."""
    r = rng(0)
    out, t, i = [], m.lead_s, 0
    reps = m.repeat if m.repeat is not None else (None if limit_s is not None else len(m.words))
    while reps is None or i < reps:
        u = dm.uniform(r, (6,)).tolist()   # same draws per repetition whatever is used
        word = dm.pick(m.words, m.order, i, u[0])
        voice = dm.pick(m.voice, m.voice_order, i, u[1])
        pitch = int(round(min(99.0, max(0.0, m.pitch + m.jitter.pitch * (2.0 * u[2] - 1.0)))))
        speed = int(round(min(450.0, max(80.0, m.speed * (1.0 + m.jitter.speed * (2.0 * u[3] - 1.0))))))
        level = m.level_dbfs + m.jitter.level_db * (2.0 * u[4] - 1.0)
        peak = 32768.0 * 10.0 ** (level / 20.0)
        x = speak(word, rate_hz=rate, voice=voice, pitch=pitch, speed=speed, peak=peak)
        dur = len(x) / rate
        if reps is None and t + dur > limit_s:
            break
        out.append((word, t, x))
        t += dur + m.gap_s + m.jitter.gap_s * u[5]
        i += 1
    return out, t


def _natural(m: SpeechSpec, rate: float, rng) -> float:
    return _plan(m, rate, rng, None)[1]


@register("speech", SpeechSpec, natural=_natural)
def _speech(m: SpeechSpec, n, rate, nch, rng):
    plan, _ = _plan(m, rate, rng, n / rate)
    out = np.zeros(n)
    labels = []
    for word, start, x in plan:
        k0 = min(n, math.ceil(start * rate - 1e-9))
        k1 = min(n, k0 + len(x))
        if k0 >= n:
            break
        out[k0:k1] += x[:k1 - k0]
        labels.append(Label(start, min(start + len(x) / rate, n / rate), word))
    if m.noise > 0:
        out = out + m.noise * dm.normal(rng(1), (n,))
    return np.repeat(out[:, None], nch, axis=1), "pcm", tuple(labels)
