"""Cycles per inference and per multiply-accumulate, for each model on each board.

    python -m tinysim.bench_models [models/*.tflite ...] [--corpus]

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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="cycles per inference and per MAC on both boards")
    ap.add_argument("models", nargs="*", help=".tflite files (default: models/*.tflite)")
    ap.add_argument("--corpus", action="store_true", help="also the generated test corpus networks")
    ap.add_argument("--board", action="append", choices=("nano33ble", "hifive1"),
                    help="only this board (repeatable; default: both)")
    ap.add_argument("--json", action="store_true", help="print the rows as one JSON list")
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
