"""Sensor streams: the data tinysim feeds to emulated sensors.

A :class:`Stream` is a uniformly sampled multi-channel series with an
explicit rate and unit, made by a seeded generator (:func:`generate`) or read
from a recording (:func:`load`), and resampled to a sensor's output data
rate (:meth:`Stream.resample`). Generation is deterministic: the same spec
and seed give the same bytes on any machine (see ``_detmath``).

Specs (see :mod:`tinysim.streams.spec` for the rules)::

    # shorthand
    "sine(freq=2, amp=0.5) + white_noise(std=0.01)"

    # a wand held flat drawing W, O, L shapes for 10 s, in g, with sensor noise
    type: gesture
    gesture: [wing, ring, slope]
    noise: 0.01

    # a pump with a bearing fault on a z-up accelerometer
    type: vibration
    rpm: 2950
    bearing_fault: 0.2
    offset: [0, 0, 1]

    # 2 s of silence, then a tone until the end, for a PDM microphone
    concat:
      - {type: constant, value: 0, duration_s: 2}
      - {type: sine, freq_hz: 440, amplitude: 8000}
    unit: pcm
"""

from __future__ import annotations

from .formats import FORMATS, load, save
from .resd import encode_resd, load_resd, write_resd
from .spec import StreamSpec, generate, known_generators, parse_shorthand, parse_spec
from .stream import Label, Stream, StreamError
from .summary import describe, sparkline
from .units import UNITS, canonical_unit, conversion_factor

__all__ = [
    "Stream", "Label", "StreamError",
    "generate", "parse_spec", "StreamSpec", "known_generators", "parse_shorthand",
    "load", "save", "FORMATS", "load_resd", "write_resd", "encode_resd",
    "describe", "sparkline",
    "UNITS", "canonical_unit", "conversion_factor",
]
