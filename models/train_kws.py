"""Train the keyword-spotting model ("yes" / "no") and write models/kws.tflite.

Data: models/kws_data.py (1 s clips spoken by espeak-ng over the stream generators' noise;
validation on held-out espeak voices). Features: tinysim.dsp.kws_frontend.features, the
fixed-point front end the firmware runs bit for bit (49 frames x 40 log-mel bins, int8), fed
to the network as float32 values of the same integers. Network: DS-CNN style, a strided
convolution then four depthwise-separable blocks, average pooling and a dense layer; converted
with full-integer quantization (int8 input [1, 49, 40, 1], int8 output [1, 4]: silence,
unknown, yes, no). The calibration set spans the front end's whole int8 range, so the input's
quantization is scale 1, zero point 0: the firmware feeds the features as they are.

Needs the `train` extra (TensorFlow) and espeak-ng:

    pip install -e '.[train]'          # and: apt-get install espeak-ng
    python models/train_kws.py [--out models/kws.tflite] [--seed 0] [--clips models/kws_clips]

Prints float and int8 (TFLM's interpreter) accuracy on the held-out voices, per class
precision/recall and the confusion matrix, and writes them to <out>.metrics.json.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))   # models/ helpers when run from elsewhere
import kws_data  # noqa: E402
from _tflite import to_int8_tflite  # noqa: E402

from tinysim.dsp import kws_frontend as fe  # noqa: E402

CLASSES = kws_data.CLASSES


def featurize(pcm: np.ndarray) -> np.ndarray:
    """[n, 16000] int16 -> [n, 49, 40, 1] float32 (the front end's int8 values)."""
    return np.stack([fe.features(c) for c in pcm]).astype(np.float32)[..., None]


def build_model(tf, width: int = 32):
    L = tf.keras.layers

    def block(x, ch, stride):
        x = L.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
        x = L.Conv2D(ch, 1, use_bias=False)(x)
        x = L.BatchNormalization()(x)
        return L.ReLU()(x)

    inp = tf.keras.Input((fe.N_FRAMES, fe.N_MEL, 1), batch_size=1)
    # Raw features in (no rescaling layer: it would convert to a MUL our runtime lacks); the
    # batch normalization after the first convolution takes care of the scale.
    # Stride 4 across the 40 mel bins: the first convolution is the costliest layer on the
    # device (one input channel), and 10 frequency positions suffice (MLPerf's DS-CNN uses 10 MFCCs).
    x = L.Conv2D(width // 2, (10, 4), strides=(2, 4), padding="same", use_bias=False)(inp)  # 25 x 10
    x = L.BatchNormalization()(x)
    x = L.ReLU()(x)
    x = block(x, width, 2)          # 13 x 5
    x = block(x, width, 1)
    x = block(x, 2 * width, 2)      # 7 x 3
    x = block(x, 2 * width, 1)
    x = L.AveragePooling2D(pool_size=(7, 3))(x)
    x = L.Flatten()(x)
    x = L.Dropout(0.2)(x)
    out = L.Dense(len(CLASSES), activation="softmax")(x)
    return tf.keras.Model(inp, out)


def representative(x: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Calibration samples across classes, plus one whose two cells hold the front end's extreme
    values (-128, 127), so the input tensor is quantized with scale 1 and zero point 0."""
    idx = np.random.default_rng(seed).choice(len(x), size=min(n, len(x)), replace=False)
    rep = x[idx].copy()
    rep[0, 0, 0, 0], rep[0, 0, 1, 0] = -128.0, 127.0
    return rep


def int8_predict(model: bytes, feats: np.ndarray) -> np.ndarray:
    """Class scores (int8) from TFLM's interpreter, the ground truth for our runtime's outputs."""
    from tflite_micro.python.tflite_micro import runtime
    interp = runtime.Interpreter.from_bytes(model, arena_size=1 << 20)
    d = interp.get_input_details(0)
    scale, zp = d["quantization_parameters"]["scales"][0], d["quantization_parameters"]["zero_points"][0]
    out = []
    for f in feats:
        q = np.clip(np.round(f / scale + zp), -128, 127).astype(np.int8)
        interp.set_input(q[None], 0)
        interp.invoke()
        out.append(np.array(interp.get_output(0))[0])
    return np.stack(out)


def confusion(y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    m = np.zeros((len(CLASSES), len(CLASSES)), dtype=np.int64)
    np.add.at(m, (y, pred), 1)
    return m


def metrics(y: np.ndarray, pred: np.ndarray) -> dict:
    m = confusion(y, pred)
    per = {}
    for c, name in enumerate(CLASSES):
        tp, predicted, actual = int(m[c, c]), int(m[:, c].sum()), int(m[c].sum())
        per[name] = {"n": actual, "precision": round(tp / predicted, 4) if predicted else None,
                     "recall": round(tp / actual, 4) if actual else None}
    return {"accuracy": round(float(np.mean(y == pred)), 4), "per_class": per,
            "confusion": {"labels": list(CLASSES), "rows": "true", "columns": "predicted",
                          "matrix": m.tolist()}}


def print_metrics(title: str, r: dict) -> None:
    print(f"\n{title}: accuracy {r['accuracy']:.3f}")
    print(f"  {'class':<8} {'n':>5} {'precision':>9} {'recall':>7}")
    for name, p in r["per_class"].items():
        fmt = lambda v: "-" if v is None else f"{v:.3f}"   # noqa: E731
        print(f"  {name:<8} {p['n']:>5} {fmt(p['precision']):>9} {fmt(p['recall']):>7}")
    print("  confusion (rows true, columns predicted): " + " ".join(f"{c:>7}" for c in CLASSES))
    for name, row in zip(CLASSES, r["confusion"]["matrix"]):
        print(f"  {'':<42}{name:<8}" + " ".join(f"{v:>7}" for v in row))


def write_wav(path: Path, pcm: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(fe.SAMPLE_RATE)
        w.writeframes(pcm.astype("<i2").tobytes())


def save_clips(folder: Path, pcm: np.ndarray, y: np.ndarray, q: np.ndarray) -> list[str]:
    """One held-out clip per class that the int8 model gets right with the largest margin:
    yes.wav, no.wav, unknown.wav, noise.wav (silence)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {"silence": "noise", "unknown": "unknown", "yes": "yes", "no": "no"}
    out = []
    for c, cls in enumerate(CLASSES):
        s = q.astype(np.int32)
        margin = s[:, c] - np.max(np.delete(s, c, axis=1), axis=1)
        ok = np.flatnonzero((y == c) & (margin > 0))
        if not len(ok):
            continue
        # the median-margin correct clip: typical, not the easiest one
        i = int(ok[np.argsort(margin[ok], kind="stable")[len(ok) // 2]])
        write_wav(folder / f"{names[cls]}.wav", pcm[i])
        out.append(f"{names[cls]}.wav")
    return out


def main(argv=None) -> int:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(here / "kws.tflite"))
    ap.add_argument("--clips", default=str(here / "kws_clips"), help="where the held-out clips go ('' for none)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-keyword", type=int, default=1200, help="training clips per keyword")
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--width", type=int, default=32)
    args = ap.parse_args(argv)

    t0 = time.time()
    n = args.per_keyword
    pcm, y = kws_data.load_split("train", n, 2 * n, n, args.seed)
    vpcm, vy = kws_data.load_split("val", 150, 300, 150, args.seed)
    x, vx = featurize(pcm), featurize(vpcm)
    print(f"data: {len(x)} training clips {np.bincount(y).tolist()}, {len(vx)} held-out "
          f"{np.bincount(vy).tolist()} ({time.time() - t0:.0f} s)")

    import tensorflow as tf
    tf.keras.utils.set_random_seed(args.seed)
    model = build_model(tf, args.width)
    model.summary(print_fn=lambda s: print(s) if "params" in s else None)
    sched = tf.keras.optimizers.schedules.CosineDecay(3e-3, args.epochs * (len(x) // 64 + 1))
    model.compile(optimizer=tf.keras.optimizers.Adam(sched), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=args.epochs, batch_size=64, verbose=2, shuffle=True, validation_data=(vx, vy))

    fl = metrics(vy, np.argmax(model.predict(vx, verbose=0), axis=1))
    tfl = to_int8_tflite(tf, model, representative(x, 400, args.seed), n_representative=400)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_bytes(tfl)
    q = int8_predict(tfl, vx)
    i8 = metrics(vy, np.argmax(q, axis=1))
    print_metrics("held-out voices, float", fl)
    print_metrics("held-out voices, int8 (TFLM)", i8)
    report = {"held_out_voices": kws_data.voices("val"), "train_voices": len(kws_data.voices("train")),
              "train_clips": len(x), "held_out_clips": len(vx), "float": fl, "int8": i8,
              "model_bytes": len(tfl), "params": int(model.count_params()), "seed": args.seed}
    if args.clips:
        report["clips"] = save_clips(Path(args.clips), vpcm, vy, q)
    Path(args.out).with_suffix(".metrics.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"\nwrote {args.out} ({len(tfl)} bytes) in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
