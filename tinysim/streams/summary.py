"""Summaries of a stream for people: numbers (``describe``) and terminal sparklines."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .stream import Stream

__all__ = ["describe", "sparkline"]

_BLOCKS = "▁▂▃▄▅▆▇█"


def describe(stream: Stream) -> dict[str, Any]:
    """Plain (JSON-ready) facts: size, rate, timing, unit and per-channel statistics."""
    x = stream.data
    empty = stream.n_samples == 0
    return {
        "n_samples": stream.n_samples,
        "rate_hz": stream.rate_hz,
        "duration_s": stream.duration_s,
        "t0_s": stream.t0_s,
        "unit": stream.unit,
        "channels": [
            {"name": name,
             "min": None if empty else float(x[:, i].min()),
             "max": None if empty else float(x[:, i].max()),
             "mean": None if empty else float(x[:, i].mean()),
             "rms": None if empty else float(np.sqrt(np.mean(x[:, i] * x[:, i])))}
            for i, name in enumerate(stream.channels)],
        "labels": [{"start_s": lb.start_s, "end_s": lb.end_s, "name": lb.name}
                   | ({} if lb.severity is None else {"severity": lb.severity}) for lb in stream.labels],
    }


def sparkline(stream: Stream, width: int = 60) -> list[str]:
    """One line per channel: ``name ▁▃▇█▅▂… [min, max] unit``.

    Each character stands for a bucket of samples and shows the sample that
    deviates most from the channel's mean, so oscillations and spikes stay
    visible instead of averaging out. The scale is per channel.
    """
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    pad = max((len(c) for c in stream.channels), default=0)
    lines = []
    for i, name in enumerate(stream.channels):
        x = stream.data[:, i]
        if x.size == 0:
            lines.append(f"{name:<{pad}} (empty)")
            continue
        cols = min(width, x.size)
        edges = np.linspace(0, x.size, cols + 1).astype(int)
        mean = x.mean()
        picks = np.array([seg[np.argmax(np.abs(seg - mean))]
                          for seg in (x[a:b] for a, b in zip(edges[:-1], edges[1:]))])
        lo, hi = float(x.min()), float(x.max())
        if hi > lo:
            levels = np.clip(((picks - lo) / (hi - lo) * len(_BLOCKS)).astype(int), 0, len(_BLOCKS) - 1)
        else:
            levels = np.full(cols, len(_BLOCKS) // 2 - 1)
        blocks = "".join(_BLOCKS[k] for k in levels)
        lines.append(f"{name:<{pad}} {blocks} [{_num(lo)}, {_num(hi)}] {stream.unit}")
    return lines


def _num(v: float) -> str:
    return f"{v:.4g}" if math.isfinite(v) else str(v)
