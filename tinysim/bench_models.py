"""Cycles per inference and per multiply-accumulate, for each model on each board.

    python -m tinysim.bench_models [models/*.tflite ...] [--corpus]
    python -m tinysim.bench_models --kernels [--dscnn] [--mlperf FILE.tflite ...] [models ...] [--corpus]

--kernels compares the firmware's kernel variants (ref: TFLM-style reference, opt: the default)
and puts TFLM+CMSIS-NN's published cycles next to the MLPerf Tiny reference models given with
--mlperf (read from the path given; nothing is downloaded). --dscnn adds a network with the
MLPerf Tiny KWS DS-CNN's shapes and seeded random weights (cycles do not depend on the weights).

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


def dscnn_kws_shapes(seed: int = 0) -> bytes:
    """An int8 network with the MLPerf Tiny KWS DS-CNN's layers and shapes (49x10 input,
    conv 10x4/2 to 25x5x64, 4 x [depthwise 3x3 + pointwise 64], average pool, FC 12, softmax;
    2.66 M MACs) and seeded random weights."""
    from .tflite_builder import ModelBuilder, options
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    s_act = 0.05

    def weights(shape, n, s_in, qdim):
        fs = rng.uniform(0.004, 0.01, n).astype(np.float32)
        w = b.const(rng.integers(-127, 128, shape).astype(np.int8), "int8", scale=fs,
                    zp=np.zeros(n, np.int64), qdim=qdim)
        bias = b.const(rng.integers(-2000, 2000, n).astype(np.int32), "int32",
                       scale=np.float32(s_in) * fs, zp=np.zeros(n, np.int64))
        return w, bias

    x = b.tensor((1, 49, 10, 1), "int8", scale=0.3, zp=-10)
    y = b.tensor((1, 25, 5, 64), "int8", scale=s_act, zp=-128)
    b.op("CONV_2D", [x, *weights((64, 10, 4, 1), 64, 0.3, 0)], [y],
         options("Conv2DOptions", padding=0, strideW=2, strideH=2, fusedActivationFunction=1))
    for _ in range(4):
        z = b.tensor((1, 25, 5, 64), "int8", scale=s_act, zp=-128)
        b.op("DEPTHWISE_CONV_2D", [y, *weights((1, 3, 3, 64), 64, s_act, 3)], [z],
             options("DepthwiseConv2DOptions", padding=0, strideW=1, strideH=1, depthMultiplier=1,
                     fusedActivationFunction=1))
        y = b.tensor((1, 25, 5, 64), "int8", scale=s_act, zp=-128)
        b.op("CONV_2D", [z, *weights((64, 1, 1, 64), 64, s_act, 0)], [y],
             options("Conv2DOptions", padding=0, strideW=1, strideH=1, fusedActivationFunction=1))
    p = b.tensor((1, 1, 1, 64), "int8", scale=s_act, zp=-128)
    b.op("AVERAGE_POOL_2D", [y], [p], options("Pool2DOptions", padding=1, strideW=1, strideH=1,
                                                filterWidth=5, filterHeight=25))
    flat = b.tensor((1, 64), "int8", scale=s_act, zp=-128)
    b.op("RESHAPE", [p], [flat], options("ReshapeOptions", newShape=[1, 64]))
    w3 = b.const(rng.integers(-127, 128, (12, 64)).astype(np.int8), "int8", scale=0.01)
    b3 = b.const(rng.integers(-500, 500, 12).astype(np.int32), "int32",
                 scale=float(np.float32(s_act) * np.float32(0.01)))
    logits = b.tensor((1, 12), "int8", scale=0.2, zp=0)
    b.op("FULLY_CONNECTED", [flat, w3, b3], [logits], options("FullyConnectedOptions"))
    sm = b.tensor((1, 12), "int8", scale=1 / 256, zp=-128)
    b.op("SOFTMAX", [logits], [sm], options("SoftmaxOptions", beta=1.0))
    return b.build([x], [sm])


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
    print(f"{'model':<40}{'board':<11}{'MACs':>11}{'ref cycles':>14}{'opt cycles':>13}{'opt/ref':>8}"
          f"{'cyc/MAC ref':>12}{'opt':>6}  exact  TFLM+CMSIS-NN (MLPerf Tiny v0.5, published)")
    for r in rows:
        if "error" in r:
            print(f"{r['model']:<40}{r['board']:<11}  {r['error']}")
            continue
        m = r["macs"] or 1
        pub = ""
        if r.get("cmsis_nn"):
            label, cyc = r["cmsis_nn"]
            pub = f"{cyc / 1e6:.2f} M ({label}, {cyc / m:.1f} cyc/MAC)"
        exact = "yes" if r["ref_exact"] and r["opt_exact"] else "NO"
        print(f"{r['model']:<40}{r['board']:<11}{r['macs']:>11,}{r['ref']:>14,}{r['opt']:>13,}"
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
    ap.add_argument("--dscnn", action="store_true",
                    help="with --kernels: also a network with the MLPerf KWS DS-CNN's shapes")
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
        if not args.models and (args.mlperf or args.dscnn) and not args.corpus:
            models = []
        rows = []
        for m in args.mlperf:
            rows += measure_kernels(Path(m), published=published_cmsis_nn(Path(m).name))
        if args.dscnn:
            p = tmp / "dscnn_kws_shapes.tflite"
            p.write_bytes(dscnn_kws_shapes())
            rows += measure_kernels(p, published=("KWS DS-CNN, same shapes", 21.8e6))
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
