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

from _tflite import to_int8_tflite  # models/_tflite.py (scripts run from models/)

CLASSES = ("wing", "ring", "slope", "negative")
RATE_HZ = 25.0
WINDOW = 64


def window_ending(x: np.ndarray, end: int) -> np.ndarray:
    """The WINDOW samples before index ``end`` (padded with the first sample at the start)."""
    x = x[max(0, end - WINDOW):end]
    if len(x) < WINDOW:
        x = np.concatenate([np.repeat(x[:1], WINDOW - len(x), axis=0), x])
    return x


def example(label: int, seed: int) -> np.ndarray:
    """A window as the firmware sees it: it classifies every 8 samples, so a gesture ends
    0-16 samples before the window does, and the previous gesture may still be in view.
    Negatives: still or randomly moving, windows that end half-way through a gesture, and
    windows that end a second or more after one."""
    rng = np.random.default_rng(seed)
    gestures = list(CLASSES[:3])
    orient = {"roll": float(rng.uniform(-20, 20)), "pitch": float(rng.uniform(-20, 20)), "yaw": 0.0}
    common = {"speed": float(rng.uniform(0.8, 1.25)), "amplitude": float(rng.uniform(0.8, 1.2)),
              "noise": float(rng.uniform(0.005, 0.03)), "orientation": orient}
    kind = CLASSES[label]
    if kind == "negative" and rng.random() < 0.5:
        spec = {"sum": [{"type": "random_walk", "step_std": float(rng.uniform(0.002, 0.03)), "channels": 3},
                        {"type": "constant", "value": [0.0, 0.0, 1.0]}]}
        s = streams.generate(spec, seed=seed, rate_hz=RATE_HZ, duration_s=WINDOW / RATE_HZ, unit="g")
        return window_ending(np.asarray(s.data, dtype=np.float32), WINDOW)
    target = kind if kind != "negative" else gestures[rng.integers(3)]
    seq = [gestures[rng.integers(3)], target] if rng.random() < 0.3 else [target]
    spec = {"type": "gesture", "gesture": seq, "order": "cycle", "repeat": 1,
            "lead_s": float(rng.uniform(0.2, 1.5)), "gap_s": float(rng.uniform(1.8, 2.5)), **common}
    s = streams.generate(spec, seed=seed, rate_hz=RATE_HZ, unit="g")
    x = np.asarray(s.data, dtype=np.float32)
    last = s.labels[-1]
    start, end = int(last.start_s * RATE_HZ), int(round(last.end_s * RATE_HZ))
    if kind == "negative" and rng.random() < 0.5:   # the target only partly drawn
        stop = start + int((end - start) * rng.uniform(0.1, 0.5))
    elif kind == "negative":                        # the gesture is long over
        stop = end + int(rng.integers(24, 48))
    else:
        stop = end + int(rng.integers(0, 17))
    if stop > len(x):
        x = np.concatenate([x, np.repeat(x[-1:], stop - len(x), axis=0)])
    return window_ending(x, stop)


def dataset(n_per_class: int, seed: int):
    xs, ys = [], []
    for label in range(len(CLASSES)):
        for i in range(n_per_class):
            xs.append(example(label, seed * 1_000_003 + label * 100_000 + i))
            ys.append(label)
    return np.stack(xs), np.array(ys)


def build_model(tf):
    inp = tf.keras.Input((WINDOW, 3, 1), batch_size=1)
    x = tf.keras.layers.Conv2D(16, (4, 3), padding="same", activation="relu")(inp)
    x = tf.keras.layers.MaxPooling2D((2, 3), padding="same")(x)
    x = tf.keras.layers.Conv2D(24, (4, 1), padding="same", activation="relu")(x)
    x = tf.keras.layers.MaxPooling2D((2, 1), padding="same")(x)
    x = tf.keras.layers.Conv2D(32, (4, 1), padding="same", activation="relu")(x)
    x = tf.keras.layers.MaxPooling2D((2, 1), padding="same")(x)
    x = tf.keras.layers.Flatten()(x)
    x = tf.keras.layers.Dense(32, activation="relu")(x)
    out = tf.keras.layers.Dense(len(CLASSES), activation="softmax")(x)
    return tf.keras.Model(inp, out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).with_name("magic_wand.tflite")))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-class", type=int, default=600)
    ap.add_argument("--epochs", type=int, default=60)
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

    Path(args.out).write_bytes(to_int8_tflite(tf, model, x[..., None].astype(np.float32)))
    # Also save, per class, the validation window the float model is surest of (for tests).
    prob = model.predict(xv[..., None], verbose=0)
    best = [int(np.flatnonzero(yv == c)[np.argmax(prob[yv == c, c])]) for c in range(len(CLASSES))]
    np.save(Path(args.out).with_suffix(".samples.npy"), xv[best])
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
