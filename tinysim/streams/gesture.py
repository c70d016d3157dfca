"""Magic-wand gestures (as in TFLM's magic_wand example) for an IMU.

Model
-----
World frame: x to the user's right, y forward (away from the user), z up.
The hand draws a figure in the vertical x-z plane in front of the user:

* ``wing``  -- a W: four straight strokes, 0.30 m wide, 0.20 m tall;
* ``ring``  -- a clockwise circle of radius 0.10 m starting at the top;
* ``slope`` -- an angled stroke: from upper right diagonally down to the
  lower left, then right along the bottom (0.20 m x 0.20 m).

Each stroke is a minimum-jerk move (the smooth speed profile of human
reaching), so positions, velocities and accelerations are analytic. W and
slope end with a slow return stroke to the start point, so the hand is back
at rest in its start pose between gestures. At ``speed: 1`` a wing takes
2.2 s, a ring 1.2 s, a slope 1.55 s (including the return); peak
accelerations are about 1 g.

The board turns with the hand: it pivots around the elbow 0.40 m behind it,
pitching up by z/0.40 rad and yawing by -x/0.40 rad. So the accelerometer
sees the motion *and* gravity tilting, and the gyroscope the pivot rate; the
two outputs of the same spec and seed describe the same motion.

``orientation`` (roll, pitch, yaw in degrees; applied as yaw, then pitch,
then roll -- R = Rz(yaw) Ry(pitch) Rx(roll)) is how the board is held.
At zero the board's axes are the world's, so at rest the accelerometer
reads (0, 0, +1) g.

Each repetition draws, uniformly and independently from the seed, a speed
factor in [1 - j, 1 + j] (``jitter.speed``), a size factor in [1 - j, 1 + j]
(``jitter.amplitude``) and a tilt of the drawing (roll, pitch and yaw each
in [-j, +j] degrees, ``jitter.orientation_deg``).

Timeline: ``lead_s`` at rest, then each gesture followed by ``gap_s`` at
rest. Without ``repeat`` the gestures repeat while they fit in the requested
duration (if no duration is asked for: once through the ``gesture`` list).
Each gesture gets a Label.
"""

from __future__ import annotations

import difflib
import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from . import _detmath as dm
from .schema import NonNegative, Number, SpecBase, bounded, fail, register
from .stream import Label

GESTURES = ("wing", "ring", "slope")
G0 = 9.80665      # m/s^2 per g
PIVOT_M = 0.40    # elbow-to-board distance of the pivot model
_RAD_TO_DEG = 180.0 / math.pi

# (h, v) waypoints in metres and stroke durations in seconds at speed 1.
_STROKES = {
    "wing": ([(-0.15, 0.10), (-0.075, -0.10), (0.0, 0.06), (0.075, -0.10), (0.15, 0.10), (-0.15, 0.10)],
             [0.35, 0.35, 0.35, 0.35, 0.80]),
    "slope": ([(0.10, 0.10), (-0.10, -0.10), (0.10, -0.10), (0.10, 0.10)],
              [0.50, 0.35, 0.70]),
}
_RING_R, _RING_S = 0.10, 1.2


def template_duration(name: str) -> float:
    return _RING_S if name == "ring" else float(sum(_STROKES[name][1]))


