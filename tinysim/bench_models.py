"""Cycles per inference and per multiply-accumulate, for each model on each board.

    python -m tinysim.bench_models [models/*.tflite ...] [--corpus]
    python -m tinysim.bench_models --kernels [--shapes] [--mlperf FILE.tflite ...] [models ...] [--corpus]

--kernels compares the firmware's kernel variants (ref: TFLM-style reference, opt: the default)
and puts TFLM+CMSIS-NN's published cycles next to the MLPerf Tiny reference models given with
--mlperf (read from the path given; nothing is downloaded). --shapes adds networks with the
layers and shapes of the four MLPerf Tiny models (KWS DS-CNN, VWW MobileNet, IC ResNet-8, AD
autoencoder) and seeded random weights: same MACs, and the kernels' cycles do not depend on the
weight values.

Cycles are the engine's estimate (timing tables), labelled as such. For orientation only:
TFLM with CMSIS-NN on a Cortex-M4F spends about 8 cycles/MAC on the MLPerf Tiny KWS DS-CNN;
TFLM's reference kernels on RISC-V 17-40 (DESIGN.md). The runtime here has plain C kernels.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from . import inference
from .errors import ModelError


def measure(model: Path, boards=("nano33ble", "hifive1")) -> list[dict]:
    data = model.read_bytes()
    macs = sum(inference.count_macs(data).values())
    rows = []
    for board in boards:
        try:
            run, rep = inference.run_model(board, model)
        except ModelError as e:                # e.g. too big for the HiFive1's arena
            rows.append({"model": model.name, "board": board, "error": str(e).splitlines()[0]})
            continue
        rows.append({"model": model.name, "board": board, "macs": macs,
                     "instructions": rep.instructions_per_inference, "cycles": rep.cycles_per_inference,
                     "latency_ms": round(rep.latency_ms, 3), "bit_exact": rep.bit_exact,
                     "cycles_per_mac": round(rep.cycles_per_inference / macs, 2) if macs else None})
    return rows


# MLPerf Tiny v0.5, NUCLEO-L4R5ZI (Cortex-M4F), TFLM + CMSIS-NN: cycles per inference, keyed by
# words in the reference models' file names (kws_ref_model, vww_96_int8, pretrainedResnet, ad01).
CMSIS_NN_PUBLISHED = (("kws", "KWS DS-CNN", 21.8e6), ("ds_cnn", "KWS DS-CNN", 21.8e6),
                      ("vww", "VWW MobileNet", 72.1e6), ("resnet", "IC ResNet-8", 84.5e6),
                      ("ad01", "AD autoencoder", 1.21e6), ("toycar", "AD autoencoder", 1.21e6))


def published_cmsis_nn(name: str) -> tuple[str, float] | None:
    low = name.lower()
    for key, label, cycles in CMSIS_NN_PUBLISHED:
        if key in low:
            return label, cycles
    return None


class _ShapeNet:
    """int8 layers with seeded random weights, for networks that match a published model's
    shapes (and so its MACs and cycles: the kernels' timing does not depend on the values)."""

    def __init__(self, shape, seed=0):
        from .tflite_builder import ModelBuilder, options
        self.b, self.opt, self.rng = ModelBuilder(), options, np.random.default_rng(seed)
        self.x = self.t = self.b.tensor(shape, "int8", scale=0.3, zp=-10)
        self.shape, self.scale = tuple(shape), 0.3

    def _out(self, shape, scale=0.05, zp=-128):
        self.shape, self.scale = tuple(shape), scale
        self.t = self.b.tensor(shape, "int8", scale=scale, zp=zp)
        return self.t

    def conv(self, ch, k=(3, 3), stride=1, dw=False, relu=True, src=None):
        src_t, (n, h, w, c) = (self.t, self.shape) if src is None else src
        n_out = c if dw else ch
        fs = self.rng.uniform(0.004, 0.01, n_out).astype(np.float32)
        wshape = (1, k[0], k[1], c) if dw else (ch, k[0], k[1], c)
        wt = self.b.const(self.rng.integers(-127, 128, wshape).astype(np.int8), "int8", scale=fs,
                          zp=np.zeros(n_out, np.int64), qdim=3 if dw else 0)
        s_in = 0.3 if src_t == self.x else 0.05
        bias = self.b.const(self.rng.integers(-2000, 2000, n_out).astype(np.int32), "int32",
                            scale=np.float32(s_in) * fs, zp=np.zeros(n_out, np.int64))
        y = self._out((n, -(-h // stride), -(-w // stride), n_out))
        if dw:
            self.b.op("DEPTHWISE_CONV_2D", [src_t, wt, bias], [y], self.opt(
                "DepthwiseConv2DOptions", padding=0, strideW=stride, strideH=stride,
                depthMultiplier=1, fusedActivationFunction=1 if relu else 0))
        else:
            self.b.op("CONV_2D", [src_t, wt, bias], [y], self.opt(
                "Conv2DOptions", padding=0, strideW=stride, strideH=stride,
                fusedActivationFunction=1 if relu else 0))
        return y

    def add_relu(self, other):
        a = self.t
        self.b.op("ADD", [a, other], [self._out(self.shape)], self.opt("AddOptions", fusedActivationFunction=1))

    def head(self, units, pool=True):
        n, *rest = self.shape
        if pool:
            h, w, c = rest
            p = self.b.tensor((n, 1, 1, c), "int8", scale=0.05, zp=-128)
            self.b.op("AVERAGE_POOL_2D", [self.t], [p], self.opt(
                "Pool2DOptions", padding=1, strideW=1, strideH=1, filterWidth=w, filterHeight=h))
            flat = self.b.tensor((n, c), "int8", scale=0.05, zp=-128)
            self.b.op("RESHAPE", [p], [flat], self.opt("ReshapeOptions", newShape=[n, c]))
            self.t, self.shape = flat, (n, c)
        self.fc(units, relu=False)
        sm = self.b.tensor(self.shape, "int8", scale=1 / 256, zp=-128)
        self.b.op("SOFTMAX", [self.t], [sm], self.opt("SoftmaxOptions", beta=1.0))
        self.t = sm

    def fc(self, units, relu=True):
        n, k = self.shape
        wt = self.b.const(self.rng.integers(-127, 128, (units, k)).astype(np.int8), "int8", scale=0.01)
        bias = self.b.const(self.rng.integers(-500, 500, units).astype(np.int32), "int32",
                            scale=float(np.float32(self.scale) * np.float32(0.01)))
        src = self.t
        self.b.op("FULLY_CONNECTED", [src, wt, bias], [self._out((n, units), 0.2, -128 if relu else 0)],
                  self.opt("FullyConnectedOptions", fusedActivationFunction=1 if relu else 0))

    def build(self) -> bytes:
        return self.b.build([self.x], [self.t])


def dscnn_kws_shapes(seed: int = 0) -> bytes:
    """The MLPerf Tiny KWS DS-CNN's layers: 49x10 input, conv 10x4/2 to 25x5x64, 4 x
    [depthwise 3x3 + pointwise 64], average pool, FC 12, softmax (2.66 M MACs)."""
    n = _ShapeNet((1, 49, 10, 1), seed)
    n.conv(64, (10, 4), 2)
    for _ in range(4):
        n.conv(0, dw=True)
        n.conv(64, (1, 1))
    n.head(12)
    return n.build()


def mobilenet_vww_shapes(seed: int = 0) -> bytes:
    """The MLPerf Tiny VWW MobileNetV1 (alpha 0.25, 96x96x3): 13 depthwise-separable blocks,
    average pool, FC 2 (7.5 M MACs)."""
    n = _ShapeNet((1, 96, 96, 3), seed)
    n.conv(8, (3, 3), 2)
    for ch, stride in ((16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1),
                       (128, 1), (128, 1), (128, 1), (256, 2), (256, 1)):
        n.conv(0, dw=True, stride=stride)
        n.conv(ch, (1, 1))
    n.head(2)
    return n.build()


def resnet8_ic_shapes(seed: int = 0) -> bytes:
    """The MLPerf Tiny image-classification ResNet-8 (32x32x3, stacks of 16/32/64 channels with
    residual ADDs and 1x1 shortcuts), average pool, FC 10 (12.5 M MACs)."""
    n = _ShapeNet((1, 32, 32, 3), seed)
    n.conv(16)
    for ch, stride in ((16, 1), (32, 2), (64, 2)):
        x = (n.t, n.shape)
        n.conv(ch, stride=stride)
        n.conv(ch, relu=False)
        y = n.t
        short = x[0] if stride == 1 else n.conv(ch, (1, 1), stride, relu=False, src=x)
        n.t = y
        n.add_relu(short)
    n.head(10)
    return n.build()


def autoencoder_ad_shapes(seed: int = 0) -> bytes:
    """The MLPerf Tiny anomaly-detection autoencoder (ToyCar): FC 640-128-128-128-128-8-128-128-
    128-128-640 (0.26 M MACs)."""
    n = _ShapeNet((1, 640), seed)
    for units in (128, 128, 128, 128, 8, 128, 128, 128, 128):
        n.fc(units)
    n.fc(640, relu=False)
    return n.build()


MLPERF_SHAPES = (("dscnn_kws_shapes", dscnn_kws_shapes, ("KWS DS-CNN, same shapes", 21.8e6)),
                 ("mobilenet_vww_shapes", mobilenet_vww_shapes, ("VWW MobileNet, same shapes", 72.1e6)),
                 ("resnet8_ic_shapes", resnet8_ic_shapes, ("IC ResNet-8, same shapes", 84.5e6)),
                 ("autoencoder_ad_shapes", autoencoder_ad_shapes, ("AD autoencoder, same shapes", 1.21e6)))


def measure_kernels(model: Path, boards=("nano33ble", "hifive1"), published=None) -> list[dict]:
    """Cycles and cycles/MAC of both kernel variants per board; `published` (label, cycles) is
    TFLM+CMSIS-NN's figure for this model, shown on the Cortex-M4 board's row."""
    macs = sum(inference.count_macs(model.read_bytes()).values())
    rows = []
    for board in boards:
        row = {"model": model.name, "board": board, "macs": macs}
        try:
            for variant in ("ref", "opt"):
                _, rep = inference.run_model(board, model, kernels=variant)
                row[variant] = rep.cycles_per_inference
                row[f"{variant}_exact"] = rep.bit_exact
        except ModelError as e:
            row["error"] = str(e).splitlines()[0]
        if published and board == "nano33ble":
            row["cmsis_nn"] = published
        rows.append(row)
    return rows


def print_kernels(rows) -> None:
    print(f"{'model':<42}{'board':<11}{'MACs':>11}{'ref cycles':>14}{'opt cycles':>13}{'opt/ref':>8}"
          f"{'cyc/MAC ref':>12}{'opt':>6}  exact  TFLM+CMSIS-NN (MLPerf Tiny v0.5, published)")
    for r in rows:
        if "error" in r:
            print(f"{r['model']:<42}{r['board']:<11}  {r['error']}")
            continue
        m = r["macs"] or 1
        pub = ""
        if r.get("cmsis_nn"):
            label, cyc = r["cmsis_nn"]
            pub = f"{cyc / 1e6:.2f} M ({label}, {cyc / m:.1f} cyc/MAC)"
        exact = "yes" if r["ref_exact"] and r["opt_exact"] else "NO"
        print(f"{r['model'][:41]:<42}{r['board']:<11}{r['macs']:>11,}{r['ref']:>14,}{r['opt']:>13,}"
              f"{r['opt'] / r['ref']:>8.2f}{r['ref'] / m:>12.1f}{r['opt'] / m:>6.1f}  {exact:<5}  {pub}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="cycles per inference and per MAC on both boards")
    ap.add_argument("models", nargs="*", help=".tflite files (default: models/*.tflite)")
    ap.add_argument("--corpus", action="store_true", help="also the generated test corpus networks")
    ap.add_argument("--board", action="append", choices=("nano33ble", "hifive1"),
                    help="only this board (repeatable; default: both)")
    ap.add_argument("--json", action="store_true", help="print the rows as one JSON list")
    ap.add_argument("--kernels", action="store_true",
                    help="compare the ref and opt kernel variants (and published CMSIS-NN figures)")
    ap.add_argument("--mlperf", nargs="+", default=[], metavar="FILE.tflite",
                    help="MLPerf Tiny reference models (with --kernels: published figures alongside)")
    ap.add_argument("--shapes", action="store_true",
                    help="with --kernels: also networks with the four MLPerf Tiny models' shapes")
    args = ap.parse_args(argv)
    boards = tuple(args.board or ("nano33ble", "hifive1"))
    repo = Path(__file__).resolve().parent.parent
    models = [Path(m) for m in args.models] or sorted((repo / "models").glob("*.tflite"))
    for m in models:
        if not m.is_file():
            raise SystemExit(f"bench_models: {m}: no such model file (give paths of .tflite files)")
    tmp = Path(tempfile.mkdtemp())
    if args.corpus:
        from .model_corpus import CASES
        for name in sorted(CASES):
            if name.startswith("net_") or name.startswith("conv_i8") or name.startswith("fc_i8"):
                p = tmp / f"{name}.tflite"
                p.write_bytes(CASES[name](np.random.default_rng(0)).model)
                models.append(p)
    if args.kernels:
        for m in args.mlperf:
            if not Path(m).is_file():
                raise SystemExit(f"bench_models: {m}: no such file (give the path of an MLPerf Tiny .tflite)")
        if not args.models and (args.mlperf or args.shapes) and not args.corpus:
            models = []
        rows = []
        for m in args.mlperf:
            rows += measure_kernels(Path(m), published=published_cmsis_nn(Path(m).name))
        if args.shapes:
            for name, build, published in MLPERF_SHAPES:
                p = tmp / f"{name}.tflite"
                p.write_bytes(build())
                rows += measure_kernels(p, published=published)
        for m in models:
            rows += measure_kernels(m)
        print_kernels(rows)
        return 0
    if args.json:
        print(json.dumps([r for m in models for r in measure(m, boards)], indent=1))
        return 0
    print(f"{'model':<46}{'board':<11}{'MACs':>10}{'cycles (est.)':>15}{'ms':>9}{'cyc/MAC':>9}  exact")
    for m in models:
        for r in measure(m, boards):
            if "error" in r:
                print(f"{r['model']:<46}{r['board']:<11}  {r['error']}")
                continue
            cpm = f"{r['cycles_per_mac']:.1f}" if r["cycles_per_mac"] else "-"
            print(f"{r['model']:<46}{r['board']:<11}{r['macs']:>10,}{r['cycles']:>15,}{r['latency_ms']:>9.3f}"
                  f"{cpm:>9}  {'yes' if r['bit_exact'] else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
