"""tsrt error paths (unsupported operator / type, corrupt flatbuffers, C API misuse),
the profiling hook, and warning-free cross compilation for both firmware targets."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

pytest.importorskip("flatbuffers", reason="flatbuffers is not installed")
pytest.importorskip("tflite_micro", reason="tflite-micro (reference + schema) is not installed")

from tsrt_harness import HERE, RUNTIME, tsrt_exec
from tinysim.model_corpus import CASES, NONE
from tinysim.tflite_builder import ModelBuilder, options


def _fc_then(op_name_or_code, **kw):
    """A valid FULLY_CONNECTED followed by another operator."""
    b = ModelBuilder()
    x = b.tensor((1, 4), "float32")
    w = b.const(np.ones((4, 4), np.float32), "float32")
    h = b.tensor((1, 4), "float32")
    y = b.tensor((1, 4), "float32")
    b.op("FULLY_CONNECTED", [x, w, -1], [h], options("FullyConnectedOptions"))
    b.op(op_name_or_code, [h], [y], **kw)
    return b.build([x], [y]), [np.ones((1, 4), np.float32)]


def test_unsupported_operator_is_named_with_its_index(tsrt_run, tmp_path):
    model, inputs = _fc_then("FLOOR")
    p, _, _ = tsrt_exec(tsrt_run, tmp_path, model, inputs)
    assert p.returncode == 3
    assert "error -2" in p.stdout
    assert "unsupported operator FLOOR (builtin code 8) at operator index 1" in p.stdout


def test_custom_operator_is_unsupported(tsrt_run, tmp_path):
    model, inputs = _fc_then("CUSTOM", custom_code="MyOp")
    p, _, _ = tsrt_exec(tsrt_run, tmp_path, model, inputs)
    assert p.returncode == 3 and "error -2" in p.stdout
    assert "CUSTOM (builtin code 32) at operator index 1" in p.stdout


def test_extended_builtin_code_beyond_127(tsrt_run, tmp_path):
    # deprecated_builtin_code 127 (placeholder) + builtin_code 150: max() is used
    model, inputs = _fc_then(150, deprecated_code=127, builtin_code=150)
    p, _, _ = tsrt_exec(tsrt_run, tmp_path, model, inputs)
    assert p.returncode == 3 and "(builtin code 150) at operator index 1" in p.stdout


def test_builtin_code_max_of_deprecated_and_new(tsrt_run, tflm, tmp_path):
    # builtin_code left at 0 (ADD) but deprecated code says FULLY_CONNECTED
    b = ModelBuilder()
    x = b.tensor((1, 4), "float32")
    w = b.const(np.arange(16, dtype=np.float32).reshape(4, 4), "float32")
    y = b.tensor((1, 4), "float32")
    b.op(9, [x, w, -1], [y], options("FullyConnectedOptions"), builtin_code=0,
         deprecated_code=9)
    inputs = [np.array([[1, 2, 3, 4]], np.float32)]
    p, got, _ = tsrt_exec(tsrt_run, tmp_path, b.build([x], [y]), inputs)
    assert p.returncode == 0, p.stdout
    assert np.frombuffer(got, np.float32).tolist() == [20, 60, 100, 140]


def test_unsupported_type_for_op(tsrt_run, tmp_path):
    b = ModelBuilder()
    x = b.tensor((1, 4), "int8", scale=0.1)
    w = b.const(np.ones((3, 4), np.float32), "float32")
    y = b.tensor((1, 3), "int8", scale=0.1)
    b.op("FULLY_CONNECTED", [x, w, -1], [y], options("FullyConnectedOptions"))
    p, _, _ = tsrt_exec(tsrt_run, tmp_path, b.build([x], [y]), [np.zeros((1, 4), np.int8)])
    assert p.returncode == 3 and "error -3" in p.stdout
    assert "FULLY_CONNECTED (operator 0)" in p.stdout


def test_unsupported_tensor_type(tsrt_run, tmp_path):
    b = ModelBuilder()
    x = b.tensor((2, 2), "uint8", scale=0.1)
    y = b.tensor((2, 2), "uint8", scale=0.1)
    b.op("ADD", [x, x], [y], options("AddOptions", fusedActivationFunction=NONE))
    p, _, _ = tsrt_exec(tsrt_run, tmp_path, b.build([x], [y]), [np.zeros((2, 2), np.uint8)])
    assert p.returncode == 3 and "error -3" in p.stdout and "ADD (operator 0)" in p.stdout


def test_invalid_shapes_rejected(tsrt_run, tmp_path):
    b = ModelBuilder()
    x = b.tensor((1, 4), "float32")
    w = b.const(np.ones((3, 5), np.float32), "float32")
    y = b.tensor((1, 3), "float32")
    b.op("FULLY_CONNECTED", [x, w, -1], [y], options("FullyConnectedOptions"))
    p, _, _ = tsrt_exec(tsrt_run, tmp_path, b.build([x], [y]), [np.zeros((1, 4), np.float32)])
    assert p.returncode == 3 and "error -5" in p.stdout


@pytest.mark.parametrize("blob", [b"", b"\x00" * 8, b"\xff" * 64, b"TFL3" * 40,
                                  bytes(range(256)) * 4])
def test_garbage_is_a_model_error(tsrt_run, tmp_path, blob):
    p, _, _ = tsrt_exec(tsrt_run, tmp_path, blob, [np.zeros(1, np.int8)])
    assert p.returncode == 3, p.stdout + p.stderr
    assert "error -1" in p.stdout and "corrupt model" in p.stdout


def _assert_no_crash(p):
    assert p.returncode in (0, 2, 3, 4), (p.returncode, p.stdout, p.stderr[-2000:])
    assert "Sanitizer" not in p.stderr, p.stderr[-3000:]
    assert "runtime error" not in p.stderr, p.stderr[-3000:]


def test_truncated_models_never_crash(tsrt_run_asan, tmp_path):
    c = CASES["net_i8_kws_like"](np.random.default_rng(1))
    n = len(c.model)
    for cut in sorted(set([0, 4, 8, 16, 24, 32, 64, n // 3, n // 2, n - 200, n - 16, n - 1])):
        p, _, _ = tsrt_exec(tsrt_run_asan, tmp_path, c.model[:cut], c.inputs, arena=1 << 20,
                            name=f"cut{cut}")
        _assert_no_crash(p)
        assert p.returncode == 3, (cut, p.stdout)


@pytest.mark.parametrize("base", ["net_i8_kws_like", "svdf_i8_state16_rank2",
                                  "sslice_i8_masks_4d", "mean_i8_hw_keepdims"])
def test_mutated_models_never_crash(tsrt_run_asan, tmp_path, base):
    """Random byte corruption: tsrt may reject or run the model, but never reads or
    writes out of bounds (built with AddressSanitizer + UBSan)."""
    c = CASES[base](np.random.default_rng(2))
    rng = np.random.default_rng(1234)
    model = np.frombuffer(c.model, np.uint8)
    outcomes = set()
    for k in range(60):
        mut = model.copy()
        for _ in range(int(rng.integers(1, 5))):
            pos = int(rng.integers(0, len(mut)))
            mut[pos] = rng.integers(0, 256) if rng.random() < 0.7 else mut[pos] ^ 0x80
        p, _, _ = tsrt_exec(tsrt_run_asan, tmp_path, mut.tobytes(), c.inputs, arena=1 << 20,
                            name=f"mut{k}")
        _assert_no_crash(p)
        outcomes.add(p.returncode)
    # The corruptions must reach both paths: models tsrt rejects (3) and models it still runs
    # (0), or the test checks less than it claims.
    assert {0, 3} <= outcomes, outcomes


def test_c_api_and_op_marker_hook(tmp_path):
    if shutil.which("cc") is None:
        pytest.skip("no C compiler (cc) on PATH")
    exe = tmp_path / "api_test"
    srcs = [str(p) for p in sorted(RUNTIME.glob("*.c"))]
    subprocess.run(["cc", "-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", "-I", str(RUNTIME),
                    "-o", str(exe), str(HERE / "api_test.c"), *srcs, "-lm"], check=True)
    c = CASES["net_i8_kws_like"](np.random.default_rng(1))
    mp = tmp_path / "m.tflite"
    mp.write_bytes(c.model)
    p = subprocess.run([str(exe), str(mp)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = dict(line.split(" ", 1) for line in p.stdout.strip().splitlines())
    assert lines["init_null_model"] == "-1"
    assert lines["invoke_after_failed_init"] == "-6"
    assert lines["init_null_struct"] == "-6"
    assert lines["init_null_arena"] == "-4"
    assert lines["init_misaligned_model"] == "-1"
    assert lines["invoke_zeroed_struct"] == "-6"
    assert lines["init"].startswith("0 ")
    assert lines["counts"] == "1 2"
    assert lines["bad_index"].split()[2] == "0"
    assert lines["input0"] == "type 0 ndims 4 dims 1 16 12 1 scale 0 zp 0"
    assert lines["aligned"] == "1"
    assert lines["invoke"] == "0"
    # QUANTIZE CONV DWCONV ADD AVGPOOL MAXPOOL CONCAT RESHAPE FC SOFTMAX DEQUANTIZE, then -1
    codes = [114, 3, 4, 0, 1, 17, 2, 22, 9, 25, 6]
    want = " ".join(f"{i}:{code}" for i, code in enumerate(codes)) + " -1:-1"
    assert lines["markers"] == want
    assert lines["op_name"] == "CONV_2D QUANTIZE"


CROSS = {
    "arm-none-eabi-gcc": [["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
                           "-mfpu=fpv4-sp-d16"],
                          ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
                           "-mfpu=fpv4-sp-d16", "-ffreestanding"]],
    "riscv64-unknown-elf-gcc": [["-march=rv32imac", "-mabi=ilp32", "-misa-spec=2.2",
                                 "-ffreestanding"],
                                ["--specs=picolibc.specs", "-march=rv32imac", "-mabi=ilp32",
                                 "-misa-spec=2.2"]],
}
STRICT = ["-O2", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wundef", "-Wstrict-prototypes",
          "-Wmissing-prototypes", "-Wpointer-arith", "-Wvla"]


@pytest.mark.parametrize("compiler", sorted(CROSS))
def test_cross_compiles_warning_free(compiler, tmp_path):
    if shutil.which(compiler) is None:
        pytest.skip(f"{compiler} not installed")
    done = 0
    for variant, flags in enumerate(CROSS[compiler]):
        probe = subprocess.run([compiler, *flags, "-x", "c", "-c", "-o", "/dev/null", "-"],
                               input="#include <string.h>\n#include <stdint.h>\n",
                               capture_output=True, text=True)
        if probe.returncode != 0:
            continue  # that libc flavour is not installed
        for src in sorted(RUNTIME.glob("*.c")):
            p = subprocess.run([compiler, *flags, *STRICT, "-c", str(src), "-o",
                                str(tmp_path / f"{src.stem}.{variant}.o")],
                               capture_output=True, text=True)
            assert p.returncode == 0 and not p.stderr.strip(), p.stderr
        done += 1
    assert done, f"{compiler}: no usable header set"
