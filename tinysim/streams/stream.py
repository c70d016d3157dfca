"""The Stream: a uniformly sampled, multi-channel time series with a unit.

Sample ``k`` of a stream is at time ``t0_s + k / rate_hz``; the stream covers
``[t0_s, t0_s + n / rate_hz)``. Streams are immutable: the array is a private
read-only float64 copy, and every operation returns a new Stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
import numpy as np

from ..errors import TinysimError
from .units import DIMENSIONLESS, UNITS, canonical_unit, conversion_factor, unit_family

__all__ = ["Stream", "Label", "StreamError", "interp_uniform", "interp_times", "default_channels", "nice_rate"]


class StreamError(TinysimError):
    """A stream file cannot be read or written, or a stream operation is impossible."""


@dataclass(frozen=True)
class Label:
    """Ground truth attached to a span of a stream, e.g. where a gesture is, or a machine
    fault and its severity (the generator's amplitude, in the stream's unit)."""

    start_s: float
    end_s: float
    name: str
    severity: float | None = None

    def span(self, start_s: float, end_s: float) -> "Label":
        return Label(start_s, end_s, self.name, self.severity)


def default_channels(n: int, unit: str | None = None) -> tuple[str, ...]:
    if n == 1 and unit in ("pcm", "fs"):
        return ("pcm",)
    if n == 3:
        return ("x", "y", "z")
    return tuple(f"ch{i}" for i in range(n))


@dataclass(frozen=True, eq=False)
class Stream:
    data: np.ndarray  # (n_samples, n_channels) float64, read-only
    rate_hz: float
    channels: tuple[str, ...]
    unit: str  # canonical name, see tinysim.streams.units.UNITS
    t0_s: float = 0.0
    labels: tuple[Label, ...] = field(default=())

    def __post_init__(self) -> None:
        data = np.array(self.data, dtype=np.float64, order="C", copy=True)
        if data.ndim == 1:
            data = data.reshape(-1, 1)
        if data.ndim != 2:
            raise StreamError(f"stream data must be 1-D or 2-D (samples x channels), got shape {data.shape}")
        if not np.all(np.isfinite(data)):
            bad = int(np.argwhere(~np.isfinite(data))[0][0])
            raise StreamError(f"stream data must be finite; sample {bad} is {data[bad].tolist()}")
        rate = float(self.rate_hz)
        if not (math.isfinite(rate) and rate > 0):
            raise StreamError(f"rate_hz must be a positive number, got {self.rate_hz!r}")
        channels = (self.channels,) if isinstance(self.channels, str) else tuple(self.channels)
        if not channels:
            channels = default_channels(data.shape[1], self.unit)
        if len(channels) != data.shape[1]:
            raise StreamError(f"{len(channels)} channel names {list(channels)} for data with "
                              f"{data.shape[1]} channels")
        if len(set(channels)) != len(channels) or not all(isinstance(c, str) and c for c in channels):
            raise StreamError(f"channel names must be distinct non-empty strings, got {list(channels)}")
        try:
            unit = canonical_unit(self.unit)
        except ValueError as e:
            raise StreamError(str(e)) from None
        t0 = float(self.t0_s)
        if not math.isfinite(t0):
            raise StreamError(f"t0_s must be finite, got {self.t0_s!r}")
        data.setflags(write=False)
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "rate_hz", rate)
        object.__setattr__(self, "channels", channels)
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "t0_s", t0)
        object.__setattr__(self, "labels", tuple(self.labels))

    # ------------------------------------------------------------------ properties

    @property
    def n_samples(self) -> int:
        return self.data.shape[0]

    @property
    def n_channels(self) -> int:
        return self.data.shape[1]

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.rate_hz

    @property
    def end_s(self) -> float:
        """One sample period past the last sample."""
        return self.t0_s + self.duration_s

    @property
    def times(self) -> np.ndarray:
        return self.t0_s + np.arange(self.n_samples) / self.rate_hz

    def channel(self, name: str) -> np.ndarray:
        try:
            return self.data[:, self.channels.index(name)]
        except ValueError:
            raise StreamError(f"no channel {name!r}; channels: {', '.join(self.channels)}") from None

    def __eq__(self, other: object) -> bool:
        # Bit-exact equality: determinism is a promise about bytes.
        if not isinstance(other, Stream):
            return NotImplemented
        return (self.rate_hz == other.rate_hz and self.channels == other.channels
                and self.unit == other.unit and self.t0_s == other.t0_s
                and self.labels == other.labels and self.data.shape == other.data.shape
                and self.data.tobytes() == other.data.tobytes())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Stream({self.n_samples} x {list(self.channels)} {self.unit} @ {self.rate_hz:g} Hz, "
                f"t0={self.t0_s:g}s, {self.duration_s:g}s)")

    def replace(self, **changes) -> Stream:
        kw = dict(data=self.data, rate_hz=self.rate_hz, channels=self.channels, unit=self.unit,
                  t0_s=self.t0_s, labels=self.labels)
        kw.update(changes)
        return Stream(**kw)

    # ------------------------------------------------------------------ operations

    def to_unit(self, unit: str) -> Stream:
        """The same samples expressed in ``unit`` (g <-> m/s^2 <-> mg <-> ug,
        dps <-> mdps <-> rad/s, pcm <-> fs, ...). StreamError if incompatible."""
        try:
            target = canonical_unit(unit)
            factor = conversion_factor(self.unit, target)
        except ValueError as e:
            raise StreamError(f"cannot convert stream: {e}",
                              hint=f"a {unit_family(self.unit)} stream converts only to "
                                   f"{', '.join(u for u in UNITS if unit_family(u) == unit_family(self.unit))}"
                              if self.unit != DIMENSIONLESS else
                              "a stream with unit '1' has no physical unit: give its spec a 'unit:'") from None
        if target == self.unit:
            return self
        return self.replace(data=self.data * factor, unit=target)

    def window(self, start_s: float, length_s: float) -> Stream:
        """Samples in ``[start_s, start_s + length_s)``, times on this stream's clock
        (so with t0_s = 0, seconds from the start). Labels are clipped to the window."""
        if not (length_s > 0):
            raise StreamError(f"window length must be positive, got {length_s}")
        first = math.ceil((start_s - self.t0_s) * self.rate_hz - 1e-9)
        count = int(math.floor(length_s * self.rate_hz + 0.5))
        if first < 0 or first + count > self.n_samples or count < 1:
            raise StreamError(
                f"window [{start_s:g}, {start_s + length_s:g}) s is outside the stream "
                f"[{self.t0_s:g}, {self.end_s:g}) s",
                hint="pick a window inside the stream, or generate a longer one")
        t0 = self.t0_s + first / self.rate_hz
        t1 = t0 + count / self.rate_hz
        labels = tuple(lb.span(max(lb.start_s, t0), min(lb.end_s, t1))
                       for lb in self.labels if lb.end_s > t0 and lb.start_s < t1)
        return self.replace(data=self.data[first:first + count], t0_s=t0, labels=labels)

    def resample(self, rate_hz: float) -> Stream:
        """The stream at another rate, by linear interpolation.

        Same rate: an exact copy. Decimating by a factor r >= 2 first applies a
        boxcar (moving average) of round(r) samples, whose first spectral null
        is at the new rate: cheap anti-aliasing that attenuates, but does not
        remove, content above the new Nyquist frequency. The new stream starts
        at the same t0_s and covers the same span; the last output samples
        hold the last input value where they fall past it.
        """
        rate = float(rate_hz)
        if not (math.isfinite(rate) and rate > 0):
            raise StreamError(f"resample: rate_hz must be a positive number, got {rate_hz!r}")
        if rate == self.rate_hz:
            return self.replace()
        n_out = max(1, int(math.floor(self.n_samples * rate / self.rate_hz + 1e-9)))
        x = self.data
        shift = 0.0  # input-sample offset of the filtered signal's time base
        ratio = self.rate_hz / rate
        if ratio >= 2.0:
            x, shift = _boxcar(x, int(round(ratio)))
        # Output sample k sits at input position k * ratio.
        pos = np.arange(n_out, dtype=np.float64) * self.rate_hz / rate - shift
        return self.replace(data=interp_uniform(x, pos), rate_hz=rate)


def _boxcar(x: np.ndarray, length: int) -> tuple[np.ndarray, float]:
    """Moving average of ``length`` samples with edge-replicated ends.

    Summing shifted slices (not cumsum differences) keeps full precision on
    signals with a large constant part, e.g. gravity.
    """
    left = length // 2
    padded = np.concatenate([np.repeat(x[:1], left, axis=0), x,
                             np.repeat(x[-1:], length - 1 - left, axis=0)])
    acc = padded[0:x.shape[0]].copy()
    for i in range(1, length):
        acc += padded[i:i + x.shape[0]]
    # output j averages inputs j-left .. j-left+length-1: centred at j + (length-1)/2 - left
    return acc / length, (length - 1) / 2 - left


def interp_uniform(x: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Linear interpolation of rows of ``x`` at fractional row positions ``pos``
    (clamped to the ends). Plain elementwise arithmetic: bit-reproducible."""
    n = x.shape[0]
    if n == 1:
        return np.repeat(x, len(pos), axis=0)
    pos = np.clip(pos, 0.0, n - 1.0)
    i = np.minimum(np.floor(pos).astype(np.int64), n - 2)
    frac = (pos - i)[:, None]
    return x[i] + (x[i + 1] - x[i]) * frac


def interp_times(t: np.ndarray, x: np.ndarray, tq: np.ndarray) -> np.ndarray:
    """Linear interpolation of rows of ``x`` sampled at increasing times ``t``."""
    if len(t) == 1:
        return np.repeat(x, len(tq), axis=0)
    i = np.clip(np.searchsorted(t, tq, side="right") - 1, 0, len(t) - 2)
    frac = np.clip((tq - t[i]) / (t[i + 1] - t[i]), 0.0, 1.0)[:, None]
    return x[i] + (x[i + 1] - x[i]) * frac


def nice_rate(rate: float, tol: float = 1e-7) -> float:
    """``rate`` rounded to the fewest decimals (up to 6) within relative ``tol``:
    timestamps written as decimals give 99.99999999999 Hz for 100 Hz."""
    for decimals in range(7):
        r = round(rate, decimals)
        if r > 0 and abs(r - rate) <= tol * rate:
            return r
    return rate
