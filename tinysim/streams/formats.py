"""Reading and writing recorded streams: CSV, WAV, NPY (+ JSON sidecar), RESD.

One rule for ``rate_hz`` and ``unit`` across formats: when the file says
what they are, the arguments ask for a conversion (resample / convert);
when it does not, the arguments supply them.
"""

from __future__ import annotations

import csv
import json
import math
import re
import struct
import tokenize
import wave
from pathlib import Path
from typing import Sequence

import numpy as np

from .resd import load_resd, write_resd
from .stream import Label, Stream, StreamError, default_channels, interp_times, nice_rate
from .units import DIMENSIONLESS, canonical_unit, conversion_factor, find_unit, unit_family

__all__ = ["load", "save", "FORMATS", "parse_column"]

FORMATS = (".csv", ".wav", ".npy", ".resd")


def load(path: str | Path, *, rate_hz: float | None = None, unit: str | None = None,
         columns: Sequence[str | int] | None = None, channel: int | None = None) -> Stream:
    """Read a recording; the format comes from the extension (.csv .wav .npy .resd).

    ``columns`` keeps only those channels (names or indices), in that order.
    ``channel`` is the RESD channel id to read.
    """
    p = Path(path)
    kind = p.suffix.lower()
    if kind not in FORMATS:
        raise StreamError(f"{p}: unknown stream file type {p.suffix or '(no extension)'!r}",
                          hint=f"use one of: {', '.join(FORMATS)}")
    if not p.is_file():
        raise StreamError(f"{p}: file not found" if not p.exists() else f"{p}: not a file",
                          hint="check the path (relative paths start at the current directory, "
                               "or at the scenario file's directory in a spec)")
    if channel is not None and kind != ".resd":
        raise StreamError(f"{p}: channel= picks a RESD channel id; use columns= for {kind} files")
    if unit is not None:
        unit = _unit_arg(unit)
    if rate_hz is not None and not (isinstance(rate_hz, (int, float)) and math.isfinite(rate_hz)
                                    and rate_hz > 0):
        raise StreamError(f"rate_hz must be a positive number, got {rate_hz!r}")
    if kind == ".csv":
        stream = _load_csv(p, rate_hz, unit, columns)
    elif kind == ".wav":
        stream = _load_wav(p)
    elif kind == ".npy":
        stream = _load_npy(p, rate_hz, unit)
    else:
        stream = load_resd(p, rate_hz=rate_hz, unit=unit, channel=channel)
    if columns is not None and kind != ".csv":
        stream = select(stream, columns, str(p))
    if unit is not None and stream.unit != unit:
        stream = stream.to_unit(unit)
    if rate_hz is not None and stream.rate_hz != float(rate_hz):
        stream = stream.resample(rate_hz)
    return stream


def save(stream: Stream | Sequence[Stream], path: str | Path, **options) -> None:
    """Write by extension. Options: CSV ``time=True`` (write a time column);
    RESD ``sample_type=`` (e.g. "ecg"), ``channel=0`` (first channel id), and a
    list of streams (e.g. accelerometer and gyroscope) in one file."""
    p = Path(path)
    kind = p.suffix.lower()
    if kind not in FORMATS:
        raise StreamError(f"{p}: unknown stream file type {p.suffix or '(no extension)'!r}",
                          hint=f"use one of: {', '.join(FORMATS)}")
    allowed = {".csv": {"time"}, ".resd": {"sample_type", "channel"}}.get(kind, set())
    extra = set(options) - allowed
    if extra:
        raise StreamError(f"save to {kind}: unknown option(s) {', '.join(sorted(extra))}"
                          f"{'; allowed: ' + ', '.join(sorted(allowed)) if allowed else ''}")
    if kind == ".resd":
        write_resd(p, stream, **options)
        return
    if not isinstance(stream, Stream):
        raise StreamError(f"save to {kind} takes one stream (only .resd holds several)")
    try:
        if kind == ".csv":
            _save_csv(stream, p, **options)
        elif kind == ".wav":
            _save_wav(stream, p)
        else:
            _save_npy(stream, p)
    except OSError as e:
        raise StreamError(f"{p}: cannot write file ({e.strerror or e})") from None


def _unit_arg(unit: str) -> str:
    try:
        return canonical_unit(unit)
    except ValueError as e:
        raise StreamError(str(e)) from None


