"""Helpers shared by the tsrt runtime tests: run a model in TFLM (the reference)
and in the tsrt host harness."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np

from tinysim.inference import tflm_arena_bytes

HERE = Path(__file__).resolve().parent
RUNTIME = HERE.parents[1] / "firmware" / "runtime"

# (model, tsrt planned bytes, activations, persistent, TFLM arena bytes), for the summary
ARENA_RESULTS: list[dict] = []


def tflm_run(tflm_runtime, model: bytes, inputs: list[np.ndarray], n_out: int,
             reps: int = 1):
    """Runs the model in TFLM `reps` times (inputs: reps groups, in order);
    returns (all outputs concatenated as bytes, TFLM arena total)."""
    interp = tflm_runtime.Interpreter.from_bytes(model, arena_size=8 << 20)
    outs = []
    n_in = len(inputs) // reps
    for r in range(reps):
        for i in range(n_in):
            interp.set_input(inputs[r * n_in + i], i)
        interp.invoke()
        for k in range(n_out):
            outs.append(np.ascontiguousarray(interp.get_output(k)).tobytes())
    return b"".join(outs), _tflm_arena_total(interp)


def _tflm_arena_total(interp) -> int:
    """TFLM's arena use (RecordingMicroAllocator total), as tinysim reports it."""
    total = tflm_arena_bytes(interp)
    assert total is not None, "TFLM printed no arena total"
    return total


def tsrt_exec(binary: Path, workdir: Path, model: bytes, inputs: list[np.ndarray],
              arena: int | None = None, name: str = "m"):
    mp = workdir / f"{name}.tflite"
    ip = workdir / f"{name}.in.bin"
    op = workdir / f"{name}.out.bin"
    mp.write_bytes(model)
    ip.write_bytes(b"".join(np.ascontiguousarray(a).tobytes() for a in inputs))
    cmd = [str(binary), str(mp), str(ip), str(op)]
    if arena is not None:
        cmd += ["--arena", str(arena)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    out = op.read_bytes() if (p.returncode == 0 and op.exists()) else None
    m = re.search(r"arena_planned (\d+) activations (\d+) persistent (\d+)", p.stdout)
    planned = tuple(int(x) for x in m.groups()) if m else None
    return p, out, planned


