"""Running a sweep's tasks: in this process, over local processes, or on a Dask cluster.

The unit of work is tinysim.scenario.run_scenario (the one `tinysim test` uses) on a variant of
the scenario; run_task wraps it, scores it and returns plain data, so where a task ran and in
which order tasks finished never shows in the results (they are put back in task order).
"""
from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable

from ..errors import TinysimError
from ._plan import SweepError, SweepTask, variant
from ._score import score_run

Progress = Callable[[int, int], None]


def ground_truth(sc) -> list:
    """The labels of the scenario's streams: generated ones rendered as the run renders them,
    recordings as their files carry them (an .npy's sidecar metadata; CSV and WAV carry none)."""
    from .. import streams as st
    from ..scenario import CHANNEL_UNITS, ScenarioError
    labels = []
    for i, s in enumerate(sc.spec.streams):
        if s.generate is None:
            labels += st.load(sc.resolve(s.file), rate_hz=s.rate_hz, unit=s.unit, columns=s.columns).labels
            continue
        stream = st.generate(s.generate, seed=sc.spec.seed,
                             rate_hz=s.rate_hz or (16000.0 if s.channel == "pcm" else 1000.0),
                             duration_s=sc.spec.duration, unit=CHANNEL_UNITS[s.channel], doc=sc.doc,
                             at=("streams", i, "generate"), base_dir=sc.path.parent, error=ScenarioError)
        labels += stream.labels
    return labels


def run_task(task: SweepTask, keep_uart: bool = False) -> dict:
    """One run -> plain data. Never raises: a run that cannot start is a result with an error."""
    from ..scenario import load_scenario, run_scenario
    t0 = time.perf_counter()
    out = {"index": task.index, "seed": task.seed, "vary": dict(task.vary), "passed": False,
           "error": None, "failed_checks": [], "virtual_time_s": 0.0, "metrics": {}, "score": None}
    try:
        sc = variant(load_scenario(task.scenario), task.seed, task.vary)
        r = run_scenario(sc)
        out["passed"] = bool(r.passed)
        out["failed_checks"] = [c.name for c in r.checks if not c.passed]
        if r.error:
            out["error"] = _one_line(r.error)
        if r.run is not None:
            run = r.run
            out["virtual_time_s"] = round(run.virtual_time_s, 9)
            m = {k: r.metrics.get(k) for k in ("cycles_per_inference", "instructions", "stack_bytes",
                                                "arena_bytes")}
            m["latency_ms"] = round(r.inference.latency_ms, 6) if r.inference is not None else None
            m["lost_samples"] = sum(s.get("lost_samples", 0) for s in run.sensors.values())
            out["metrics"] = m
            if sc.spec.detect is not None:
                out["score"] = score_run(sc.spec.detect, run.uart_lines, ground_truth(sc), run.virtual_time_s)
            if keep_uart:
                out["uart_lines"] = [[round(t, 6), text] for t, text in run.uart_lines]
    except TinysimError as e:
        out["error"] = _one_line(str(e))
    except Exception as e:     # a bug in tinysim: report it against this run only
        out["error"] = f"internal error: {type(e).__name__}: {e}"
    out["_wall_s"] = time.perf_counter() - t0   # stripped before results are reported
    return out


def _one_line(error: str) -> str:
    """The message and its listed problems on one line (a traceback, if any, left out)."""
    lines = []
    for line in error.splitlines():
        if line.startswith("Traceback"):
            break
        lines.append(line.strip())
    return " | ".join(filter(None, lines))


def _preload() -> None:
    """Import what every run needs (engine, streams, the .tflite schema) before the workers
    fork, so each inherits it instead of importing it again on its first run (about a second
    of CPU per worker, the same in every worker: time the second worker does not scale)."""
    from .. import api, inference, scenario, streams  # noqa: F401
    from ..engines import builtin  # noqa: F401
    from tflite_micro.python.tflite_micro import runtime  # noqa: F401  (the reference interpreter)
    inference.op_names()


def run_local(tasks, jobs: int | None, progress: Progress | None = None) -> list[dict]:
    jobs = max(1, jobs or os.cpu_count() or 1)
    done: list[dict] = []
    _preload()
    if jobs == 1 or len(tasks) <= 1:
        for t in tasks:
            done.append(run_task(t))
            if progress:
                progress(len(done), len(tasks))
        return done
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
        futures = [pool.submit(run_task, t) for t in tasks]
        try:
            for f in as_completed(futures):
                done.append(f.result())
                if progress:
                    progress(len(done), len(tasks))
        except KeyboardInterrupt:     # stop at once: runs not started are dropped
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return done


def run_dask(tasks, address: str, progress: Progress | None = None, connect_timeout: str = "15s") -> list[dict]:
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError:
        raise SweepError("--scheduler needs Dask's `distributed` package",
                         hint="pip install 'tinysim[sweep]'") from None
    try:
        client = Client(address, timeout=connect_timeout)
    except (OSError, TimeoutError) as e:
        raise SweepError(f"cannot reach the Dask scheduler at {address}: {e}",
                         hint="start one with `dask scheduler` (and workers with `dask worker ADDRESS`), "
                              "or check the address and port") from None
    done: list[dict] = []
    try:
        # pure=False: the same task run twice is still two runs (nothing cached across sweeps)
        futures = client.map(run_task, list(tasks), pure=False)
        for f in dask_completed(futures):
            done.append(f.result())
            if progress:
                progress(len(done), len(tasks))
    finally:
        client.close()
    return done


def run_tasks(tasks, *, jobs: int | None = None, scheduler: str | None = None,
              progress: Progress | None = None) -> tuple[list[dict], float]:
    """All results in task order (with the internal wall time stripped), and the wall seconds."""
    t0 = time.perf_counter()
    done = run_dask(tasks, scheduler, progress) if scheduler else run_local(tasks, jobs, progress)
    wall = time.perf_counter() - t0
    done.sort(key=lambda r: r["index"])
    for r in done:
        r.pop("_wall_s", None)
    return done, wall


class ProgressBar:
    """A one-line bar on a terminal; nothing at all when stderr is not one (CI logs)."""

    def __init__(self, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.t0 = time.perf_counter()
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        el = time.perf_counter() - self.t0
        fill = int(self.width * done / total) if total else self.width
        eta = el / done * (total - done) if done else 0.0
        self.stream.write(f"\r[{'#' * fill}{'.' * (self.width - fill)}] {done}/{total} runs  "
                          f"{done / el * 60 if el > 0 else 0:.0f} runs/min  eta {eta:.0f}s ")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()