def _min_jerk(s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Position, first and second derivative (per unit s) of 10s^3 - 15s^4 + 6s^5."""
    s2 = s * s
    return (s2 * s * (10.0 + s * (-15.0 + 6.0 * s)),
            s2 * (30.0 + s * (-60.0 + 30.0 * s)),
            s * (60.0 + s * (-180.0 + 120.0 * s)))


def template(name: str, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hand (h, v) position relative to the start, velocity and acceleration at template time u."""
    pos, vel, acc = (np.zeros((len(u), 2)) for _ in range(3))
    if name == "ring":
        s = np.clip(u / _RING_S, 0.0, 1.0)
        sig, dsig, ddsig = _min_jerk(s)
        theta_c = sig                                  # angle in turns
        w = 2.0 * math.pi * dsig / _RING_S             # rad/s
        dw = 2.0 * math.pi * ddsig / (_RING_S * _RING_S)
        sn, cs = dm.sin_cycles(theta_c), dm.cos_cycles(theta_c)
        pos[:, 0], pos[:, 1] = _RING_R * sn, _RING_R * cs - _RING_R
        vel[:, 0], vel[:, 1] = _RING_R * w * cs, -_RING_R * w * sn
        acc[:, 0] = _RING_R * (dw * cs - w * w * sn)
        acc[:, 1] = _RING_R * (-dw * sn - w * w * cs)
        return pos, vel, acc
    points, durations = _STROKES[name]
    start = np.array(points[0])
    t0 = 0.0
    for p0, p1, d in zip(points, points[1:], durations):
        inside = (u >= t0) & (u < t0 + d)
        sig, dsig, ddsig = _min_jerk((u[inside] - t0) / d)
        delta = np.array(p1) - np.array(p0)
        pos[inside] = (np.array(p0) - start) + sig[:, None] * delta
        vel[inside] = (dsig / d)[:, None] * delta
        acc[inside] = (ddsig / (d * d))[:, None] * delta
        t0 += d
    pos[u >= t0] = np.array(points[-1]) - start
    return pos, vel, acc


def rotation(roll_deg: float, pitch_deg: float, yaw_deg: float) -> list[list[float]]:
    """Rz(yaw) Ry(pitch) Rx(roll) as nested lists (kept off BLAS on purpose)."""
    (cr, cp, cy), (sr, sp, sy) = (dm.cos_cycles(np.array([roll_deg, pitch_deg, yaw_deg]) / 360.0).tolist(),
                                  dm.sin_cycles(np.array([roll_deg, pitch_deg, yaw_deg]) / 360.0).tolist())
    return [[cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
            [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
            [-sp, cp * sr, cp * cr]]


def apply(m: list[list[float]], v: np.ndarray, transpose: bool = False) -> np.ndarray:
    """m @ v (or m.T @ v) for rows of v, as separate multiplies and adds."""
    out = np.empty_like(v)
    for i in range(3):
        coef = [m[j][i] for j in range(3)] if transpose else m[i]
        out[:, i] = v[:, 0] * coef[0] + v[:, 1] * coef[1] + v[:, 2] * coef[2]
    return out


# --------------------------------------------------------------------------- spec


def _gesture_names(value: Any) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not names:
        raise fail(f"expected a gesture name ({', '.join(GESTURES)}) or a list of them, got {value!r}")
    for n in names:
        if n not in GESTURES:
            close = difflib.get_close_matches(str(n), GESTURES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise fail(f"unknown gesture {n!r}{hint}; known: {', '.join(GESTURES)}")
    return tuple(names)


class Orientation(BaseModel):
    """How the board is held, in degrees."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    roll: Number = 0.0
    pitch: Number = 0.0
    yaw: Number = 0.0


class Jitter(BaseModel):
    """Per-repetition variation: relative speed and size, tilt of the drawing in degrees."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    speed: Annotated[float, BeforeValidator(bounded(ge=0, le=0.5))] = 0.1
    amplitude: Annotated[float, BeforeValidator(bounded(ge=0, le=0.5))] = 0.1
    orientation_deg: Annotated[float, BeforeValidator(bounded(ge=0, le=45))] = 5.0


class GestureSpec(SpecBase):
    """Accelerometer (g) or gyroscope (dps) of a hand drawing magic-wand gestures."""

    type: Literal["gesture"]
    gesture: Annotated[tuple[str, ...], BeforeValidator(_gesture_names)] = Field(
        description="wing, ring or slope, or a list of them used in turn (see order).")
    order: Literal["cycle", "random"] = "cycle"
    output: Literal["accel", "gyro"] = "accel"
    orientation: Orientation = Orientation()
    speed: Annotated[float, BeforeValidator(bounded(gt=0, le=10))] = 1.0
    amplitude: Annotated[float, BeforeValidator(bounded(gt=0, le=10))] = 1.0
    noise: NonNegative = Field(default=0.0, description="White noise std, in g (accel) or dps (gyro).")
    repeat: Annotated[int, Field(strict=True, ge=1, le=100000)] | None = None
    gap_s: NonNegative = 0.5
    lead_s: NonNegative = 0.5
    jitter: Jitter = Jitter()


def _plan(m: GestureSpec, rate: float, rng, limit_s: float | None):
    """[(name, start_s, duration_s, speed, size, (roll, pitch, yaw))] of each repetition."""
    r = rng(0)
    out, t, i = [], m.lead_s, 0
    reps = m.repeat if m.repeat is not None else (None if limit_s is not None else len(m.gesture))
    while reps is None or i < reps:
        u = dm.uniform(r, (6,)).tolist()   # same draws per repetition whatever is used
        name = dm.pick(m.gesture, m.order, i, u[0])
        speed = m.speed * (1.0 + m.jitter.speed * (2.0 * u[1] - 1.0))
        size = m.amplitude * (1.0 + m.jitter.amplitude * (2.0 * u[2] - 1.0))
        tilt = tuple(m.jitter.orientation_deg * (2.0 * x - 1.0) for x in u[3:6])
        dur = template_duration(name) / speed
        if reps is None and t + dur > limit_s:
            break
        out.append((name, t, dur, speed, size, tilt))
        t += dur + m.gap_s
        i += 1
    return out, t


def _natural(m: GestureSpec, rate: float, rng) -> float:
    return _plan(m, rate, rng, None)[1]


@register("gesture", GestureSpec, fixed_channels=3, natural=_natural)
def _gesture(m: GestureSpec, n, rate, nch, rng):
    plan, _ = _plan(m, rate, rng, n / rate)
    pos, vel, acc = (np.zeros((n, 3)) for _ in range(3))
    labels = []
    for name, start, dur, speed, size, tilt in plan:
        k0 = min(n, math.ceil(start * rate - 1e-9))
        k1 = min(n, math.ceil((start + dur) * rate - 1e-9))
        if k0 >= n:
            break
        u = (np.arange(k0, k1, dtype=np.float64) / rate - start) * speed   # template time
        p2, v2, a2 = template(name, u)
        tilt_m = rotation(*tilt)
        for dst, src, scale in ((pos, p2, size), (vel, v2, size * speed),
                                (acc, a2, size * speed * speed)):
            plane = np.zeros((k1 - k0, 3))
            plane[:, 0], plane[:, 2] = src[:, 0] * scale, src[:, 1] * scale
            dst[k0:k1] = apply(tilt_m, plane)
        labels.append(Label(start, min(start + dur, n / rate), name))
    # Pivot model: pitch alpha = z / L, yaw beta = -x / L (radians).
    alpha_c = pos[:, 2] / PIVOT_M / (2.0 * math.pi)       # in turns for _detmath
    beta_c = -pos[:, 0] / PIVOT_M / (2.0 * math.pi)
    sa, ca = dm.sin_cycles(alpha_c), dm.cos_cycles(alpha_c)
    sb, cb = dm.sin_cycles(beta_c), dm.cos_cycles(beta_c)
    held = rotation(m.orientation.roll, m.orientation.pitch, m.orientation.yaw)
    if m.output == "accel":
        fx, fy, fz = acc[:, 0] / G0, acc[:, 1] / G0, acc[:, 2] / G0 + 1.0  # specific force, g
        x1, y1 = cb * fx + sb * fy, cb * fy - sb * fx                    # Rz(beta)^T
        hand = np.stack([x1, ca * y1 + sa * fz, ca * fz - sa * y1], axis=1)  # Rx(alpha)^T
        out, unit, purpose = apply(held, hand, transpose=True), "g", 1
    else:
        da, db = vel[:, 2] / PIVOT_M, -vel[:, 0] / PIVOT_M             # rad/s
        hand = np.stack([da, db * sa, db * ca], axis=1) * _RAD_TO_DEG
        out, unit, purpose = apply(held, hand, transpose=True), "dps", 2
    if m.noise > 0:
        out = out + m.noise * dm.normal(rng(purpose), (n, 3))
    return out, unit, tuple(labels)
