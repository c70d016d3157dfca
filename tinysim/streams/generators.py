"""Elementary signal generators: sine, square, chirp, noises, constant, impulse, step, random walk.

All produce unitless values ("1"); a spec's ``unit:`` (or the context it is
used in) gives them one. Numeric keys accept a number, or a list with one
value per channel; the channel count is ``channels:`` if given, else the
longest such list. Time ``t`` runs from 0 at the first sample of the part.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BeforeValidator, Field

from . import _detmath as dm
from .schema import (NonNegative, PerChannel, Positive, SpecBase, fail, per_channel,
                     register)
from .units import DIMENSIONLESS

PositivePerChannel = Annotated[tuple[float, ...], BeforeValidator(per_channel(gt=0))]
NonNegPerChannel = Annotated[tuple[float, ...], BeforeValidator(per_channel(ge=0))]
Fraction01 = Annotated[tuple[float, ...], BeforeValidator(per_channel(ge=0, le=1))]


def col(values: tuple[float, ...], nch: int) -> np.ndarray:
    """Per-channel values as a (1, nch) row, broadcasting a single value."""
    v = np.asarray(values, dtype=np.float64)
    return np.broadcast_to(v if v.size == nch else v[:1], (nch,)).reshape(1, nch)


def _cycles(n: int, rate: float, freq: np.ndarray, phase_deg: np.ndarray) -> np.ndarray:
    # Phase in turns: f * k / rate, then the exact range reduction in _detmath.
    k = np.arange(n, dtype=np.float64)[:, None]
    return (k * freq) / rate + phase_deg / 360.0


# --------------------------------------------------------------------------- periodic


class SineSpec(SpecBase):
    """amplitude * sin(2 pi (freq_hz t + phase_deg / 360)) + offset."""

    type: Literal["sine"]
    freq_hz: NonNegPerChannel
    amplitude: PerChannel = (1.0,)
    phase_deg: PerChannel = (0.0,)


@register("sine", SineSpec)
def _sine(m: SineSpec, n, rate, nch, rng):
    cyc = _cycles(n, rate, col(m.freq_hz, nch), col(m.phase_deg, nch))
    return col(m.amplitude, nch) * dm.sin_cycles(cyc), DIMENSIONLESS, ()


class SquareSpec(SpecBase):
    """+amplitude for the first ``duty`` fraction of each period, -amplitude for the rest."""

    type: Literal["square"]
    freq_hz: NonNegPerChannel
    amplitude: PerChannel = (1.0,)
    phase_deg: PerChannel = (0.0,)
    duty: Fraction01 = (0.5,)


@register("square", SquareSpec)
def _square(m: SquareSpec, n, rate, nch, rng):
    cyc = _cycles(n, rate, col(m.freq_hz, nch), col(m.phase_deg, nch))
    amp = col(m.amplitude, nch)
    return np.where(cyc - np.floor(cyc) < col(m.duty, nch), amp, -amp), DIMENSIONLESS, ()


class ChirpSpec(SpecBase):
    """A sine sweeping from f0_hz at the start of the part to f1_hz at its end."""

    type: Literal["chirp"]
    f0_hz: NonNegPerChannel
    f1_hz: NonNegPerChannel
    method: Literal["linear", "exponential"] = "linear"
    amplitude: PerChannel = (1.0,)
    phase_deg: PerChannel = (0.0,)


def _check_chirp(m: ChirpSpec) -> list[tuple[tuple, str]]:
    if m.method == "exponential":
        return [((key,), "must be > 0 for method: exponential")
                for key in ("f0_hz", "f1_hz") if min(getattr(m, key)) <= 0]
    return []


@register("chirp", ChirpSpec, check=_check_chirp)
def _chirp(m: ChirpSpec, n, rate, nch, rng):
    f0, f1 = col(m.f0_hz, nch), col(m.f1_hz, nch)
    span = max(n, 1) / rate                      # the sweep spans the whole part
    t = np.arange(n, dtype=np.float64)[:, None] / rate
    if m.method == "linear":
        cyc = f0 * t + (f1 - f0) * (t * t) / (2.0 * span)
    else:
        # instantaneous f = f0 * (f1/f0)^(t/T); its integral in turns:
        ln_k = dm.log(f1 / f0)
        same = ln_k == 0.0
        safe = np.where(same, 1.0, ln_k)
        swept = f0 * span / safe * (dm.exp(safe * t / span) - 1.0)
        cyc = np.where(same, f0 * t, swept)
    cyc = cyc + col(m.phase_deg, nch) / 360.0
    return col(m.amplitude, nch) * dm.sin_cycles(cyc), DIMENSIONLESS, ()


# --------------------------------------------------------------------------- noise


class WhiteNoiseSpec(SpecBase):
    """Independent Gaussian samples per channel."""

    type: Literal["white_noise"]
    std: NonNegPerChannel = (1.0,)


@register("white_noise", WhiteNoiseSpec)
def _white(m: WhiteNoiseSpec, n, rate, nch, rng):
    return col(m.std, nch) * dm.normal(rng(0), (n, nch)), DIMENSIONLESS, ()


class PinkNoiseSpec(SpecBase):
    """1/f noise (Voss-McCartney), scaled to standard deviation ``std``."""

    type: Literal["pink_noise"]
    std: NonNegPerChannel = (1.0,)


@register("pink_noise", PinkNoiseSpec)
def _pink(m: PinkNoiseSpec, n, rate, nch, rng):
    # Voss-McCartney: row j holds a Gaussian value for 2**j samples, rows
    # staggered by random offsets. The sum has a PSD close to 1/f between
    # rate / 2**rows and rate / 2; its variance is exactly `rows`.
    rows = min(32, max(1, math.ceil(math.log2(max(n, 2)))))
    r = rng(0)
    k = np.arange(n, dtype=np.int64)[:, None]
    chan = np.arange(nch)[None, :]
    acc = np.zeros((n, nch))
    for j in range(rows):
        block = 1 << j
        off = np.floor(dm.uniform(r, (nch,)) * block).astype(np.int64)[None, :]
        vals = dm.normal(r, ((n + block - 1) // block + 1, nch))
        acc += vals[(k + off) // block, chan]
    return col(m.std, nch) * acc / math.sqrt(rows), DIMENSIONLESS, ()


# --------------------------------------------------------------------------- events


class ConstantSpec(SpecBase):
    """``value`` throughout: silence, gravity, a supply voltage."""

    type: Literal["constant"]
    value: PerChannel = (0.0,)


@register("constant", ConstantSpec)
def _constant(m: ConstantSpec, n, rate, nch, rng):
    return np.repeat(col(m.value, nch), n, axis=0), DIMENSIONLESS, ()


class ImpulseSpec(SpecBase):
    """``amplitude`` for ``width_s`` (default: one sample) starting at ``at_s``, else 0."""

    type: Literal["impulse"]
    at_s: NonNegative
    amplitude: PerChannel = (1.0,)
    width_s: Positive | None = None


def _index(t: float, rate: float) -> int:
    return int(math.floor(t * rate + 0.5))


@register("impulse", ImpulseSpec)
def _impulse(m: ImpulseSpec, n, rate, nch, rng):
    i0 = _index(m.at_s, rate)
    i1 = i0 + 1 if m.width_s is None else max(i0 + 1, _index(m.at_s + m.width_s, rate))
    out = np.zeros((n, nch))
    out[min(i0, n):min(i1, n)] = col(m.amplitude, nch)
    return out, DIMENSIONLESS, ()


class StepSpec(SpecBase):
    """``from`` before ``at_s``, ``to`` from then on."""

    type: Literal["step"]
    at_s: NonNegative
    from_: PerChannel = Field(default=(0.0,), alias="from")
    to: PerChannel = (1.0,)


@register("step", StepSpec)
def _step(m: StepSpec, n, rate, nch, rng):
    out = np.empty((n, nch))
    i0 = min(_index(m.at_s, rate), n)
    out[:i0] = col(m.from_, nch)
    out[i0:] = col(m.to, nch)
    return out, DIMENSIONLESS, ()


def _clamp(value: Any) -> tuple[float, float]:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        lo, hi = (per_channel()(v)[0] for v in value)
    elif not isinstance(value, (list, tuple)):
        c = per_channel(gt=0)(value)[0]
        lo, hi = -c, c
    else:
        raise fail(f"expected [low, high] or a positive number c (meaning [-c, c]), got {value!r}")
    if not lo < hi:
        raise fail(f"low must be below high, got [{lo:g}, {hi:g}]")
    return lo, hi


class RandomWalkSpec(SpecBase):
    """Cumulative sum of Gaussian steps from ``start``, optionally held inside ``clamp``."""

    type: Literal["random_walk"]
    step_std: NonNegPerChannel = (1.0,)
    start: PerChannel = (0.0,)
    clamp: Annotated[tuple[float, float], BeforeValidator(_clamp)] | None = None


@register("random_walk", RandomWalkSpec)
def _random_walk(m: RandomWalkSpec, n, rate, nch, rng):
    steps = col(m.step_std, nch) * dm.normal(rng(0), (n, nch))
    start = col(m.start, nch)
    if m.clamp is None:
        return start + np.cumsum(steps, axis=0), DIMENSIONLESS, ()
    # A walk that saturates at the bounds: inherently sequential.
    lo, hi = m.clamp
    out = np.empty((n, nch))
    for c in range(nch):
        x = min(max(float(start[0, c]), lo), hi)
        col_out = out[:, c]
        for i, s in enumerate(steps[:, c].tolist()):
            x = min(max(x + s, lo), hi)
            col_out[i] = x
    return out, DIMENSIONLESS, ()
