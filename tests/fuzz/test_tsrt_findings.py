"""The C runtime's (tsrt) fuzz findings stay fixed.

tsrt_findings/*.tflite are mutated models that fuzz_tsrt.py found (named <input number>_<seed
model>): `--inputs 2000 --seed 1` gave the first four, `--inputs 20000 --seed 11` seven more,
`--inputs 30000 --seed 23` three.
Absurd quantization parameters, strides or dilations made the kernels shift by 83 bits or
overflow int32 arithmetic (UBSan). tsrt now rejects each at init, with a message, before any
kernel runs; the host build with -fsanitize=address,undefined must exit 3 (the harness's "model
rejected") and print no sanitizer report. Three more are valid models with extreme values
(a bias of 0x7fffffff, strided-slice masks with bits above the rank): they must run, with no
sanitizer report, and give TFLM's output (TFLM's compiled kernels wrap int32 sums).
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
    # LOGISTIC int16 input scales of 0 (the multiplier loop ran to a shift of 31 and the kernel
    # took 3 << 31) and 3.2e37 (x * multiplier overflowed); LOGISTIC int8 at 5.8e-43 (a
    # negative radius shift); a dilation of 0x73a5ffff (the window size overflowed int32).
    12548: ("12548_logistic_i16_pot_scale_2048.tflite",
            "error -1: corrupt model: operator 0: quantization scales out of range"),
    14537: ("14537_logistic_i8.tflite",
            "error -1: corrupt model: operator 0: quantization scales out of range"),
    17800: ("17800_logistic_i16_general_scale.tflite",
            "error -1: corrupt model: operator 0: quantization scales out of range"),
    18497: ("18497_dwconv_i8_dil2_relu_pertensor.tflite",
            "error -5: DEPTHWISE_CONV_2D (operator 0): strides and dilations must be positive "
            "and in range"),
}

# Valid but extreme: (model, input) that must run cleanly; True where TFLM's output is checked.
# TFLM refuses 13229 (its input tensor lost its quantization); the SVDF pair (`--seed 23`,
# sums past INT32_MAX) wraps as 18316 does; 23371 QUANTIZEs a float far out of int32 range,
# which TFLM converts with undefined behaviour (x86 gives INT32_MIN): tsrt clamps it.
RUNS = {
    6236: ("6236_svdf_i8_state8", False),
    8633: ("8633_sslice_i8_ellipsis_mask_ignored", True),
    10069: ("10069_svdf_i8_state16_rank2", False),
    13229: ("13229_conv_i8_1x1", False),
    18316: ("18316_kws", True),
    23371: ("23371_quantize_f32_to_i8", False),
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


def _tflm_output(model: bytes, inp: bytes) -> bytes:
    import numpy as np
    from tflite_micro.python.tflite_micro import runtime
    it = runtime.Interpreter.from_bytes(model, arena_size=1 << 20)
    d = it.get_input_details(0)
    it.set_input(np.frombuffer(inp, dtype=d["dtype"]).reshape(d["shape"]), 0)
    it.invoke()
    return it.get_output(0).tobytes()


@pytest.mark.parametrize("number", sorted(RUNS))
def test_extreme_values_run_without_undefined_behaviour(tsrt_san, tmp_path, number):
    stem, check_tflm = RUNS[number]
    model = (FINDINGS / f"{stem}.tflite").read_bytes()
    inp = (FINDINGS / f"{stem}.in").read_bytes()
    (tmp_path / "m.tflite").write_bytes(model)
    (tmp_path / "in.bin").write_bytes(inp)
    p = subprocess.run([str(tsrt_san), str(tmp_path / "m.tflite"), str(tmp_path / "in.bin"),
                        str(tmp_path / "out.bin"), "--arena", str(1 << 20)],
                       capture_output=True, text=True, timeout=60)
    assert "runtime error" not in p.stderr and "Sanitizer" not in p.stderr, p.stderr[-3000:]
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr[-2000:])
    if check_tflm:
        want = _tflm_output(model, inp)
        assert (tmp_path / "out.bin").read_bytes()[:len(want)] == want
