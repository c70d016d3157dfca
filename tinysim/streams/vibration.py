"""Vibration of a rotating machine, as a 3-axis accelerometer (g) on its bearing housing.

Axes: x radial (horizontal), y radial (vertical, the bearing's load zone),
z axial. With shaft frequency f = rpm / 60:

* imbalance -- a force rotating with the shaft: amplitude ``imbalance`` at 1x
  on x and y in quadrature (a circle), 0.1x that on z;
* misalignment -- 2x, typically strongest axially: ``misalignment`` on z,
  half of it on x and y;
* bearing outer-race fault -- a tone at BPFO = ``bpfo_order`` x f (3.58 is
  typical of a 6205 deep-groove bearing), amplitude-modulated at 1x with
  depth ``bearing_modulation`` (sidebands at BPFO +- f): ``bearing_fault`` on
  y, half on x, 0.2x on z;
* ``noise``: white Gaussian, per axis.

Component phases are drawn from the seed. Gravity is not included: add it
with ``offset``, e.g. ``offset: [0, 0, 1]`` for a sensor with z up.

Ground truth: each component drawn with a non-zero amplitude (``imbalance``,
``misalignment``, ``bearing_fault``) labels the whole stream, its amplitude in g
as the label's severity; which of them count as faults is the consumer's call
(a sweep's ``detect.events``).
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import BeforeValidator

from . import _detmath as dm
from .schema import NonNegative, Positive, SpecBase, bounded, register
from .stream import Label


class VibrationSpec(SpecBase):
    """Rotating-machine vibration: shaft harmonics and a bearing defect tone."""

    type: Literal["vibration"]
    rpm: Positive
    imbalance: NonNegative = 0.05
    misalignment: NonNegative = 0.0
    bearing_fault: NonNegative = 0.0
    bpfo_order: Positive = 3.58
    bearing_modulation: Annotated[float, BeforeValidator(bounded(ge=0, le=1))] = 0.5
    noise: NonNegative = 0.005


@register("vibration", VibrationSpec, fixed_channels=3)
def _vibration(m: VibrationSpec, n, rate, nch, rng):
    f = m.rpm / 60.0
    ph = dm.uniform(rng(0), (7,)).tolist()
    t = np.arange(n, dtype=np.float64) / rate
    shaft = f * t + ph[0]
    one_x, one_y = dm.cos_cycles(shaft), dm.sin_cycles(shaft)
    one_z = dm.cos_cycles(f * t + ph[1])
    two = [dm.cos_cycles(2.0 * f * t + p) for p in ph[2:5]]
    env = 1.0 + m.bearing_modulation * dm.cos_cycles(f * t + ph[6])
    tone = m.bearing_fault * env * dm.cos_cycles(m.bpfo_order * f * t + ph[5])
    out = np.empty((n, 3))
    out[:, 0] = m.imbalance * one_x + 0.5 * m.misalignment * two[0] + 0.5 * tone
    out[:, 1] = m.imbalance * one_y + 0.5 * m.misalignment * two[1] + tone
    out[:, 2] = 0.1 * m.imbalance * one_z + m.misalignment * two[2] + 0.2 * tone
    if m.noise > 0:
        out = out + m.noise * dm.normal(rng(1), (n, 3))
    labels = tuple(Label(0.0, n / rate, name, float(amp)) for name, amp in (
        ("imbalance", m.imbalance), ("misalignment", m.misalignment), ("bearing_fault", m.bearing_fault))
        if amp > 0)
    return out, "g", labels
