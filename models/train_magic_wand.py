"""Train the example gesture model ("magic wand") and write models/magic_wand.tflite.

Data comes from tinysim's own seeded gesture generator: 30 s streams of wing, ring and slope
drawn in random order, as the firmware sees them (64 samples x 3 axes of acceleration in g at
25 Hz, the rate TFLM's magic_wand example uses), with the variation sweeps showed the model
must survive: speed 0.65-1.45, size 0.65-1.35, the board held rolled up to +-45 deg, pitched
up to +-35 deg and yawed up to +-30 deg, sensor noise up to 0.07 g, slow drift of the hand,
the ADXL345's +-2 g clipping and both sensors' resolution; plus streams of idle motion only
(tilting, walking sway). Every window of a stream gets a label from where it ends:

* a gesture's name when it ends from 95 % of the gesture to 0.6 s after it (the firmware
  classifies every 8 samples and reports two agreeing classifications in a row);
* "negative" when it ends before 90 % of a gesture (partial gestures: a wing's return stroke
  looks like part of a ring), more than 1 s after one, or in idle motion;
* none (left out) in between, where either answer is acceptable.

The network is a small CNN, converted with full-integer quantization (int8 input and output).
Training streams use seeds from 1,000,000 up, so sweeps over seeds below that measure on
streams the training never saw. Needs the `train` extra (TensorFlow):

    pip install -e '.[train]'
    python models/train_magic_wand.py [--out models/magic_wand.tflite] [--seed 0]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from tinysim import streams
from tinysim.streams.gesture import GESTURES, rotation

sys.path.insert(0, str(Path(__file__).parent))
from _tflite import to_int8_tflite  # noqa: E402  (models/_tflite.py)

CLASSES = ("wing", "ring", "slope", "negative")
NEGATIVE = 3
IGNORE = -1
RATE_HZ = 25.0
WINDOW = 64
STREAM_S = 30.0
SEED_BASE = 1_000_000            # training seeds: SEED_BASE + ...; sweeps use seeds below
POS_FROM, NEG_BEFORE = 0.95, 0.90  # fraction of a gesture a window must have seen
POS_UNTIL_S, NEG_AFTER_S = 0.6, 1.0


def stream_spec(rng: np.random.Generator) -> tuple[dict, dict]:
    """A random stream spec (gestures, or idle motion only) and the sensor it is read through."""
    roll, pitch, yaw = rng.uniform(-45, 45), rng.uniform(-35, 35), rng.uniform(-30, 30)
    noise = float(rng.uniform(0.0, 0.07))
    sensor = {"clip_g": 2.0 if rng.random() < 0.5 else 4.0}
    sensor["lsb_g"] = 1 / 256 if sensor["clip_g"] == 2.0 else 0.000122
    if rng.random() < 0.12:      # idle: the board tilting slowly, maybe swaying as one walks
        g = np.array(rotation(roll, pitch, yaw)).T @ np.array([0.0, 0.0, 1.0])
        parts = [{"type": "constant", "value": g.tolist()},
                 {"type": "random_walk", "step_std": float(rng.uniform(0.002, 0.03)), "channels": 3,
                  "clamp": float(rng.uniform(0.1, 0.5))},
                 {"type": "white_noise", "std": max(noise, 1e-4), "channels": 3}]
        if rng.random() < 0.5:
            parts.append({"type": "sine", "freq_hz": float(rng.uniform(1.5, 2.5)),
                          "amplitude": rng.uniform(0.0, 0.25, 3).tolist(), "channels": 3})
        return {"sum": parts}, sensor
    spec = {"type": "gesture", "gesture": list(GESTURES), "order": "random",
            "lead_s": float(rng.uniform(0.3, 1.5)), "gap_s": float(rng.uniform(0.8, 3.0)),
            "speed": float(rng.uniform(0.65, 1.45)), "amplitude": float(rng.uniform(0.65, 1.35)),
            "noise": noise, "orientation": {"roll": float(roll), "pitch": float(pitch), "yaw": float(yaw)},
            "jitter": {"orientation_deg": float(rng.uniform(3, 12))}}
    if rng.random() < 0.3:       # the hand drifts while it draws
        spec = {"sum": [spec, {"type": "random_walk", "step_std": float(rng.uniform(0.001, 0.01)),
                               "channels": 3, "clamp": 0.15}]}
    return spec, sensor


def labelled_stream(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(x: samples x 3 in g, y: the label of the window ending at each sample, or IGNORE)."""
    rng = np.random.default_rng(seed)
    spec, sensor = stream_spec(rng)
    s = streams.generate(spec, seed=seed, rate_hz=RATE_HZ, duration_s=STREAM_S, unit="g")
    x = np.asarray(s.data, dtype=np.float64)
    x = np.round(np.clip(x, -sensor["clip_g"], sensor["clip_g"]) / sensor["lsb_g"]) * sensor["lsb_g"]
    t = np.arange(len(x)) / RATE_HZ          # time of each sample = time of the window ending there
    y = np.full(len(x), NEGATIVE)
    for lb in s.labels:
        frac = (t - lb.start_s) / (lb.end_s - lb.start_s)
        y[(frac >= NEG_BEFORE) & (t <= lb.end_s + NEG_AFTER_S) & (y == NEGATIVE)] = IGNORE
    for lb in s.labels:
        frac = (t - lb.start_s) / (lb.end_s - lb.start_s)
        y[(frac >= POS_FROM) & (t <= lb.end_s + POS_UNTIL_S)] = CLASSES.index(lb.name)
    y[:WINDOW - 1] = IGNORE                  # the firmware waits for a full window
    return x.astype(np.float32), y


