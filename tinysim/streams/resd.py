"""RESD (Renode Sensor Data) files: read and write.

Layout, all integers little-endian. Sources: Renode's documentation
(renode-docs, source/basic/resd.md, whose hexdump example our tests
reproduce byte for byte), Renode's reader (renode-infrastructure,
src/Emulator/Main/Utilities/RESD/: RESDParser.cs, DataBlock.cs,
RESDSample.cs, MetadataBlock.cs, MetadataValue.cs) and Renode's writer
(renode, tools/csv2resd/grammar.py and resd.py)::

    file header (8 bytes)
      0  4  magic "RESD"
      4  1  version, 1
      5  3  reserved, zero
    then blocks until the end of the file; each block:
      0  1  block type: 1 arbitrary timestamps, 2 constant frequency
      1  2  sample type (table below)
      3  2  channel id
      5  8  data size: bytes of the block after these 13
      -- subheader
     13  8  start time, ns of virtual time (u64)
     21  8  period, ns (u64)             [constant frequency only]
      -- metadata
          8  size of the entries that follow (0: none; standard sample
             types have none)
      -- samples, to the end of the block
          constant frequency: sample, sample, ...; sample k is at
            start + k * period
          arbitrary: (u64 timestamp, sample), ...; at start + timestamp

Where the sources disagree we follow Renode's reader: the docs' header
table gives "data size" as bytes 5-8, but its hexdump, the reader and
csv2resd all use 8 bytes; csv2resd numbers metadata types from 0, the
reader and docs from 1 (int8 = 1 ... blob = 12).

Sample types (id: encoding, unit):

    0x0001 temperature   i32       milli-degC
    0x0002 acceleration  3 x i32   micro-g
    0x0003 angular rate  3 x i32   1e-5 rad/s (*not* micro-dps: Renode's
                                   AngularRateSample and the sensor models
                                   that consume it divide by 1e5 to get rad/s)
    0x0004 voltage       u32       microvolt
    0x0005 ECG           i32       nanovolt
    0x0006 humidity      u32       milli-%RH
    0x0007 pressure      u64       milli-pascal
    0x0008 magnetic flux 3 x i32   nanotesla
    0x000A illuminance   u32       milli-lux

Blocks of other types (binary data, custom 0xF000+) are skipped.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .stream import Stream, StreamError, interp_times, nice_rate
from .units import unit_family

__all__ = ["SampleType", "SAMPLE_TYPES", "ResdBlock", "read_blocks", "load_resd", "write_resd",
           "encode_resd", "snap_period_rate"]

MAGIC = b"RESD"
VERSION = 1
ARBITRARY, CONSTANT = 1, 2
_HEADER = struct.Struct("<4sB3s")
_BLOCK = struct.Struct("<BHHQ")


@dataclass(frozen=True)
class SampleType:
    id: int
    name: str
    axes: int
    dtype: str      # numpy little-endian integer type of one axis
    unit: str       # tinysim unit of raw / divisor
    divisor: int


SAMPLE_TYPES: dict[int, SampleType] = {st.id: st for st in (
    SampleType(0x0001, "temperature", 1, "<i4", "C", 10**3),
    SampleType(0x0002, "acceleration", 3, "<i4", "g", 10**6),
    SampleType(0x0003, "angular_rate", 3, "<i4", "rad/s", 10**5),
    SampleType(0x0004, "voltage", 1, "<u4", "V", 10**6),
    SampleType(0x0005, "ecg", 1, "<i4", "V", 10**9),
    SampleType(0x0006, "humidity", 1, "<u4", "%RH", 10**3),
    SampleType(0x0007, "pressure", 1, "<u8", "Pa", 10**3),
    SampleType(0x0008, "magnetic_flux_density", 3, "<i4", "T", 10**9),
    SampleType(0x000A, "illuminance", 1, "<u4", "lx", 10**3),
)}
_BY_NAME = {st.name: st for st in SAMPLE_TYPES.values()}
# tinysim presents angular rate in the IMU unit, not Renode's 1e-5 rad/s.
_LOAD_UNIT = {0x0003: "dps"}
# Which sample type a stream of a given unit family is written as, by default.
_FOR_FAMILY = {unit_family(st.unit): st for st in SAMPLE_TYPES.values() if st.name != "ecg"}


@dataclass(frozen=True)
class ResdBlock:
    offset: int              # file offset of the block header, for messages
    block_type: int
    sample_type: int
    channel_id: int
    start_ns: int
    period_ns: int | None    # constant frequency blocks
    times_ns: np.ndarray     # absolute sample times, ns (float64: exact below 2**53 ns, 104 days)
    raw: np.ndarray          # (count, axes) integers as int64 / uint64

    @property
    def count(self) -> int:
        return self.raw.shape[0]


def read_blocks(path: str | Path) -> list[ResdBlock]:
    """Every data block of a known sample type, in file order."""
    name = str(path)
    try:
        buf = Path(path).read_bytes()
    except FileNotFoundError:
        raise StreamError(f"{name}: file not found") from None
    except OSError as e:
        raise StreamError(f"{name}: cannot read file ({e.strerror or e})") from None
    return parse_blocks(buf, name)


def parse_blocks(buf: bytes, name: str = "<resd>") -> list[ResdBlock]:
    if len(buf) < _HEADER.size or buf[:4] != MAGIC:
        raise StreamError(f"{name}: not a RESD file (starts with {buf[:4]!r}, expected {MAGIC!r})",
                          hint="RESD files start with the magic 'RESD'; create one with "
                               "tinysim.streams.save(stream, 'x.resd') or Renode's csv2resd")
    _, version, reserved = _HEADER.unpack_from(buf, 0)
    if version != VERSION:
        raise StreamError(f"{name}: RESD version {version} is not supported (only version {VERSION})")
    if reserved != b"\0\0\0":
        raise StreamError(f"{name}: RESD header padding must be zero, got {reserved.hex(' ')}")
    blocks, pos = [], _HEADER.size
    while pos < len(buf):
        if pos + _BLOCK.size > len(buf):
            raise StreamError(f"{name}: truncated block header at offset {pos}")
        btype, stype, chan, size = _BLOCK.unpack_from(buf, pos)
        body, end = pos + _BLOCK.size, pos + _BLOCK.size + size
        if end > len(buf):
            raise StreamError(f"{name}: block at offset {pos} declares {size} bytes of data, "
                              f"but only {len(buf) - body} remain (truncated file?)")
        st = SAMPLE_TYPES.get(stype)
        if btype in (ARBITRARY, CONSTANT) and st is not None:
            blocks.append(_parse_block(buf, name, pos, btype, st, chan, body, end))
        elif btype not in (ARBITRARY, CONSTANT):
            raise StreamError(f"{name}: block at offset {pos} has unknown block type {btype} "
                              f"(1 = arbitrary timestamps, 2 = constant frequency)")
        pos = end
    return blocks


def _parse_block(buf, name, pos, btype, st, chan, body, end) -> ResdBlock:
    sub = 16 if btype == CONSTANT else 8
    if body + sub + 8 > end:
        raise StreamError(f"{name}: block at offset {pos} is too short for its subheader and metadata")
    start = struct.unpack_from("<Q", buf, body)[0]
    period = struct.unpack_from("<Q", buf, body + 8)[0] if btype == CONSTANT else None
    meta = struct.unpack_from("<Q", buf, body + sub)[0]
    first = body + sub + 8 + meta
    if first > end:
        raise StreamError(f"{name}: block at offset {pos}: metadata size {meta} runs past the block")
    axis = np.dtype(st.dtype)
    if btype == CONSTANT:
        item = np.dtype([("v", axis, (st.axes,))])
    else:
        item = np.dtype([("t", "<u8"), ("v", axis, (st.axes,))])
    span = end - first
    if span % item.itemsize:
        raise StreamError(f"{name}: block at offset {pos}: {span} bytes of samples is not a whole "
                          f"number of {item.itemsize}-byte {st.name} samples")
    rec = np.frombuffer(buf, dtype=item, count=span // item.itemsize, offset=first)
    raw = rec["v"].reshape(-1, st.axes).astype(np.uint64 if axis.kind == "u" else np.int64)
    if btype == CONSTANT:
        if period == 0 and len(rec) > 1:
            raise StreamError(f"{name}: block at offset {pos}: period 0 with {len(rec)} samples")
        times = start + np.arange(len(rec), dtype=np.float64) * period
    else:
        times = start + rec["t"].astype(np.float64)
    return ResdBlock(pos, btype, st.id, chan, start, period, times, raw)


def snap_period_rate(period_ns: int) -> float:
    """The rate a period came from: the roundest rate (fewest decimals) whose
    period rounds to it, so 416 Hz written as 2403846 ns reads back as 416."""
    for decimals in range(7):
        rate = round(1e9 / period_ns, decimals)
        if rate > 0 and round(1e9 / rate) == period_ns:
            return rate
    return 1e9 / period_ns


def _describe(blocks: list[ResdBlock]) -> str:
    seen = dict.fromkeys(f"{SAMPLE_TYPES[b.sample_type].name} channel {b.channel_id}" for b in blocks)
    return ", ".join(seen) or "no blocks of a supported sample type"


def load_resd(path: str | Path, *, rate_hz: float | None = None, unit: str | None = None,
              channel: int | None = None) -> Stream:
    """One stream from a RESD file.

    ``unit`` picks the sample type when the file holds several (``"g"``:
    acceleration, ``"dps"``: angular rate, ...) and converts to it;
    ``channel`` picks the RESD channel id. Scalar types (temperature,
    voltage, ...) with several channel ids on the same timeline become one
    multi-channel stream. Blocks are joined in time; a timeline that is not
    one uniform grid (arbitrary timestamps, differing periods, gaps) is
    linearly interpolated onto a uniform grid at ``rate_hz``, else at the
    constant-frequency rate, else at the median interval.
    """
    name = str(path)
    blocks = read_blocks(path)
    types = list(dict.fromkeys(b.sample_type for b in blocks))
    if unit is not None:
        fam = unit_family(unit)
        types = [t for t in types if unit_family(_LOAD_UNIT.get(t, SAMPLE_TYPES[t].unit)) == fam]
        if not types:
            raise StreamError(f"{name}: no {fam} data for unit {unit!r}; the file holds: {_describe(blocks)}")
    if not types:
        raise StreamError(f"{name}: no data; the file holds: {_describe(blocks)}")
    if len(types) > 1:
        examples = ", ".join(f"{SAMPLE_TYPES[t].name}: unit={_LOAD_UNIT.get(t, SAMPLE_TYPES[t].unit)!r}"
                             for t in types)
        raise StreamError(f"{name}: holds several sample types ({_describe(blocks)})",
                          hint=f"pick one with unit= ({examples})")
    st = SAMPLE_TYPES[types[0]]
    mine = [b for b in blocks if b.sample_type == st.id]
    ids = sorted(dict.fromkeys(b.channel_id for b in mine))
    if channel is not None:
        if channel not in ids:
            raise StreamError(f"{name}: no {st.name} channel {channel}; channels: {ids}")
        ids = [channel]
    if len(ids) > 1 and st.axes > 1:
        raise StreamError(f"{name}: {st.name} is in channels {ids}",
                          hint="pick one with channel=")
    series = [_timeline(name, [b for b in mine if b.channel_id == i], rate_hz) for i in ids]
    t0, rate, _ = series[0]
    for i, (t0_i, rate_i, data_i) in zip(ids[1:], series[1:]):
        if (t0_i, rate_i, len(data_i)) != (t0, rate, len(series[0][2])):
            raise StreamError(f"{name}: {st.name} channels {ids[0]} and {i} are on different timelines",
                              hint="pick one with channel=")
    data = np.concatenate([s[2] for s in series], axis=1)
    if st.axes == 3:
        names = ("x", "y", "z")
    else:
        names = tuple(f"ch{i}" for i in ids)
    stream = Stream(data, rate, names, st.unit, t0_s=t0)
    stream = stream.to_unit(_LOAD_UNIT.get(st.id, st.unit))
    return stream.to_unit(unit) if unit is not None else stream


def _timeline(name, blocks: list[ResdBlock], rate_hz) -> tuple[float, float, np.ndarray]:
    """(t0_s, rate, values) of one channel's blocks joined in time."""
    st = SAMPLE_TYPES[blocks[0].sample_type]
    blocks = sorted(blocks, key=lambda b: b.times_ns[0] if b.count else b.start_ns)
    blocks = [b for b in blocks if b.count]
    if not blocks:
        raise StreamError(f"{name}: the {st.name} blocks hold no samples")
    values = [b.raw.astype(np.float64) / st.divisor for b in blocks]
    period = blocks[0].period_ns
    uniform = all(b.block_type == CONSTANT and b.period_ns == period for b in blocks) and all(
        b.start_ns == a.start_ns + a.count * period for a, b in zip(blocks, blocks[1:]))
    if uniform and period:
        return blocks[0].start_ns / 1e9, snap_period_rate(period), np.concatenate(values)
    t = np.concatenate([b.times_ns for b in blocks])
    x = np.concatenate(values)
    order = np.argsort(t, kind="stable")
    t, x = t[order], x[order]
    keep = np.concatenate([[True], np.diff(t) > 0])   # one sample per instant
    t, x = t[keep] / 1e9, x[keep]
    if rate_hz is not None:
        rate = float(rate_hz)
    elif all(b.block_type == CONSTANT and b.period_ns == period for b in blocks) and period:
        rate = snap_period_rate(period)
    elif len(t) > 1:
        rate = nice_rate(1.0 / float(np.median(np.diff(t))))
    else:
        rate = 1.0
    count = int(np.floor((t[-1] - t[0]) * rate + 1e-9)) + 1
    grid = t[0] + np.arange(count) / rate
    return float(t[0]), rate, interp_times(t, x, grid)


