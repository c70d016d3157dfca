"""Building blocks of stream specs: value types, the common keys, the registry.

Each generator declares a pydantic model (unknown keys forbidden, so a typo
is an error) deriving from :class:`SpecBase`, and registers itself with
:func:`register`. Keys that carry units say so in their name (``freq_hz``,
``at_s``, ``phase_deg``), like the rest of tinysim.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Callable

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from .stream import Label
from .units import canonical_unit

__all__ = ["SpecBase", "Number", "PerChannel", "Positive", "NonNegative", "Unit", "Channels",
           "GeneratorDef", "GENERATORS", "register", "fail", "RngFactory", "per_channel", "bounded"]


def fail(text: str) -> PydanticCustomError:
    # Text goes through the context so braces in user input can't break formatting.
    return PydanticCustomError("tinysim_value", "{text}", {"text": text})


def _to_float(value: Any) -> float:
    # YAML 1.1 reads 1e-3 (no dot) as a string; accept numeric strings for that reason.
    if isinstance(value, bool):
        raise fail(f"expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        x = float(value)
    elif isinstance(value, str):
        try:
            x = float(value.strip())
        except ValueError:
            raise fail(f"expected a number, got {value!r}") from None
    else:
        raise fail(f"expected a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(x):
        raise fail(f"expected a finite number, got {value!r}")
    return x


def bounded(ge: float | None = None, gt: float | None = None, le: float | None = None):
    def check(value: Any) -> float:
        x = _to_float(value)
        if ge is not None and x < ge:
            raise fail(f"must be >= {ge:g}, got {value!r}")
        if gt is not None and x <= gt:
            raise fail(f"must be > {gt:g}, got {value!r}")
        if le is not None and x > le:
            raise fail(f"must be <= {le:g}, got {value!r}")
        return x
    return check


def per_channel(ge: float | None = None, gt: float | None = None, le: float | None = None):
    """A number, or a list of numbers with one per channel."""
    one = bounded(ge, gt, le)

    def check(value: Any) -> tuple[float, ...]:
        if isinstance(value, (list, tuple)):
            if not value:
                raise fail("expected a number or a non-empty list of numbers (one per channel)")
            return tuple(one(v) for v in value)
        return (one(value),)
    return check


Number = Annotated[float, BeforeValidator(_to_float)]
Positive = Annotated[float, BeforeValidator(bounded(gt=0))]
NonNegative = Annotated[float, BeforeValidator(bounded(ge=0))]
PerChannel = Annotated[tuple[float, ...], BeforeValidator(per_channel())]


def _unit(value: Any) -> str:
    if not isinstance(value, str):
        raise fail(f"expected a unit name like g or dps, got {value!r}")
    try:
        return canonical_unit(value)
    except ValueError as e:
        raise fail(str(e)) from None


def _channels(value: Any) -> int | tuple[str, ...]:
    if isinstance(value, bool):
        raise fail(f"expected a channel count or a list of names, got {value!r}")
    if isinstance(value, int):
        if not 1 <= value <= 64:
            raise fail(f"channel count must be 1..64, got {value}")
        return value
    if isinstance(value, (list, tuple)) and value:
        names = tuple(value)
        if not all(isinstance(c, str) and c for c in names):
            raise fail("channel names must be non-empty strings")
        if len(set(names)) != len(names):
            raise fail(f"channel names must be distinct, got {list(names)}")
        return names
    raise fail(f"expected a channel count (e.g. 3) or a list of names (e.g. [x, y, z]), got {value!r}")


Unit = Annotated[str, BeforeValidator(_unit)]
Channels = Annotated[int | tuple[str, ...], BeforeValidator(_channels)]


class SpecBase(BaseModel):
    """Keys every spec may have."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    duration_s: Positive | None = Field(
        default=None, description="Length of this part; outside it the part contributes 0.")
    channels: Channels | None = Field(
        default=None, description="Channel count or names; default from the generator or its lists.")
    unit: Unit | None = Field(
        default=None, description="Unit of the values: labels unitless signals, converts others.")
    gain: PerChannel = Field(default=(1.0,), description="Multiplier (per channel if a list).")
    offset: PerChannel = Field(default=(0.0,), description="Added after gain (per channel if a list).")


RngFactory = Callable[[int], np.random.Generator]
"""rng(purpose) -> an independent generator for one use inside one spec node."""

RenderFn = Callable[[Any, int, float, int, RngFactory], tuple[np.ndarray, str, tuple[Label, ...]]]
"""render(model, n_samples, rate_hz, n_channels, rng) -> (data (n, c), unit, labels)."""


@dataclass(frozen=True)
class GeneratorDef:
    name: str
    model: type[SpecBase]
    render: RenderFn
    fixed_channels: int | None = None  # e.g. 3 for IMU/vibration generators
    # natural(model, rate_hz, rng) -> seconds, for generators with an intrinsic length
    natural: Callable[[Any, float, RngFactory], float] | None = None
    # extra cross-field checks: check(model) -> [(key path, message)]
    check: Callable[[Any], list[tuple[tuple, str]]] | None = None

    @property
    def per_channel_fields(self) -> list[str]:
        return [n for n, f in self.model.model_fields.items()
                if f.annotation == tuple[float, ...] and n not in ("gain", "offset")]


GENERATORS: dict[str, GeneratorDef] = {}


def register(name: str, model: type[SpecBase], *, fixed_channels: int | None = None,
             natural=None, check=None):
    """Decorator: make ``render`` the generator for ``type: name``."""
    def deco(render: RenderFn) -> RenderFn:
        GENERATORS[name] = GeneratorDef(name, model, render, fixed_channels, natural, check)
        return render
    return deco

