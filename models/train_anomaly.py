"""Train the example vibration anomaly detector and write models/anomaly.tflite.

Data: tinysim's rotating-machine vibration generator, sampled like the firmware does it (the
LSM9DS1 accelerometer at 952 Hz, x axis). Features, computed identically in the firmware
(firmware/apps/vibration): a 256-sample window's power spectrum in 16 bands of 8 bins,
as log10(1 + 1e4 * band power). An autoencoder (16 -> 8 -> 4 -> 8 -> 16, int8) learns
healthy machines only; the anomaly score is the mean squared reconstruction error.
Needs the `train` extra (TensorFlow):

    python models/train_anomaly.py                      # nano33ble, LSM9DS1 at 952 Hz
    python models/train_anomaly.py --rate 800 --out models/anomaly_800hz.tflite   # hifive1
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinysim import streams

from _tflite import to_int8_tflite  # models/_tflite.py (scripts run from models/)

RATE_HZ = 952.0        # the LSM9DS1's rate on the Nano 33 BLE Sense; --rate 800 for the ADXL345
N = 256
BANDS = 16


def features(x: np.ndarray) -> np.ndarray:
    """x: (N,) acceleration in g -> (BANDS,) log band powers (the firmware's computation)."""
    k = np.arange(N // 2)[:, None]
    n = np.arange(N)[None, :]
    ang = 2 * np.pi * ((k * n) % N) / N
    re, im = (np.cos(ang) * x).sum(1), (np.sin(ang) * x).sum(1)
    power = (re * re + im * im) / (N * N)
    bands = power.reshape(BANDS, -1).sum(1)
    return np.log10(1.0 + 1e4 * bands).astype(np.float32)


def machine(seed: int, faulty: bool, seconds: float = 3.0, rate: float = RATE_HZ) -> np.ndarray:
    rng = np.random.default_rng(seed)
    spec = {"type": "vibration", "rpm": float(rng.uniform(2800, 3100)),
            "imbalance": float(rng.uniform(0.02, 0.06)), "misalignment": float(rng.uniform(0, 0.02)),
            "bearing_fault": float(rng.uniform(0.05, 0.2)) if faulty else 0.0,
            "noise": float(rng.uniform(0.004, 0.01))}
    s = streams.generate(spec, seed=seed, rate_hz=rate, duration_s=seconds, unit="g")
    x = np.asarray(s.data[:, 0], dtype=np.float64)
    return np.stack([features(x[i:i + N]) for i in range(0, len(x) - N + 1, N // 2)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).with_name("anomaly.tflite")))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--machines", type=int, default=120)
    ap.add_argument("--rate", type=float, default=RATE_HZ, help="sample rate of the accelerometer")
    args = ap.parse_args(argv)

    import tensorflow as tf
    tf.keras.utils.set_random_seed(args.seed)
    r = args.rate
    train = np.concatenate([machine(args.seed * 10_000 + i, False, rate=r) for i in range(args.machines)])
    normal = np.concatenate([machine(900_000 + i, False, rate=r) for i in range(20)])
    faulty = np.concatenate([machine(800_000 + i, True, rate=r) for i in range(20)])

    inp = tf.keras.Input((BANDS,), batch_size=1)
    h = tf.keras.layers.Dense(8, activation="relu")(inp)
    h = tf.keras.layers.Dense(4, activation="relu")(h)
    h = tf.keras.layers.Dense(8, activation="relu")(h)
    out = tf.keras.layers.Dense(BANDS)(h)
    model = tf.keras.Model(inp, out)
    model.compile(optimizer="adam", loss="mse")
    model.fit(train, train, epochs=80, batch_size=32, verbose=0, shuffle=True)

    def score(x):
        return ((model.predict(x, verbose=0) - x) ** 2).mean(1)
    sn, sf = score(normal), score(faulty)
    print(f"score healthy: max {sn.max():.4f}  99% {np.percentile(sn, 99):.4f}")
    print(f"score faulty:  min {sf.min():.4f}  median {np.median(sf):.4f}")

    Path(args.out).write_bytes(to_int8_tflite(tf, model, train))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
