"""RESD (Renode Sensor Data): exact byte layout, round trips, arbitrary timestamps, bad files.

Layout references (see tinysim/streams/resd.py): Renode docs
source/basic/resd.md (header, block header, sample types, and the hexdump
reproduced below); renode-infrastructure src/Emulator/Main/Utilities/RESD/
DataBlock.cs (block header: u8 type, u16 sample type, u16 channel, u64 data
size; constant-frequency subheader: u64 start, u64 period; arbitrary block:
u64 start, then per sample a u64 timestamp relative to it), MetadataBlock.cs
(u64 metadata size), RESDSample.cs (sample encodings: acceleration 3 x i32
micro-g, angular rate 3 x i32 in 1e-5 rad/s, temperature i32 milli-degC,
voltage u32 microvolt).
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from tinysim.streams import Stream, StreamError, encode_resd, generate, load, save

# The example file from Renode's RESD documentation (first 0x60 bytes): one
# constant-frequency temperature block, channel 0, start 0, period 600 s,
# 100 samples (data size 0x1a8 = 16 subheader + 8 metadata size + 100 * 4).
DOC_HEXDUMP = bytes.fromhex("""
52 45 53 44 01 00 00 00  02 01 00 00 00 a8 01 00
00 00 00 00 00 00 00 00  00 00 00 00 00 00 70 c9
b2 8b 00 00 00 00 00 00  00 00 00 00 00 cc 9b 03
00 c4 95 03 00 79 9b 03  00 18 9a 03 00 75 a3 03
00 3b a1 03 00 b1 b4 03  00 8d 9d 03 00 41 a5 03
00 4d 9b 03 00 21 af 03  00 6f 96 03 00 20 ba 03
""")
DOC_TEMPS_MC = [236492, 234948, 236409, 236056, 238453, 237883, 242865, 236941, 238913, 236365,
                241441, 235119]


def test_writer_reproduces_the_documented_example():
    temps = np.array(DOC_TEMPS_MC + [236000] * 88) / 1000.0      # degC
    data = encode_resd(Stream(temps, 1 / 600, ("t",), "C"))
    assert len(data) == 8 + 13 + 0x1A8
    assert data[:0x5D] == DOC_HEXDUMP[:0x5D]   # the dump ends mid-sample


def test_reader_decodes_the_documented_example(tmp_path):
    body = DOC_HEXDUMP[:0x2D] + struct.pack("<100i", *(DOC_TEMPS_MC + [0] * 88))
    p = tmp_path / "doc.resd"
    p.write_bytes(body)
    s = load(p)
    assert s.unit == "C" and s.n_samples == 100 and s.rate_hz == pytest.approx(1 / 600)
    assert s.data[:12, 0].tolist() == [v / 1000 for v in DOC_TEMPS_MC]


def hand_built_acceleration() -> bytes:
    """RESD v1, one constant-frequency acceleration block, channel 2, built field by field."""
    samples = [(0, 0, 1_000_000), (-500_000, 250_000, 980_665), (1, -1, 2_000_000)]
    payload = b"".join(struct.pack("<iii", *s) for s in samples)
    subheader = struct.pack("<QQ", 1_500_000_000, 10_000_000)      # start 1.5 s, period 10 ms
    metadata = struct.pack("<Q", 0)                               # no metadata entries
    size = len(subheader) + len(metadata) + len(payload)
    header = struct.pack("<BHHQ", 0x02, 0x0002, 2, size)          # constant freq, acceleration
    return b"RESD" + bytes([1, 0, 0, 0]) + header + subheader + metadata + payload


def test_hand_built_file_layout(tmp_path):
    raw = hand_built_acceleration()
    assert raw[:8] == b"RESD\x01\x00\x00\x00"
    assert raw[8] == 2 and raw[9:11] == b"\x02\x00" and raw[11:13] == b"\x02\x00"
    assert int.from_bytes(raw[13:21], "little") == 16 + 8 + 36 == len(raw) - 21
    p = tmp_path / "acc.resd"
    p.write_bytes(raw)
    s = load(p)
    assert (s.unit, s.rate_hz, s.t0_s, s.channels) == ("g", 100, 1.5, ("x", "y", "z"))
    assert s.data.tolist() == [[0, 0, 1], [-0.5, 0.25, 0.980665], [1e-6, -1e-6, 2]]
    assert encode_resd(s, channel=2) == raw      # and we write exactly those bytes


def test_angular_rate_is_stored_in_1e_5_rad_per_s(tmp_path):
    s = Stream([[180.0 / np.pi, 0.0, -90.0]], 100, ("x", "y", "z"), "dps")
    raw = encode_resd(s)
    assert raw[9:11] == b"\x03\x00"
    assert struct.unpack_from("<iii", raw, 8 + 13 + 24) == (100000, 0, -157080)
    p = tmp_path / "g.resd"
    p.write_bytes(raw)
    back = load(p)
    assert back.unit == "dps" and np.allclose(back.data, s.data, atol=1e-3)


@pytest.mark.parametrize("spec, unit, tol", [
    ({"type": "gesture", "gesture": ["wing", "ring"], "noise": 0.01}, "g", 0.5e-6),
    ({"type": "gesture", "gesture": "slope", "output": "gyro", "noise": 0.5}, "dps", 0.5e-5 * 180 / np.pi),
    ({"type": "random_walk", "step_std": 0.1, "start": 21.5, "channels": 2, "unit": "C"}, "C", 0.5e-3),
    ({"type": "sine", "freq_hz": 1, "offset": 3.3, "amplitude": 0.1, "unit": "V"}, "V", 0.5e-6),
])
def test_round_trip(tmp_path, spec, unit, tol):
    s = generate(spec, seed=5, rate_hz=100, duration_s=6)
    p = tmp_path / "s.resd"
    save(s, p)
    back = load(p)
    assert back.unit == unit and back.rate_hz == 100 and back.n_samples == s.n_samples
    assert back.n_channels == s.n_channels
    assert np.max(np.abs(back.data - s.data)) <= tol * (1 + 1e-9)


def test_rates_that_do_not_divide_a_second_read_back_exactly(tmp_path):
    s = generate({"type": "white_noise", "channels": 3, "unit": "g"}, seed=1, rate_hz=416, duration_s=1)
    save(s, tmp_path / "a.resd")
    assert load(tmp_path / "a.resd").rate_hz == 416   # period 2403846 ns


def test_several_streams_in_one_file(tmp_path):
    acc = generate({"type": "gesture", "gesture": "ring"}, seed=1, rate_hz=104)
    gyro = generate({"type": "gesture", "gesture": "ring", "output": "gyro"}, seed=1, rate_hz=104)
    p = tmp_path / "imu.resd"
    save([acc, gyro], p)
    with pytest.raises(StreamError) as e:
        load(p)
    assert "several sample types" in str(e.value) and "unit=" in e.value.hint
    assert load(p, unit="g").unit == "g"
    assert load(p, unit="rad/s").unit == "rad/s"
    with pytest.raises(StreamError, match="no temperature data"):
        load(p, unit="C")


def test_channel_selection(tmp_path):
    a = Stream(np.zeros((5, 3)), 10, (), "g")
    b = Stream(np.ones((5, 3)), 10, (), "g")
    p = tmp_path / "two.resd"
    p.write_bytes(encode_resd([a, b]))   # channels 0 and 1
    with pytest.raises(StreamError, match=r"channels \[0, 1\]"):
        load(p)
    assert np.all(load(p, channel=1).data == 1)
    with pytest.raises(StreamError, match="no acceleration channel 7"):
        load(p, channel=7)


def test_blocks_are_joined_in_time(tmp_path):
    def block(start_ns, values):
        payload = struct.pack(f"<{len(values)}i", *values)
        return struct.pack("<BHHQ", 2, 1, 0, 24 + len(payload)) + struct.pack("<QQQ", start_ns, 10**8, 0) + payload
    p = tmp_path / "t.resd"
    p.write_bytes(b"RESD\x01\0\0\0" + block(0, [1000, 2000]) + block(2 * 10**8, [3000, 4000]))
    s = load(p)
    assert s.rate_hz == 10 and s.data[:, 0].tolist() == [1, 2, 3, 4]
    # a gap between blocks is bridged by interpolation at the blocks' rate
    p.write_bytes(b"RESD\x01\0\0\0" + block(0, [1000, 2000]) + block(4 * 10**8, [5000]))
    assert load(p).data[:, 0] == pytest.approx([1, 2, 3, 4, 5], abs=1e-12)


def test_arbitrary_timestamp_block_is_resampled(tmp_path):
    start, times = 10**9, [0, 10_000_000, 19_000_000, 31_000_000, 40_000_000, 50_000_000]
    values = [0, 10_000, 19_000, 31_000, 40_000, 50_000]                # milli-degC = t in ms
    payload = b"".join(struct.pack("<Qi", t, v) for t, v in zip(times, values))
    body = struct.pack("<Q", start) + struct.pack("<Q", 0) + payload
    p = tmp_path / "arb.resd"
    p.write_bytes(b"RESD\x01\0\0\0" + struct.pack("<BHHQ", 1, 1, 0, len(body)) + body)
    s = load(p)
    assert s.t0_s == 1.0 and s.rate_hz == 100 and s.n_samples == 6   # the median interval
    assert np.allclose(s.data[:, 0], [0, 10, 20, 30, 40, 50])
    s2 = load(p, rate_hz=200)
    assert s2.n_samples == 11 and np.allclose(s2.data[:, 0], np.arange(11) * 5)


def test_unknown_sample_types_are_skipped(tmp_path):
    custom = struct.pack("<BHHQ", 2, 0xF001, 0, 24 + 3) + struct.pack("<QQQ", 0, 1, 0) + b"abc"
    good = encode_resd(Stream([1.5, 2.5], 1, ("t",), "C"))
    p = tmp_path / "c.resd"
    p.write_bytes(good[:8] + custom + good[8:])
    assert load(p).data[:, 0].tolist() == [1.5, 2.5]


@pytest.mark.parametrize("mutate, words", [
    (lambda b: b"RSED" + b[4:], "not a RESD file"),
    (lambda b: b[:4] + b"\x02" + b[5:], "version 2 is not supported"),
    (lambda b: b[:5] + b"\x01" + b[6:], "padding must be zero"),
    (lambda b: b[:-5], "truncated"),
    (lambda b: b[:8] + b"\x07" + b[9:], "unknown block type 7"),
    (lambda b: b + b"\x02\x01", "truncated block header"),
])
def test_bad_files(tmp_path, mutate, words):
    p = tmp_path / "bad.resd"
    p.write_bytes(mutate(encode_resd(Stream(np.zeros((4, 3)), 10, (), "g"))))
    with pytest.raises(StreamError, match=words):
        load(p)


def test_bad_magic_message_says_what_to_do(tmp_path):
    p = tmp_path / "x.resd"
    p.write_bytes(b"PK\x03\x04 not resd")
    with pytest.raises(StreamError) as e:
        load(p)
    assert "expected b'RESD'" in str(e.value) and "csv2resd" in e.value.hint


def test_unwritable_streams():
    with pytest.raises(StreamError, match="needs 3 channels"):
        encode_resd(Stream(np.zeros((4, 2)), 10, (), "g"))
    with pytest.raises(StreamError, match="no sample type for audio"):
        encode_resd(Stream(np.zeros(4), 10, ("pcm",), "pcm"))
    with pytest.raises(StreamError, match="out of range"):
        encode_resd(Stream([-1.0], 10, ("v",), "V"))        # voltage is unsigned
    with pytest.raises(StreamError, match="start times are unsigned"):
        encode_resd(Stream([1.0], 10, ("t",), "C", t0_s=-1))
    ecg = encode_resd(Stream([0.001], 10, ("e",), "mV"), sample_type="ecg")
    assert ecg[9:11] == b"\x05\x00" and struct.unpack_from("<i", ecg, 8 + 13 + 24)[0] == 1000
