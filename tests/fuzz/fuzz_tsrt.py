"""Longer fuzz campaign for the C runtime's flatbuffer reader (tsrt), outside the test suite.

    .venv/bin/python tests/fuzz/fuzz_tsrt.py --inputs 2000 --seed 1

Builds the host harness (firmware/runtime/host/tsrt_run.c) with -fsanitize=address,undefined
and feeds it mutated .tflite files: every model of the corpus (tinysim.model_corpus) and the
bundled models/*.tflite. The invariant: tsrt either runs the model (exit 0) or rejects it with
an error (exit 3); never a sanitizer report, a crash or a hang. Inputs that break it are kept
in --keep (default /tmp/tsrt-findings) for replay. The suite runs a short seeded version of
this (tests/runtime/test_errors.py::test_mutated_models_never_crash).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RUNTIME = REPO / "firmware" / "runtime"


def build(out: Path) -> Path:
    srcs = sorted(str(p) for p in RUNTIME.glob("*.c")) + [str(RUNTIME / "host" / "tsrt_run.c")]
    subprocess.run(["cc", "-std=c99", "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    "-ffp-contract=off", "-D_ISOC11_SOURCE", "-I", str(RUNTIME), "-o", str(out), *srcs, "-lm"],
                   check=True)
    return out


def corpus(rng) -> list[tuple[str, bytes, bytes]]:
    """(name, model, input bytes) for every corpus case and bundled model."""
    from tinysim.inference import inspect_model, random_inputs
    from tinysim.model_corpus import CASES
    out = []
    for name, make in sorted(CASES.items()):
        c = make(np.random.default_rng(2))
        out.append((name, c.model, b"".join(np.ascontiguousarray(a).tobytes() for a in c.inputs)))
    for p in sorted((REPO / "models").glob("*.tflite")):
        info = inspect_model(p, p.read_bytes())
        out.append((p.name, p.read_bytes(), b"".join(a.tobytes() for a in random_inputs(info, 0))))
    return out


def mutate(model: bytes, rng) -> bytes:
    m = bytearray(model)
    for _ in range(int(rng.integers(1, 6))):
        if not m:
            break
        pos = int(rng.integers(0, len(m)))
        r = rng.random()
        if r < 0.4:
            m[pos] = int(rng.integers(0, 256))
        elif r < 0.6:
            m[pos] ^= 1 << int(rng.integers(0, 8))
        elif r < 0.85:                   # flatbuffer offsets, lengths and counts are 32-bit words
            w = int(rng.choice([0, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, len(m), int(rng.integers(0, 1 << 32))]))
            m[pos & ~3:(pos & ~3) + 4] = w.to_bytes(4, "little")
        else:
            del m[pos:]
    return bytes(m)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", default="/tmp/tsrt-findings")
    args = ap.parse_args(argv)
    if shutil.which("cc") is None:
        print("fuzz_tsrt: no C compiler (cc) on PATH", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="tsrt-fuzz-"))
    exe = build(work / "tsrt_run")
    rng = np.random.default_rng(args.seed)
    cases = corpus(rng)
    outcomes: dict[int, int] = {}
    findings = []
    t0 = time.time()
    for k in range(args.inputs):
        name, model, inp = cases[k % len(cases)]
        mut = mutate(model, rng)
        (work / "m.tflite").write_bytes(mut)
        (work / "in.bin").write_bytes(inp)
        try:
            p = subprocess.run([str(exe), str(work / "m.tflite"), str(work / "in.bin"), str(work / "out.bin"),
                                "--arena", str(1 << 20)], capture_output=True, text=True, timeout=30)
            rc, err = p.returncode, p.stderr
        except subprocess.TimeoutExpired:
            rc, err = -999, "hang (30 s)"
        outcomes[rc] = outcomes.get(rc, 0) + 1
        if rc not in (0, 2, 3, 4) or "Sanitizer" in err or "runtime error" in err:
            keep = Path(args.keep)
            keep.mkdir(parents=True, exist_ok=True)
            (keep / f"{k}_{name}.tflite").write_bytes(mut)
            findings.append((k, name, rc, err.strip().splitlines()[:3]))
    print(f"fuzz_tsrt: {args.inputs} mutated models from {len(cases)} seeds in {time.time() - t0:.0f} s; "
          f"exit codes {dict(sorted(outcomes.items()))}; {len(findings)} finding(s)")
    for f in findings:
        print("  ", f)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
