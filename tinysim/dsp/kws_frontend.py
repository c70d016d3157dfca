"""Keyword-spotting audio front end: 16 kHz int16 PCM -> int8 log-mel features, in fixed point.

This module is the reference the firmware (firmware/apps/kws/frontend.c) reproduces bit for bit,
and the only way training computes features. Every step is integer arithmetic with the rounding
stated here; the constant tables (window, twiddles, mel weights, log table) are computed once in
floating point by this module and written into the C header `kws_tables.h` by `c_header()`, so
both sides read the same integers.

Per frame of FRAME = 480 samples (30 ms), frames every STRIDE = 320 samples (20 ms):

1. Window. ``x[n] = (s[n] * HANN[n] + 2**14) >> 15`` for n < 480, ``x[n] = 0`` for 480 <= n < 512.
   HANN is the periodic Hann window of length 480 in Q15: ``round(32767 * 0.5 * (1 - cos(2 pi n / 480)))``.
   No pre-emphasis, no DC removal.
2. FFT. 512-point complex radix-2 decimation-in-time on (x, 0), inputs in bit-reversed order, 9
   stages. Twiddles ``W[k] = (round(32767 cos(2 pi k / 512)), round(-32767 sin(2 pi k / 512)))`` for
   k < 256; the stage with span m uses ``W[j * 512 / m]``. Each butterfly (a, b) -> (a', b'):
       t.re = (b.re * w.re - b.im * w.im + 2**14) >> 15
       t.im = (b.re * w.im + b.im * w.re + 2**14) >> 15
       a' = (a + t + 1) >> 1,   b' = (a - t + 1) >> 1     (each of re and im)
   The >> 1 per stage makes the result DFT / 512: every value stays within int16 range (plus a few
   units of rounding), so the C side holds them in int32 and no product overflows int32.
   ``>>`` is an arithmetic shift (floor); ``+ half`` before it rounds half up.
3. Power. ``P[k] = re[k]**2 + im[k]**2`` for the 257 bins k = 0..256 (fits uint32).
4. Mel. N_MEL = 40 triangular filters, edges equally spaced on the mel scale
   (``mel(f) = 1127 ln(1 + f / 700)``) between MEL_LO = 20 Hz and MEL_HI = 7600 Hz; bin k sits at
   ``k * 16000 / 512`` Hz; weights ``round(32767 * w)`` (Q15) of the triangle evaluated in mel.
   ``E[m] = sum_k P[k] * MEL_W[m, k]`` as an unsigned 64-bit sum (always < 2**53).
5. Log. ``L = 0`` if E == 0, else with ``e = floor(log2 E)`` (the leading bit) and the 6 bits below
   the leading one ``i = (E >> (e - 6)) & 63`` (``(E << (6 - e)) & 63`` when e < 6):
   ``L = e * 256 + LOG2_FRAC[i]``, where ``LOG2_FRAC[i] = round(256 * log2(1 + i / 64))`` (log2 in Q8).
6. Int8. ``f = clamp(((L + 16) >> 5) - LOG_OFFSET, -128, 127)``: log2 in Q3 (1/8 octave = 0.38 dB
   per step), LOG_OFFSET = 8 * 12 + 128 so feature -128 is E <= 2**12 (silence: E = 0 -> -128),
   127 is E ~ 2**44.
"""
from __future__ import annotations

import math

import numpy as np

SAMPLE_RATE = 16000
FRAME = 480
STRIDE = 320
N_MEL = 40
N_FRAMES = 49
FFT_SIZE = 512
N_BINS = FFT_SIZE // 2 + 1
MEL_LO = 20.0
MEL_HI = 7600.0
LOG_FRAC_BITS = 6
LOG_OFFSET = 8 * 12 + 128


def _hann() -> np.ndarray:
    n = np.arange(FRAME)
    return np.round(32767 * 0.5 * (1 - np.cos(2 * np.pi * n / FRAME))).astype(np.int64)


