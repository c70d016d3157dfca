"""models/kws.tflite (models/train_kws.py): the contract with the keyword-spotting firmware
(shapes, quantization, operators, budget), bit-exact in tsrt against TFLM on the committed
held-out clips, and their classes; the dataset's voice split."""
from __future__ import annotations

import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from tinysim import inference
from tinysim.dsp import kws_frontend as fe

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "kws.tflite"
CLIPS = REPO / "models" / "kws_clips"
LABELS = ("silence", "unknown", "yes", "no")
# clip file -> the class the model must give it (the file names say what was spoken)
EXPECTED = {"yes.wav": "yes", "no.wav": "no", "unknown.wav": "unknown", "noise.wav": "silence"}
# the ops tsrt runs and the contract allows
ALLOWED_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "FULLY_CONNECTED",
               "RESHAPE", "SOFTMAX", "MEAN", "ADD", "RELU", "RELU6", "PAD", "SQUEEZE", "QUANTIZE",
               "DEQUANTIZE"}


def _pcm(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000), path
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


def _features(path: Path) -> np.ndarray:
    f = fe.features(_pcm(path))
    assert f.shape == (fe.N_FRAMES, fe.N_MEL), path        # 1 s of audio: 49 frames
    return f.reshape(1, fe.N_FRAMES, fe.N_MEL, 1)


def _tflm(x: np.ndarray) -> np.ndarray:
    from tflite_micro.python.tflite_micro import runtime
    interp = runtime.Interpreter.from_bytes(MODEL.read_bytes(), arena_size=1 << 20)
    interp.set_input(x, 0)
    interp.invoke()
    return np.array(interp.get_output(0)).reshape(-1)


def test_model_matches_the_firmware_contract():
    info = inference.inspect_model(MODEL)
    (inp,), (out,) = info.inputs, info.outputs
    assert (inp.dtype, inp.shape) == ("int8", (1, fe.N_FRAMES, fe.N_MEL, 1))
    assert (out.dtype, out.shape) == ("int8", (1, len(LABELS)))
    # features go in as they are: the calibration spanned -128..127
    assert (inp.scale, inp.zero_point) == (1.0, 0)
    # a softmax output: TFLite's fixed int8 quantization for it
    assert (out.scale, out.zero_point) == (1 / 256, -128)
    ops = {name for _, name in info.ops}
    assert ops <= ALLOWED_OPS and not info.unsupported, ops
    assert info.size <= 100 * 1024


def test_model_fits_the_nano33ble_budget():
    # TFLM's own arena figure for the model (the firmware's arena holds 64 KB at most)
    ref = inference.reference(MODEL.read_bytes(), [np.zeros((1, fe.N_FRAMES, fe.N_MEL, 1), np.int8)])
    assert ref.arena_used_bytes is not None and ref.arena_used_bytes <= 64 * 1024


def test_committed_clips_are_classified_by_their_names():
    assert sorted(p.name for p in CLIPS.glob("*.wav")) == sorted(EXPECTED)
    for name, label in EXPECTED.items():
        scores = _tflm(_features(CLIPS / name))
        assert LABELS[int(np.argmax(scores))] == label, (name, scores.tolist())


@pytest.mark.parametrize("clip", sorted(EXPECTED))
def test_tsrt_is_bit_exact_with_tflm_on_the_clips(tmp_path, clip):
    x = _features(CLIPS / clip)
    np.save(tmp_path / "x.npy", x)
    _, rep = inference.run_model("nano33ble", MODEL, input_path=tmp_path / "x.npy")
    assert rep.bit_exact is True
    got = np.asarray(rep.outputs[0]).reshape(-1)
    assert got.tolist() == _tflm(x).tolist()
    assert LABELS[int(np.argmax(got))] == EXPECTED[clip]


@pytest.mark.parametrize("mix", [{"yes.wav": 0.3, "no.wav": 0.7}, {"yes.wav": 0.2, "noise.wav": 1.0}])
def test_tsrt_is_bit_exact_with_tflm_on_undecided_mixtures(tmp_path, mix):
    # the clips alone saturate the softmax; mixtures leave the model undecided, so the
    # comparison covers output values between the rails
    pcm = sum(w * _pcm(CLIPS / name).astype(np.float64) for name, w in mix.items())
    x = fe.features(np.clip(np.round(pcm), -32768, 32767).astype(np.int16)).reshape(1, fe.N_FRAMES, fe.N_MEL, 1)
    np.save(tmp_path / "x.npy", x)
    _, rep = inference.run_model("nano33ble", MODEL, input_path=tmp_path / "x.npy")
    want = _tflm(x)
    assert np.sum((want > -128) & (want < 127)) >= 2, want
    assert rep.bit_exact is True and np.asarray(rep.outputs[0]).reshape(-1).tolist() == want.tolist()


def test_held_out_voices_share_neither_accent_nor_variant_with_training():
    sys.path.insert(0, str(REPO / "models"))
    import kws_data
    train, val = kws_data.voices("train"), kws_data.voices("val")
    split = lambda v: (v.split("+")[0], v.split("+")[1] if "+" in v else None)   # noqa: E731
    assert not {split(v)[0] for v in train} & {split(v)[0] for v in val}
    assert not {split(v)[1] for v in train} & {split(v)[1] for v in val}
    assert len(kws_data.UNKNOWN_WORDS) >= 20 and not set(kws_data.KEYWORDS) & set(kws_data.UNKNOWN_WORDS)
