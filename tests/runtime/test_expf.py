"""tsrt_expf: its table regenerates exactly, and it equals glibc's expf (TFLM's host libm)
bit for bit on half a million inputs."""
from __future__ import annotations

import ctypes
import re
import shutil
import struct
import subprocess
from decimal import Decimal, getcontext
from pathlib import Path

import numpy as np
import pytest

RT = Path(__file__).resolve().parents[2] / "firmware" / "runtime"


def test_table_is_2_pow_i_over_32():
    getcontext().prec = 60
    text = (RT / "tsrt_expf.c").read_text()
    table = [int(v, 16) for v in re.findall(r"0x([0-9a-f]{16})ULL", text)]
    want = [(struct.unpack("<Q", struct.pack("<d", float(Decimal(2) ** (Decimal(i) / 32))))[0] - (i << 47))
            & (2**64 - 1) for i in range(32)]
    assert table == want


@pytest.mark.skipif(shutil.which("cc") is None, reason="no host C compiler")
def test_matches_glibc_expf(tmp_path):
    lib = tmp_path / "libexpf.so"
    subprocess.run(["cc", "-O2", "-std=c99", "-ffp-contract=off", "-shared", "-fPIC", f"-I{RT}",
                    str(RT / "tsrt_expf.c"), "-o", str(lib)], check=True)
    mine = ctypes.CDLL(str(lib)).tsrt_expf
    libm = ctypes.CDLL("libm.so.6").expf
    for f in (mine, libm):
        f.restype, f.argtypes = ctypes.c_float, [ctypes.c_float]
    rng = np.random.default_rng(7)
    xs = np.concatenate([rng.uniform(-105, 90, 200_000), rng.uniform(-8, 8, 300_000),
                         [0.0, -0.0, 88.72283, 88.7229, -103.97207, -103.9721, -87.33654, np.inf, -np.inf]])
    bad = [x for x in xs.astype(np.float32)
           if struct.pack("<f", mine(float(x))) != struct.pack("<f", libm(float(x)))]
    assert not bad, bad[:5]