# --------------------------------------------------------------------------- writing


def _sample_type_for(stream: Stream, sample_type: str | None) -> SampleType:
    if sample_type is not None:
        st = _BY_NAME.get(sample_type)
        if st is None:
            raise StreamError(f"unknown RESD sample type {sample_type!r}; known: {', '.join(_BY_NAME)}")
        if unit_family(st.unit) != unit_family(stream.unit):
            raise StreamError(f"a {stream.unit} stream cannot be written as RESD {st.name}")
        return st
    st = _FOR_FAMILY.get(unit_family(stream.unit))
    if st is None:
        raise StreamError(f"RESD has no sample type for {unit_family(stream.unit)} ({stream.unit}) data",
                          hint="RESD holds acceleration, angular rate, temperature, voltage, "
                               "humidity, pressure, magnetic flux density and illuminance")
    return st


def encode_block(stream: Stream, st: SampleType, channel_id: int) -> list[bytes]:
    """Constant-frequency block(s) for one stream: one per channel for scalar types."""
    if st.axes == 3 and stream.n_channels != 3:
        raise StreamError(f"RESD {st.name} needs 3 channels (x, y, z), the stream has "
                          f"{stream.n_channels}: {list(stream.channels)}")
    values = stream.to_unit(st.unit).data
    raw = np.rint(values * st.divisor)
    info = np.iinfo(np.dtype(st.dtype))
    if raw.size and (raw.min() < info.min or raw.max() > info.max):
        lo, hi = info.min / st.divisor, info.max / st.divisor
        raise StreamError(f"values out of range for RESD {st.name}: it holds {lo:g}..{hi:g} {st.unit}, "
                          f"the stream spans {values.min():g}..{values.max():g} {st.unit}")
    start_ns = round(stream.t0_s * 1e9)
    if start_ns < 0:
        raise StreamError(f"RESD start times are unsigned; the stream starts at {stream.t0_s} s")
    period_ns = round(1e9 / stream.rate_hz)
    if period_ns < 1:
        raise StreamError(f"{stream.rate_hz} Hz is too fast for RESD's nanosecond period")
    groups = [raw] if st.axes == 3 else [raw[:, i:i + 1] for i in range(stream.n_channels)]
    out = []
    for i, g in enumerate(groups):
        samples = np.ascontiguousarray(g.astype(np.dtype(st.dtype))).tobytes()
        size = 16 + 8 + len(samples)
        out.append(_BLOCK.pack(CONSTANT, st.id, channel_id + i, size)
                   + struct.pack("<QQQ", start_ns, period_ns, 0) + samples)
    return out


