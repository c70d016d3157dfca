"""Train the example gesture model ("magic wand") and write models/magic_wand.tflite.

Data comes from tinysim's own seeded gesture generator (wing, ring, slope, plus idle and
random motion as "negative"), 64 samples x 3 axes of acceleration in g at 25 Hz, the rate
TFLM's magic_wand example uses. The network is a small CNN, converted with full-integer
quantization (int8 input and output). Needs the `train` extra (TensorFlow):

    pip install -e '.[train]'
    python models/train_magic_wand.py [--out models/magic_wand.tflite] [--seed 0]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinysim import streams

CLASSES = ("wing", "ring", "slope", "negative")
RATE_HZ = 25.0
WINDOW = 64


def window_of(stream) -> np.ndarray:
    """The WINDOW samples ending where the gesture ends (or the last ones), as the firmware sees
    them when it classifies the most recent window."""
    x = np.asarray(stream.data, dtype=np.float32)
    if stream.labels:
        end = min(len(x), int(round(stream.labels[-1].end_s * RATE_HZ)) + 2)
    else:
        end = len(x)
    x = x[max(0, end - WINDOW):end]
    if len(x) < WINDOW:
        x = np.concatenate([np.repeat(x[:1], WINDOW - len(x), axis=0), x])
    return x


def example(label: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    orient = {"roll": float(rng.uniform(-20, 20)), "pitch": float(rng.uniform(-20, 20)), "yaw": 0.0}
    if CLASSES[label] == "negative":
        spec = {"sum": [{"type": "random_walk", "step_std": float(rng.uniform(0.002, 0.03)), "channels": 3},
                        {"type": "constant", "value": [0.0, 0.0, 1.0]}]}
        s = streams.generate(spec, seed=seed, rate_hz=RATE_HZ, duration_s=WINDOW / RATE_HZ, unit="g")
    else:
        spec = {"type": "gesture", "gesture": CLASSES[label], "lead_s": float(rng.uniform(0.0, 0.6)),
                "speed": float(rng.uniform(0.8, 1.25)), "amplitude": float(rng.uniform(0.8, 1.2)),
                "noise": 0.02, "orientation": orient}
        s = streams.generate(spec, seed=seed, rate_hz=RATE_HZ, unit="g")
    return window_of(s)


def dataset(n_per_class: int, seed: int):
    xs, ys = [], []
    for label in range(len(CLASSES)):
        for i in range(n_per_class):
            xs.append(example(label, seed * 1_000_003 + label * 100_000 + i))
            ys.append(label)
    return np.stack(xs), np.array(ys)


def build_model(tf):
    inp = tf.keras.Input((WINDOW, 3, 1), batch_size=1)
    x = tf.keras.layers.Conv2D(8, (4, 3), padding="same", activation="relu")(inp)
    x = tf.keras.layers.MaxPooling2D((3, 3), padding="same")(x)
    x = tf.keras.layers.Conv2D(16, (4, 1), padding="same", activation="relu")(x)
    x = tf.keras.layers.MaxPooling2D((3, 1), padding="same")(x)
    x = tf.keras.layers.Flatten()(x)
    x = tf.keras.layers.Dense(16, activation="relu")(x)
    out = tf.keras.layers.Dense(len(CLASSES), activation="softmax")(x)
    return tf.keras.Model(inp, out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).with_name("magic_wand.tflite")))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-class", type=int, default=300)
    ap.add_argument("--epochs", type=int, default=25)
    args = ap.parse_args(argv)

    import tensorflow as tf
    tf.keras.utils.set_random_seed(args.seed)
    x, y = dataset(args.per_class, args.seed)
    xv, yv = dataset(max(20, args.per_class // 5), args.seed + 1)
    model = build_model(tf)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[..., None], y, epochs=args.epochs, batch_size=32, verbose=2, shuffle=True)
    _, acc = model.evaluate(xv[..., None], yv, verbose=0)
    print(f"validation accuracy (float): {acc:.3f}")

    def representative():
        for i in range(0, len(x), max(1, len(x) // 200)):
            yield [x[i:i + 1, ..., None].astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    Path(args.out).write_bytes(converter.convert())
    # Also save a validation window per class for the scenarios and tests.
    np.save(Path(args.out).with_suffix(".samples.npy"), np.stack([xv[yv == c][0] for c in range(len(CLASSES))]))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
