"""Models on the boards through the prebuilt inference firmware, bit-exact with TFLM."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinysim import inference
from tinysim.errors import ModelError

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "runtime"))
pytest.importorskip("flatbuffers")
from models import CASES  # noqa: E402  (the runtime's own corpus: every operator and option)

# hifive1 has a 10 KB arena in its 16 KB DTIM: larger models are rejected with the numbers.
BOARDS = ["nano33ble", "hifive1"]


def _write(tmp_path, name):
    case = CASES[name](np.random.default_rng(0))
    model = tmp_path / f"{name}.tflite"
    model.write_bytes(case.model)
    inp = None
    if len(case.inputs) == 1:
        inp = tmp_path / f"{name}.npy"
        np.save(inp, case.inputs[0])
    return model, inp


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_model_bit_exact_on_board(tmp_path, board, name):
    model, inp = _write(tmp_path, name)
    try:
        run, rep = inference.run_model(board, model, input_path=inp)
    except ModelError as e:
        assert board == "hifive1" and "arena too small" in str(e), str(e)
        pytest.skip(f"does not fit the HiFive1's 10 KB arena: {e}")
    assert run.exit_reason == "exit" and run.exit_code == 0, run.uart
    assert rep.bit_exact, (rep.outputs, rep.reference)
    if rep.arena_tflm_bytes is not None:
        assert rep.arena_planned_bytes <= rep.arena_tflm_bytes
    assert len(rep.ops) == len(inference.inspect_model(model).ops)
    assert rep.instructions_per_inference > 0
    assert sum(op.instructions for op in rep.ops) <= rep.instructions_per_inference


def test_profile_and_report_fields(tmp_path):
    model, inp = _write(tmp_path, "net_i8_kws_like")
    run, rep = inference.run_model("nano33ble", model, input_path=inp)
    assert rep.bit_exact and rep.latency_ms == pytest.approx(rep.cycles_per_inference / 64e3)
    assert {op.op for op in rep.ops} >= {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX"}
    assert rep.op_types["CONV_2D"]["count"] == 1
    assert 0 < rep.arena_peak_bytes <= rep.arena_planned_bytes + 64
    assert rep.model_flash_bytes == model.stat().st_size
    assert rep.stack_peak_bytes and rep.stack_peak_bytes < 8192


def test_random_input_is_seeded(tmp_path):
    model, _ = _write(tmp_path, "net_f32_mlp_tanh_logistic")
    a = inference.run_model("hifive1", model, seed=3)[1]
    b = inference.run_model("hifive1", model, seed=3)[1]
    c = inference.run_model("hifive1", model, seed=4)[1]
    assert a.outputs == b.outputs and a.outputs != c.outputs and a.bit_exact and c.bit_exact


def test_unsupported_operator_is_named_with_its_index(tmp_path):
    from tflite_builder import ModelBuilder
    b = ModelBuilder()
    x = b.tensor((1, 4), "float32")
    y = b.tensor((1, 4), "float32")
    b.op("FLOOR", [x], [y])
    f = tmp_path / "floor.tflite"
    f.write_bytes(b.build([x], [y]))
    with pytest.raises(ModelError, match=r"unsupported operator: FLOOR \(operator 0\)"):
        inference.run_model("nano33ble", f)


def test_corrupt_and_oversized_models(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\x18\x00\x00\x00TFL3" + bytes(40))
    with pytest.raises(ModelError, match="corrupt|type"):
        inference.run_model("nano33ble", bad)
    model, _ = _write(tmp_path, "net_f32_mlp_tanh_logistic")
    data = model.read_bytes()
    big = tmp_path / "big.tflite"
    big.write_bytes(data + bytes(3 << 20))   # valid flatbuffer, padded past the partition
    with pytest.raises(ModelError, match=r"does not fit the model partition \(458,752 bytes"):
        inference.run_model("nano33ble", big)


def test_cli_model_json(tmp_path):
    import json
    model, inp = _write(tmp_path, "net_i8_kws_like")
    p = subprocess.run([sys.executable, "-m", "tinysim", "run", "-p", "hifive1", "-m", str(model),
                        "-i", str(inp), "--json"], capture_output=True, text=True, cwd=REPO)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["inference"]["bit_exact"] and d["inference"]["ops"]


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="no cross compiler")
def test_fresh_build_matches_the_shipped_firmware(tmp_path):
    subprocess.run(["make", "-s", "-C", str(REPO / "firmware"), f"BUILD_DIR={tmp_path}", "BOARD=nano33ble",
                    "infer"], check=True)
    model, inp = _write(tmp_path, "net_i8_kws_like")
    fresh = inference.run_model("nano33ble", model, input_path=inp, firmware=tmp_path / "nano33ble" / "infer.elf")[1]
    shipped = inference.run_model("nano33ble", model, input_path=inp)[1]
    assert fresh.outputs == shipped.outputs
    assert fresh.instructions_per_inference == shipped.instructions_per_inference
    assert [o.instructions for o in fresh.ops] == [o.instructions for o in shipped.ops]


@pytest.mark.parametrize("board", BOARDS)
def test_example_model_trained_with_keras_classifies_each_gesture(tmp_path, board):
    """models/magic_wand.tflite: made by models/train_magic_wand.py (Keras + TFLiteConverter,
    full-integer quantization), a model the runtime was not written against."""
    model = REPO / "models" / "magic_wand.tflite"
    info = inference.inspect_model(model)
    t = info.inputs[0]
    samples = np.load(REPO / "models" / "magic_wand.samples.npy")
    for label in range(4):
        q = np.clip(np.round(samples[label] / t.scale) + t.zero_point, -128, 127).astype(np.int8)
        f = tmp_path / f"w{label}.npy"
        np.save(f, q.reshape(t.shape))
        run, rep = inference.run_model(board, model, input_path=f)
        assert rep.bit_exact
        assert int(np.argmax(rep.outputs[0])) == label


def test_macs_of_the_example_model():
    macs = inference.count_macs((REPO / "models" / "magic_wand.tflite").read_bytes())
    assert sum(macs.values()) == 143_488     # 3 CONV_2D + 2 FULLY_CONNECTED (TF converter: 0.148 M MACs)
