"""Transcendental functions and random numbers that are bit-identical everywhere.

numpy's ``sin``/``cos``/``exp``/``log`` dispatch at run time to SIMD kernels
(e.g. SVML on AVX-512 machines) or to the platform libm, which may differ in
the last bit; its normal/uniform *distributions* may change between numpy
releases. A stream must be the same bytes on every machine, so everything
here is built only from operations IEEE 754 rounds exactly (+, -, *, /, sqrt,
floor, rint, ldexp, frexp), each a separate numpy ufunc so no compiler can
fuse them into FMAs, and randomness comes straight from PCG64's raw 64-bit
output. Accuracy is a few ulp, far below any sensor's noise floor.

Also avoid ``@``/``np.dot``/``np.convolve`` in generators: they go through BLAS.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["sin_cycles", "cos_cycles", "exp", "log", "uniform", "normal", "rng_for", "pick"]

_TWO_PI = 2.0 * math.pi
# ln 2 split so that k * _LN2_HI is exact for |k| < 2**20 (hi has 21 zero low bits).
_LN2_HI = float.fromhex("0x1.62e42feep-1")
_LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")
_LOG2E = float.fromhex("0x1.71547652b82fep0")  # 1/ln 2; only picks the integer k
_SQRT_HALF = math.sqrt(0.5)

# Taylor coefficients: |x| <= pi/4 keeps the first omitted term below 1e-19.
_SIN_C = [(-1.0) ** k / math.factorial(2 * k + 1) for k in range(9)]   # x^1 .. x^17
_COS_C = [(-1.0) ** k / math.factorial(2 * k) for k in range(10)]      # x^0 .. x^18
_EXP_C = [1.0 / math.factorial(k) for k in range(15)]                 # |r| <= ln2/2
_LOG_C = [1.0 / (2 * k + 1) for k in range(12)]                        # atanh series, |s| <= 0.172


def _horner(coeffs: list[float], x: np.ndarray) -> np.ndarray:
    acc = np.full_like(x, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        acc = acc * x
        acc = acc + c
    return acc


def _sincos_reduced(cycles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quadrant and sin/cos of the remainder, for angles given in cycles (turns)."""
    c = np.asarray(cycles, dtype=np.float64)
    frac = c - np.floor(c)                   # exact: [0, 1)
    quad = np.rint(frac * 4.0)               # 0..4
    r = (frac - quad * 0.25) * _TWO_PI       # first factor exact; |r| <= pi/4
    r2 = r * r
    s = _horner(_SIN_C, r2) * r
    co = _horner(_COS_C, r2)
    return quad.astype(np.int64) % 4, s, co


def sin_cycles(cycles) -> np.ndarray:
    """sin(2*pi*cycles). Working in turns makes the range reduction exact."""
    q, s, c = _sincos_reduced(cycles)
    return np.select([q == 0, q == 1, q == 2], [s, c, -s], -c)


def cos_cycles(cycles) -> np.ndarray:
    """cos(2*pi*cycles)."""
    q, s, c = _sincos_reduced(cycles)
    return np.select([q == 0, q == 1, q == 2], [c, -s, -c], s)


def exp(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    k = np.rint(x * _LOG2E)
    r = (x - k * _LN2_HI) - k * _LN2_LO
    return np.ldexp(_horner(_EXP_C, r), k.astype(np.int64))


def log(x) -> np.ndarray:
    """Natural log of positive finite values."""
    x = np.asarray(x, dtype=np.float64)
    m, e = np.frexp(x)                       # x = m * 2**e, m in [0.5, 1)
    small = m < _SQRT_HALF
    m = np.where(small, m * 2.0, m)          # now in [sqrt(.5), sqrt(2))
    e = (e - small).astype(np.float64)
    s = (m - 1.0) / (m + 1.0)                # log m = 2 atanh(s)
    lm = _horner(_LOG_C, s * s) * s * 2.0
    return e * _LN2_HI + (e * _LN2_LO + lm)


# --------------------------------------------------------------------------- random


def rng_for(seed: int, key: tuple[int, ...]) -> np.random.Generator:
    """Independent PCG64 generator for one node of a spec tree.

    SeedSequence's spawn_key derivation is specified and stable across numpy
    versions, so every node gets its own stream, independent of the order in
    which nodes are rendered.
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def _raw(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.bit_generator.random_raw(n).astype(np.uint64) if n else np.zeros(0, np.uint64)


def uniform(rng: np.random.Generator, shape, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """Uniform in [low, high): the top 53 bits of each raw draw."""
    n = int(np.prod(shape, dtype=np.int64))
    u = (_raw(rng, n) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    return (low + (high - low) * u).reshape(shape)


def pick(items, order: str, i: int, u: float):
    """Item ``i`` of a sequence: drawn with the uniform ``u`` when ``order`` is "random",
    else in turn."""
    return items[min(int(u * len(items)), len(items) - 1)] if order == "random" else items[i % len(items)]


def normal(rng: np.random.Generator, shape) -> np.ndarray:
    """Standard normal by Box-Muller (both outputs of each pair are used)."""
    n = int(np.prod(shape, dtype=np.int64))
    pairs = (n + 1) // 2
    raw = _raw(rng, 2 * pairs).reshape(pairs, 2) >> np.uint64(11)
    u1 = (raw[:, 0].astype(np.float64) + 1.0) * 2.0 ** -53   # (0, 1]: log is finite
    u2 = raw[:, 1].astype(np.float64) * 2.0 ** -53
    rad = np.sqrt(-2.0 * log(u1))
    z = np.empty((pairs, 2))
    z[:, 0] = rad * cos_cycles(u2)
    z[:, 1] = rad * sin_cycles(u2)
    return z.reshape(-1)[:n].reshape(shape)
