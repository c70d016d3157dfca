"""The C runtime's (tsrt) fuzz findings stay fixed.

tsrt_findings/*.tflite are the four mutated models `tests/fuzz/fuzz_tsrt.py --inputs 2000 --seed 1`
found (named <input number>_<seed model>): absurd quantization parameters that made the kernels
shift by 83 bits or overflow int32 sums (UBSan). tsrt now rejects each at init, with a message,
before any kernel runs; the host build with -fsanitize=address,undefined must exit 3 (the
harness's "model rejected") and print no sanitizer report.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tinysim import inference
from tinysim.errors import ModelError

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fuzz_tsrt import build  # noqa: E402  (the campaign's own sanitizer build)
FINDINGS = HERE / "tsrt_findings"

# input number -> (file, what tsrt must say). Read off the mutations: 217 scales the MUL's output
# so that its multiplier needs a shift of 83 bits; 269 sets an SVDF scale to 2.3e34 (bytes
# 140..143), so the sums overflowed; 710 writes 0x80000000 into an int8 zero point (negated in
# prepare); 1126 sets the FULLY_CONNECTED filter's int8 zero point to 0x7fffffff.
CASES = {
    217: ("217_mul_i8_scalar_relu_n1.tflite",
          "error -1: corrupt model: operator 0: quantization scales out of range"),
    269: ("269_svdf_i8_state16_rank1.tflite",
          "error -1: corrupt model: operator 0: quantization scales out of range"),
    710: ("710_add_i8_relu6_bcast_3d_2d.tflite",
          "error -1: corrupt model: tensor 0: zero point out of range"),
    1126: ("1126_anomaly_800hz.tflite",
           "error -1: corrupt model: tensor 6: zero point out of range"),
}


@pytest.fixture(scope="module")
def tsrt_san(tmp_path_factory) -> Path:
    if shutil.which("cc") is None:
        pytest.skip("no C compiler (cc) on PATH")
    try:
        return build(tmp_path_factory.mktemp("tsrt_san") / "tsrt_run")
    except subprocess.CalledProcessError:
        pytest.skip("cc cannot build with -fsanitize=address,undefined")


def _run(exe: Path, model: bytes, tmp_path: Path) -> subprocess.CompletedProcess:
    (tmp_path / "m.tflite").write_bytes(model)
    (tmp_path / "in.bin").write_bytes(b"")       # never read: init must fail first
    return subprocess.run([str(exe), str(tmp_path / "m.tflite"), str(tmp_path / "in.bin"),
                           str(tmp_path / "out.bin"), "--arena", str(1 << 20)],
                          capture_output=True, text=True, timeout=60)


def _assert_rejected_cleanly(p: subprocess.CompletedProcess, message: str) -> None:
    assert "runtime error" not in p.stderr and "Sanitizer" not in p.stderr, p.stderr[-3000:]
    assert p.returncode == 3, (p.returncode, p.stdout, p.stderr[-2000:])
    assert p.stdout.strip().startswith(message), p.stdout


@pytest.mark.parametrize("number", sorted(CASES))
def test_fuzz_finding_is_a_model_error(tsrt_san, tmp_path, number):
    name, message = CASES[number]
    _assert_rejected_cleanly(_run(tsrt_san, (FINDINGS / name).read_bytes(), tmp_path), message)


def test_the_board_reports_the_rejection_with_a_hint():
    """The same check in the prebuilt firmware: tinysim says what tsrt said and what to do."""
    with pytest.raises(ModelError) as e:
        inference.run_model("nano33ble", FINDINGS / CASES[1126][0])
    assert str(e.value) == (
        f"{FINDINGS / CASES[1126][0]}: the firmware rejected the model: corrupt model: tensor 6: "
        "zero point out of range\n"
        "  hint: the file is damaged or was not written by the TFLite converter: convert the "
        "model again")