def _twiddles() -> tuple[np.ndarray, np.ndarray]:
    k = np.arange(FFT_SIZE // 2)
    wr = np.round(32767 * np.cos(2 * np.pi * k / FFT_SIZE)).astype(np.int64)
    wi = np.round(-32767 * np.sin(2 * np.pi * k / FFT_SIZE)).astype(np.int64)
    return wr, wi


def _mel(f):
    return 1127.0 * np.log(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def _mel_weights() -> np.ndarray:
    """[N_MEL, N_BINS] Q15 triangle weights."""
    edges = np.linspace(_mel(MEL_LO), _mel(MEL_HI), N_MEL + 2)
    m = _mel(np.arange(N_BINS) * SAMPLE_RATE / FFT_SIZE)
    w = np.zeros((N_MEL, N_BINS), dtype=np.int64)
    for j in range(N_MEL):
        lo, mid, hi = edges[j], edges[j + 1], edges[j + 2]
        tri = np.where(m <= mid, (m - lo) / (mid - lo), (hi - m) / (hi - mid))
        w[j] = np.round(32767 * np.clip(tri, 0.0, 1.0)).astype(np.int64)
    return w


def _log2_frac() -> np.ndarray:
    i = np.arange(1 << LOG_FRAC_BITS)
    return np.round(256 * np.log2(1 + i / (1 << LOG_FRAC_BITS))).astype(np.int64)


def _bitrev() -> np.ndarray:
    bits = int(math.log2(FFT_SIZE))
    idx = np.arange(FFT_SIZE)
    rev = np.zeros_like(idx)
    for b in range(bits):
        rev |= ((idx >> b) & 1) << (bits - 1 - b)
    return rev


HANN = _hann()
TWIDDLE_RE, TWIDDLE_IM = _twiddles()
MEL_W = _mel_weights()
LOG2_FRAC = _log2_frac()
_BITREV = _bitrev()
# Mel filters as (first bin, weights) so C loops only over non-zero weights.
_MEL_START = np.array([int(np.nonzero(r)[0][0]) for r in MEL_W])
_MEL_END = np.array([int(np.nonzero(r)[0][-1]) + 1 for r in MEL_W])


def _fft_power(x: np.ndarray) -> np.ndarray:
    """x: [F, 512] int64 windowed frames -> [F, 257] power, steps 2-3 of the module docstring."""
    re = x[:, _BITREV].copy()
    im = np.zeros_like(re)
    nframes = x.shape[0]
    m = 2
    while m <= FFT_SIZE:
        half = m // 2
        k = np.arange(half) * (FFT_SIZE // m)
        wr, wi = TWIDDLE_RE[k], TWIDDLE_IM[k]
        r = re.reshape(nframes, FFT_SIZE // m, 2, half)
        i = im.reshape(nframes, FFT_SIZE // m, 2, half)
        ar, ai, br, bi = r[:, :, 0], i[:, :, 0], r[:, :, 1], i[:, :, 1]
        tr = (br * wr - bi * wi + (1 << 14)) >> 15
        ti = (br * wi + bi * wr + (1 << 14)) >> 15
        re = np.stack(((ar + tr + 1) >> 1, (ar - tr + 1) >> 1), axis=2).reshape(nframes, FFT_SIZE)
        im = np.stack(((ai + ti + 1) >> 1, (ai - ti + 1) >> 1), axis=2).reshape(nframes, FFT_SIZE)
        m *= 2
    re, im = re[:, :N_BINS], im[:, :N_BINS]
    return re * re + im * im


def _log2_q8(e: np.ndarray) -> np.ndarray:
    """Step 5 on int64 energies < 2**53 (exact as float64, so frexp gives the leading bit)."""
    _, exp = np.frexp(e.astype(np.float64))
    lead = exp.astype(np.int64) - 1                      # floor(log2 e) for e >= 1
    sh = lead - LOG_FRAC_BITS
    idx = np.where(sh >= 0, e >> np.maximum(sh, 0), e << np.maximum(-sh, 0)) & ((1 << LOG_FRAC_BITS) - 1)
    return np.where(e > 0, lead * 256 + LOG2_FRAC[idx], 0)


def features(pcm) -> np.ndarray:
    """int16 PCM at 16 kHz -> int8 [1 + (len - 480) // 320, 40] log-mel features (0 rows if shorter
    than one frame). Bit-exact with the firmware's front end; the algorithm is the module docstring."""
    s = np.asarray(pcm)
    if s.ndim != 1:
        raise ValueError(f"features() takes 1-D PCM, got shape {s.shape}")
    if s.dtype != np.int16:
        if not np.issubdtype(s.dtype, np.integer) or (s.size and (s.min() < -32768 or s.max() > 32767)):
            raise ValueError(f"features() takes int16 PCM samples, got {s.dtype}; convert with "
                             "np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)")
    s = s.astype(np.int64)
    n = 0 if len(s) < FRAME else 1 + (len(s) - FRAME) // STRIDE
    if n == 0:
        return np.zeros((0, N_MEL), dtype=np.int8)
    idx = np.arange(n)[:, None] * STRIDE + np.arange(FRAME)[None, :]
    x = np.zeros((n, FFT_SIZE), dtype=np.int64)
    x[:, :FRAME] = (s[idx] * HANN + (1 << 14)) >> 15
    p = _fft_power(x)
    return _to_int8(p @ MEL_W.T)


def _to_int8(e: np.ndarray) -> np.ndarray:
    """Steps 5-6: mel energies -> int8 features."""
    q3 = (_log2_q8(e) + 16) >> 5
    return np.clip(q3 - LOG_OFFSET, -128, 127).astype(np.int8)


def _c_array(ctype: str, name: str, values, per_line: int = 12) -> str:
    vals = [str(int(v)) for v in values]
    lines = [", ".join(vals[i:i + per_line]) for i in range(0, len(vals), per_line)]
    body = ",\n    ".join(lines)
    return f"static const {ctype} {name}[{len(vals)}] = {{\n    {body}\n}};\n"


def c_header() -> str:
    """The tables above as C (firmware/apps/kws/kws_tables.h is this text; a test keeps them equal)."""
    weights = np.concatenate([MEL_W[j, _MEL_START[j]:_MEL_END[j]] for j in range(N_MEL)])
    offsets = np.concatenate([[0], np.cumsum(_MEL_END - _MEL_START)])[:-1]
    parts = [
        "/* Generated by tinysim.dsp.kws_frontend.c_header(); do not edit (a test compares). */\n",
        "#ifndef KWS_TABLES_H\n#define KWS_TABLES_H\n#include <stdint.h>\n\n",
        f"#define KWS_FRAME {FRAME}\n#define KWS_STRIDE {STRIDE}\n#define KWS_N_MEL {N_MEL}\n",
        f"#define KWS_N_FRAMES {N_FRAMES}\n#define KWS_FFT_SIZE {FFT_SIZE}\n#define KWS_N_BINS {N_BINS}\n",
        f"#define KWS_LOG_FRAC_BITS {LOG_FRAC_BITS}\n#define KWS_LOG_OFFSET {LOG_OFFSET}\n\n",
        _c_array("int16_t", "kws_hann", HANN),
        _c_array("int16_t", "kws_twiddle_re", TWIDDLE_RE),
        _c_array("int16_t", "kws_twiddle_im", TWIDDLE_IM),
        _c_array("uint16_t", "kws_bitrev", _BITREV),
        _c_array("uint16_t", "kws_mel_start", _MEL_START),
        _c_array("uint16_t", "kws_mel_len", _MEL_END - _MEL_START),
        _c_array("uint16_t", "kws_mel_offset", offsets),
        _c_array("uint16_t", "kws_mel_w", weights),
        _c_array("uint16_t", "kws_log2_frac", LOG2_FRAC),
        "\n#endif\n",
    ]
    return "".join(parts)


if __name__ == "__main__":  # python -m tinysim.dsp.kws_frontend > firmware/apps/kws/kws_tables.h
    print(c_header(), end="")