def select(stream: Stream, columns: Sequence[str | int], where: str) -> Stream:
    if isinstance(columns, (str, int)):
        columns = [columns]
    idx = []
    for c in columns:
        if isinstance(c, int) and not isinstance(c, bool):
            if not -stream.n_channels <= c < stream.n_channels:
                raise StreamError(f"{where}: no column {c}; it has {stream.n_channels}")
            idx.append(c % stream.n_channels)
        elif c in stream.channels:
            idx.append(stream.channels.index(c))
        else:
            raise StreamError(f"{where}: no column {c!r}; columns: {', '.join(stream.channels)}")
    return stream.replace(data=stream.data[:, idx], channels=tuple(stream.channels[i] for i in idx))


# --------------------------------------------------------------------------- CSV

_TIME = re.compile(r"(?i)^(t|time|timestamp|ts)(?:_(s|sec|ms|us|µs|ns)|\s*[\[(](s|sec|ms|us|µs|ns)[\])])?$")
_TIME_SCALE = {"s": 1.0, "sec": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_BRACKET = re.compile(r"^(?P<name>.*?)\s*[\[(](?P<unit>[^\])]*)[\])]$")


def parse_column(header: str) -> tuple[str, str | None, float | None]:
    """(name, unit, time scale) of a CSV header cell.

    ``ax_g`` / ``ax[g]`` / ``ax (g)`` -> ("ax", "g", None); a time column
    (t, time, timestamp, ts; in s, or _ms/_us/_ns) -> (name, None, seconds per unit).
    """
    h = header.strip()
    m = _TIME.match(h)
    if m:
        return m.group(1), None, _TIME_SCALE[(m.group(2) or m.group(3) or "s").lower()]
    m = _BRACKET.match(h)
    if m and m.group("name"):
        return m.group("name"), find_unit(m.group("unit")) or m.group("unit").strip(), None
    if "_" in h:
        name, _, suffix = h.rpartition("_")
        u = find_unit(suffix) if suffix else None
        if name and u is not None and u != DIMENSIONLESS:
            return name, u, None
    return h, None, None


def _load_csv(p: Path, rate_hz, unit, columns) -> Stream:
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise StreamError(f"{p}: not UTF-8 text (bad byte at offset {e.start})") from None
    rows = [(i + 1, line) for i, line in enumerate(text.splitlines())
            if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        raise StreamError(f"{p}: empty CSV file", hint="the first line must be a header, e.g. t,ax_g,ay_g,az_g")
    head_line = rows[0][1]
    delim = ("," if "," in head_line else ";" if ";" in head_line
             else "\t" if "\t" in head_line else ",")
    parsed = list(csv.reader([line for _, line in rows], delimiter=delim))
    header, body, linenos = parsed[0], parsed[1:], [n for n, _ in rows[1:]]
    if not body:
        raise StreamError(f"{p}: header but no data rows")
    cols = [parse_column(h) for h in header]
    if all(_looks_numeric(h) for h in header):
        raise StreamError(f"{p}:{rows[0][0]}: the first line looks like data, not a header",
                          hint="add a header row naming the columns, e.g. t,ax_g,ay_g,az_g")
    time_idx = [i for i, c in enumerate(cols) if c[2] is not None]
    if len(time_idx) > 1:
        raise StreamError(f"{p}: several time columns: {', '.join(header[i] for i in time_idx)}")
    data_idx = [i for i, c in enumerate(cols) if c[2] is None]
    if columns is not None:
        data_idx = _pick_csv(p, header, cols, data_idx, columns)
    if not data_idx:
        raise StreamError(f"{p}: no data columns besides time")
    # Units: header first, then the unit= argument.
    units = []
    for i in data_idx:
        u = cols[i][1]
        if u is not None and find_unit(u) is None:
            raise StreamError(f"{p}: column {header[i]!r}: unknown unit {u!r}",
                              hint="write a known unit (g, mg, m/s^2, dps, rad/s, pcm, V, C, ...) "
                                   "or pass unit=")
        units.append(u if u is not None else unit)
    missing = [header[i] for i, u in zip(data_idx, units) if u is None]
    if missing:
        raise StreamError(f"{p}: unknown unit of column(s) {', '.join(missing)}",
                          hint="name it in the header (ax_g or ax[g]) or pass unit= (e.g. unit='g')")
    base = units[0]
    for i, u in zip(data_idx, units):
        if unit_family(u) != unit_family(base):
            raise StreamError(f"{p}: columns {header[data_idx[0]]!r} ({base}) and {header[i]!r} ({u}) "
                              "measure different things; a stream has one unit",
                              hint="load them separately with columns=")
    want = data_idx + time_idx
    values = np.empty((len(body), len(want)))
    for r, (lineno, row) in enumerate(zip(linenos, body)):
        if len(row) < len(header):
            raise StreamError(f"{p}:{lineno}: {len(row)} fields, the header has {len(header)}")
        for j, i in enumerate(want):
            cell = row[i].strip()
            try:
                values[r, j] = float(cell)
            except ValueError:
                raise StreamError(f"{p}:{lineno}: column {header[i]!r}: {cell!r} is not a number") from None
            if not math.isfinite(values[r, j]):
                raise StreamError(f"{p}:{lineno}: column {header[i]!r}: {cell!r} is not finite")
    data = values[:, :len(data_idx)]
    for j, u in enumerate(units):
        if u != base:
            data[:, j] *= conversion_factor(u, base)
    names = tuple(cols[i][0] for i in data_idx)
    if len(set(names)) != len(names):
        names = tuple(header[i].strip() for i in data_idx)
    if not time_idx:
        if rate_hz is None:
            raise StreamError(
                f"{p}: no time column, so the sample rate is unknown",
                hint="pass rate_hz= (rate_hz: in a spec), or add a time column named t, time, "
                     "time_s, timestamp, t_ms or t_us")
        return Stream(data, rate_hz, names, base)
    t = values[:, -1] * cols[time_idx[0]][2]
    bad = np.nonzero(np.diff(t) <= 0)[0]
    if bad.size:
        k = int(bad[0]) + 1
        raise StreamError(f"{p}:{linenos[k]}: time {body[k][time_idx[0]].strip()} does not increase "
                          f"(previous row: {body[k - 1][time_idx[0]].strip()})",
                          hint="sort the rows by time and drop duplicate timestamps")
    return _from_timestamps(t, data, rate_hz, names, base)


def _looks_numeric(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _pick_csv(p, header, cols, data_idx, columns):
    if isinstance(columns, (str, int)):
        columns = [columns]
    out = []
    for c in columns:
        if isinstance(c, int) and not isinstance(c, bool):
            if not 0 <= c < len(data_idx):
                raise StreamError(f"{p}: no data column {c}; it has {len(data_idx)}")
            out.append(data_idx[c])
            continue
        hits = [i for i in data_idx if c in (header[i].strip(), cols[i][0])]
        if not hits:
            raise StreamError(f"{p}: no column {c!r}; columns: "
                              f"{', '.join(header[i].strip() for i in data_idx)}")
        out.append(hits[0])
    return out


def _from_timestamps(t: np.ndarray, data: np.ndarray, rate_hz, names, unit) -> Stream:
    """A uniform stream from timestamped rows: kept as is when the rows are
    on a uniform grid (within 1% of a period), else interpolated onto one."""
    if len(t) == 1:
        if rate_hz is None:
            raise StreamError("one timestamped row: cannot infer the sample rate",
                              hint="pass rate_hz=")
        return Stream(data, rate_hz, names, unit, t0_s=float(t[0]))
    rate = nice_rate((len(t) - 1) / float(t[-1] - t[0]), 1e-7)
    grid = t[0] + np.arange(len(t)) / rate
    if np.max(np.abs(t - grid)) <= 0.01 / rate:
        return Stream(data, rate, names, unit, t0_s=float(t[0]))
    rate = float(rate_hz) if rate_hz is not None else nice_rate(1.0 / float(np.median(np.diff(t))), 1e-7)
    count = int(math.floor((t[-1] - t[0]) * rate + 1e-9)) + 1
    grid = t[0] + np.arange(count) / rate
    return Stream(interp_times(t, data, grid), rate, names, unit, t0_s=float(t[0]))


def _save_csv(stream: Stream, p: Path, time: bool = True) -> None:
    header = [f"{c}[{stream.unit}]" for c in stream.channels]
    cols = [stream.data]
    if time:
        header.insert(0, "t[s]")
        cols.insert(0, stream.times[:, None])
    table = np.concatenate(cols, axis=1)
    with p.open("w", newline="") as f:
        csv.writer(f).writerow(header)
        # %.17g: every float64 reads back bit-exact
        np.savetxt(f, table, fmt="%.17g", delimiter=",")


# --------------------------------------------------------------------------- WAV


def _load_wav(p: Path) -> Stream:
    try:
        with wave.open(str(p), "rb") as w:
            nch, width, rate, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            frames = w.readframes(n)
    # The wave module also fails with RuntimeError/struct.error/ValueError on a corrupt header.
    except (wave.Error, EOFError, RuntimeError, ValueError, struct.error) as e:
        raise StreamError(f"{p}: not a PCM WAV file ({e})",
                          hint="tinysim reads uncompressed PCM WAV (8/16/24/32-bit); convert "
                               "with e.g. `sox in.wav -b 16 -e signed-integer out.wav`") from None
    if nch < 1 or rate < 1 or not 1 <= width <= 4:
        raise StreamError(f"{p}: corrupt WAV header ({nch} channels, {rate} Hz, {8 * width}-bit samples)",
                          hint="tinysim reads uncompressed PCM WAV (8/16/24/32-bit)")
    raw = np.frombuffer(frames, dtype=np.uint8)
    count = len(raw) // (width * nch)
    raw = raw[:count * width * nch]
    # Everything on the 16-bit scale, so "pcm" means the same for any width.
    if width == 1:
        x = (raw.astype(np.float64) - 128.0) * 256.0
    elif width == 2:
        x = raw.view("<i2").astype(np.float64)
    elif width == 3:
        b = raw.reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = np.where(v >= 1 << 23, v - (1 << 24), v).astype(np.float64) / 256.0
    elif width == 4:
        x = raw.view("<i4").astype(np.float64) / 65536.0
    else:
        raise StreamError(f"{p}: {8 * width}-bit samples are not supported")
    return Stream(x.reshape(-1, nch), rate, default_channels(nch, "pcm"), "pcm")


def _save_wav(stream: Stream, p: Path) -> None:
    if unit_family(stream.unit) != "audio":
        raise StreamError(f"WAV holds audio (pcm or fs), not {stream.unit}",
                          hint="save other data as .csv, .npy or .resd")
    rate = round(stream.rate_hz)
    if abs(stream.rate_hz - rate) > 1e-9 * stream.rate_hz or rate < 1:
        raise StreamError(f"WAV needs a whole number of Hz, the stream is at {stream.rate_hz} Hz",
                          hint="resample first, e.g. stream.resample(16000)")
    # Saturate like a real ADC rather than wrap around.
    pcm = np.clip(np.rint(stream.to_unit("pcm").data), -32768, 32767).astype("<i2")
    with wave.open(str(p), "wb") as w:
        w.setnchannels(stream.n_channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


# --------------------------------------------------------------------------- NPY


def sidecar(p: Path) -> Path:
    """``x.npy`` -> ``x.npy.json``: rate, unit, channels, t0 and labels of the array."""
    return p.with_name(p.name + ".json")


def _load_npy(p: Path, rate_hz, unit) -> Stream:
    try:
        arr = np.load(p, allow_pickle=False)
    # A corrupt header reaches numpy's literal parser: SyntaxError/TokenError; a shape that
    # claims more than memory holds: MemoryError.
    except (ValueError, OSError, EOFError, SyntaxError, TypeError, MemoryError, tokenize.TokenError) as e:
        raise StreamError(f"{p}: not a NumPy .npy array ({e})") from None
    if arr.dtype.kind not in "iuf" or arr.ndim not in (1, 2):
        raise StreamError(f"{p}: expected a numeric array of shape (n,) or (n, channels), "
                          f"got {arr.dtype} {arr.shape}")
    meta = {}
    side = sidecar(p)
    if side.is_file():
        try:
            meta = json.loads(side.read_text())
            if not isinstance(meta, dict):
                raise ValueError("not a JSON object")
        except ValueError as e:
            raise StreamError(f"{side}: bad sidecar ({e})") from None
    rate = meta.get("rate_hz", rate_hz)
    u = meta.get("unit", unit)
    if rate is None or u is None:
        what = " and ".join(k for k, v in (("rate_hz", rate), ("unit", u)) if v is None)
        raise StreamError(f"{p}: {what} unknown",
                          hint=f"pass {what.replace(' and ', '= and ')}= or write {side.name} "
                               "(tinysim.streams.save writes it)")
    arr = arr.reshape(arr.shape[0], -1)
    try:
        return Stream(arr, rate, tuple(meta.get("channels", ())) or default_channels(arr.shape[1], u),
                      u, t0_s=meta.get("t0_s", 0.0),
                      labels=tuple(Label(*lb) for lb in meta.get("labels", ())))
    except (TypeError, ValueError) as e:
        raise StreamError(f"{side}: bad sidecar ({e})") from None


def _save_npy(stream: Stream, p: Path) -> None:
    np.save(p, stream.data)
    meta = {"rate_hz": stream.rate_hz, "unit": stream.unit, "channels": list(stream.channels),
            "t0_s": stream.t0_s,
            "labels": [[lb.start_s, lb.end_s, lb.name] + ([] if lb.severity is None else [lb.severity])
                       for lb in stream.labels]}
    sidecar(p).write_text(json.dumps(meta, indent=1) + "\n")
