"""Physical units of stream samples and the conversions between them.

Every unit belongs to one *family* (acceleration, angular rate, ...) and has a
scale relative to the family's base unit, kept as an exact fraction so that a
conversion factor is the correctly rounded ratio of two scales (g -> ug is
exactly 1e6, not 999999.9999999999).

``"1"`` is the dimensionless unit of synthetic signals that have not been
given a unit yet; it converts to nothing, but composition and ``generate(...,
unit=)`` let such a signal *adopt* a unit (see tinysim.streams.spec).
"""

from __future__ import annotations

import difflib
import math
from fractions import Fraction

__all__ = ["UNITS", "DIMENSIONLESS", "canonical_unit", "unit_family", "conversion_factor",
           "find_unit", "same_family"]

DIMENSIONLESS = "1"

_STANDARD_GRAVITY = Fraction("9.80665")  # m/s^2 per g (CGPM 1901)
_RAD = Fraction(180) / Fraction(math.pi)  # degrees per radian, from the double nearest pi

# canonical unit -> (family, scale in the family's base unit)
UNITS: dict[str, tuple[str, Fraction]] = {
    "g": ("acceleration", Fraction(1)),
    "mg": ("acceleration", Fraction(1, 10**3)),
    "ug": ("acceleration", Fraction(1, 10**6)),
    "m/s^2": ("acceleration", 1 / _STANDARD_GRAVITY),
    "dps": ("angular rate", Fraction(1)),
    "mdps": ("angular rate", Fraction(1, 10**3)),
    "udps": ("angular rate", Fraction(1, 10**6)),
    "rad/s": ("angular rate", _RAD),
    # 16-bit PCM counts; "fs" is full scale, -1..1 (one fs = 32768 counts)
    "pcm": ("audio", Fraction(1)),
    "fs": ("audio", Fraction(32768)),
    "V": ("voltage", Fraction(1)),
    "mV": ("voltage", Fraction(1, 10**3)),
    "uV": ("voltage", Fraction(1, 10**6)),
    "nV": ("voltage", Fraction(1, 10**9)),
    "C": ("temperature", Fraction(1)),
    "mC": ("temperature", Fraction(1, 10**3)),
    "T": ("magnetic flux density", Fraction(1)),
    "mT": ("magnetic flux density", Fraction(1, 10**3)),
    "uT": ("magnetic flux density", Fraction(1, 10**6)),
    "nT": ("magnetic flux density", Fraction(1, 10**9)),
    "gauss": ("magnetic flux density", Fraction(1, 10**4)),
    "Pa": ("pressure", Fraction(1)),
    "hPa": ("pressure", Fraction(100)),
    "kPa": ("pressure", Fraction(1000)),
    "%RH": ("relative humidity", Fraction(1)),
    "lx": ("illuminance", Fraction(1)),
    DIMENSIONLESS: ("dimensionless", Fraction(1)),
}

# Other spellings people write in headers and YAML. Matched exactly first,
# then case-insensitively (except where case carries meaning: T vs t, mg vs Mg).
_ALIASES = {
    "µg": "ug", "m/s2": "m/s^2", "m/s**2": "m/s^2", "mps2": "m/s^2", "m_s2": "m/s^2",
    "deg/s": "dps", "°/s": "dps", "degps": "dps", "µdps": "udps", "rad/sec": "rad/s",
    "rads": "rad/s", "counts": "pcm", "µV": "uV", "degC": "C", "°C": "C", "celsius": "C",
    "mdegC": "mC", "m°C": "mC", "µT": "uT", "G": "gauss", "%rh": "%RH", "rh": "%RH",
    "lux": "lx", "": DIMENSIONLESS, "none": DIMENSIONLESS,
}
_CASE_SENSITIVE = {"T", "mT", "uT", "nT", "G", "g", "mg", "ug", "mC", "C", "pcm", "Pa", "V"}
_FOLDED = {k.lower(): v for k, v in {**{u: u for u in UNITS}, **_ALIASES}.items()
           if k not in _CASE_SENSITIVE}


def find_unit(text: str) -> str | None:
    """Canonical name of ``text``, or None if it is not a unit we know."""
    if not isinstance(text, str):
        return None
    s = text.strip()
    if s in UNITS:
        return s
    if s in _ALIASES:
        return _ALIASES[s]
    return _FOLDED.get(s.lower())


def canonical_unit(text: str) -> str:
    """Canonical name of ``text``; ValueError (with suggestions) if unknown."""
    unit = find_unit(text)
    if unit is None:
        close = difflib.get_close_matches(str(text), list(UNITS) + list(_ALIASES), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown unit {text!r}{hint}; known units: {', '.join(UNITS)}")
    return unit


def unit_family(unit: str) -> str:
    return UNITS[canonical_unit(unit)][0]


def same_family(a: str, b: str) -> bool:
    return unit_family(a) == unit_family(b)


def conversion_factor(from_unit: str, to_unit: str) -> float:
    """Multiply values in ``from_unit`` by this to get ``to_unit``.

    ValueError when the units measure different things.
    """
    fa, sa = UNITS[canonical_unit(from_unit)]
    fb, sb = UNITS[canonical_unit(to_unit)]
    if fa != fb:
        raise ValueError(f"cannot convert {from_unit} ({fa}) to {to_unit} ({fb})")
    return float(sa / sb)