def windows(x: np.ndarray, ends: np.ndarray) -> np.ndarray:
    idx = ends[:, None] + np.arange(-WINDOW + 1, 1)[None, :]
    return x[idx]


def dataset(n_streams: int, seed: int, stride: int = 2):
    xs, ys = [], []
    for i in range(n_streams):
        x, y = labelled_stream(SEED_BASE + seed * 100_000 + i)
        ends = np.arange(WINDOW - 1 + (i % stride), len(x), stride)
        ends = ends[y[ends] != IGNORE]
        xs.append(windows(x, ends))
        ys.append(y[ends])
    return np.concatenate(xs), np.concatenate(ys)


def example(label: int, seed: int) -> np.ndarray:
    """One window of class ``label`` (64 x 3, g) from the training streams' distribution."""
    rng = np.random.default_rng(seed)
    for k in range(100):
        x, y = labelled_stream(seed * 101 + k)
        ends = np.flatnonzero(y == label)
        if len(ends):
            return windows(x, ends[rng.integers(len(ends)):][:1])[0]
    raise RuntimeError(f"no window of class {CLASSES[label]} in 100 streams from seed {seed}")


def build_model(tf, batch_size=None):
    inp = tf.keras.Input((WINDOW, 3, 1), batch_size=batch_size)
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
    ap.add_argument("--streams", type=int, default=600, help="30 s training streams")
    ap.add_argument("--epochs", type=int, default=12)
    args = ap.parse_args(argv)

    import tensorflow as tf
    tf.keras.utils.set_random_seed(args.seed)
    t0 = time.perf_counter()
    x, y = dataset(args.streams, 2 * args.seed)
    xv, yv = dataset(max(20, args.streams // 5), 2 * args.seed + 1)
    counts = np.bincount(y, minlength=len(CLASSES))
    print(f"{len(x)} training windows ({dict(zip(CLASSES, counts.tolist()))}), "
          f"{len(xv)} validation; built in {time.perf_counter() - t0:.1f} s")
    # Negatives outnumber each gesture several times: weigh classes equally.
    weights = {c: float(len(y) / (len(CLASSES) * counts[c])) for c in range(len(CLASSES))}
    model = build_model(tf)
    model.compile(optimizer=tf.keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x[..., None], y, epochs=args.epochs, batch_size=128, verbose=2, shuffle=True,
              class_weight=weights, validation_data=(xv[..., None], yv))
    prob = model.predict(xv[..., None], verbose=0, batch_size=512)
    conf = np.zeros((len(CLASSES), len(CLASSES)), int)
    np.add.at(conf, (yv, prob.argmax(1)), 1)
    print("validation confusion (float; rows: true, columns: predicted", ", ".join(CLASSES) + ")")
    print(conf)

    single = build_model(tf, batch_size=1)    # the boards run one window at a time
    single.set_weights(model.get_weights())
    Path(args.out).write_bytes(to_int8_tflite(tf, single, x[::97, ..., None].astype(np.float32)))
    # Also save, per class, the validation window the float model is surest of (for tests).
    best = [int(np.flatnonzero(yv == c)[np.argmax(prob[yv == c, c])]) for c in range(len(CLASSES))]
    np.save(Path(args.out).with_suffix(".samples.npy"), xv[best])
    print(f"wrote {args.out} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