def encode_resd(streams: Stream | Sequence[Stream], *, sample_type: str | None = None,
                channel: int = 0) -> bytes:
    """RESD bytes holding ``streams``. A 3-axis stream becomes one block on
    channel ``channel``; a scalar stream one block per stream channel, on
    ids ``channel``, ``channel + 1``, ... Streams of a type already written
    continue from the next free id."""
    if isinstance(streams, Stream):
        streams = [streams]
    parts = [_HEADER.pack(MAGIC, VERSION, b"\0\0\0")]
    next_id: dict[int, int] = {}
    for s in streams:
        st = _sample_type_for(s, sample_type)
        cid = next_id.get(st.id, channel)
        blocks = encode_block(s, st, cid)
        next_id[st.id] = cid + len(blocks)
        if next_id[st.id] - 1 > 0xFFFF:
            raise StreamError("RESD channel ids are 16-bit")
        parts += blocks
    return b"".join(parts)


def write_resd(path: str | Path, streams: Stream | Sequence[Stream], *,
               sample_type: str | None = None, channel: int = 0) -> None:
    data = encode_resd(streams, sample_type=sample_type, channel=channel)
    try:
        Path(path).write_bytes(data)
    except OSError as e:
        raise StreamError(f"{path}: cannot write file ({e.strerror or e})") from None
