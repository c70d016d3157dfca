"""`tinysim test`: run scenarios in parallel, summarise, write JUnit XML, compare baselines."""
from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import socket
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from .errors import TinysimError
from .scenario import Check, ScenarioResult, discover, run_scenario


class UsageError(TinysimError):
    """Options of `tinysim test` that cannot work."""

BASELINE_METRICS = ("cycles", "instructions", "flash_bytes", "ram_bytes", "stack_bytes", "arena_bytes",
                    "cycles_per_inference")


def shard(files: list[Path], spec: str | None) -> list[Path]:
    """``I/N``: the I-th of N deterministic slices (1-based), round-robin over the files sorted
    by path, so every CI job of a matrix gets a disjoint share and together they cover all."""
    if spec is None:
        return files
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", spec)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise UsageError(f"--shard {spec!r}: expected I/N with 1 <= I <= N, e.g. --shard 2/4")
    i, n = int(m.group(1)), int(m.group(2))
    return sorted(files, key=str)[i - 1::n]


def _interrupted(path: Path) -> ScenarioResult:
    return ScenarioResult(path.stem, str(path), False, (), error="interrupted by the user before it finished",
                          error_kind="interrupted")


def _ignore_sigint():
    # Workers leave Ctrl-C to the parent, which stops them: no KeyboardInterrupt traceback
    # from each worker process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _preload() -> None:
    """Import what every scenario needs before the workers fork, so each inherits it instead
    of importing it again (about half a second of CPU per worker)."""
    from . import api, inference, streams  # noqa: F401
    from .engines import builtin  # noqa: F401
    inference.op_names()                       # the .tflite schema module


def _expected_cost(path: Path) -> float:
    """Virtual seconds a scenario asks for (its ``duration``): a cheap estimate of its run time
    for ordering the work, without validating the file (the worker does that)."""
    try:
        m = re.search(r"(?m)^duration:\s*([0-9.]+)\s*(ms|s|us|min)?\s*(#.*)?$", path.read_text())
    except OSError:
        return 0.0
    if not m:
        return 0.0
    return float(m.group(1)) * {None: 1, "s": 1, "ms": 1e-3, "us": 1e-6, "min": 60}[m.group(2)]


def run_all(paths, jobs: int | None = None, shard_spec: str | None = None,
            on_result=None) -> list[ScenarioResult]:
    """Run every scenario under ``paths`` (results in file order). Ctrl-C stops the run: the
    scenarios that finished keep their results, the others come back as interrupted errors."""
    files = shard(discover(paths), shard_spec)
    jobs = jobs or os.cpu_count() or 1
    done: dict[int, ScenarioResult] = {}
    if jobs <= 1 or len(files) <= 1:
        try:
            for i, f in enumerate(files):
                done[i] = run_scenario(f)
                if on_result:
                    on_result(done[i])
                if done[i].interrupted:
                    break
        except KeyboardInterrupt:
            pass
    else:
        pool, pending = None, {}
        try:
            _preload()
            # Ctrl-C while the workers fork would reach a worker before it ignores SIGINT, or
            # the parent before it holds the pool: held back until the pool exists.
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                pool = multiprocessing.Pool(min(jobs, len(files)), initializer=_ignore_sigint)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            # Longest first, so that no worker starts a long scenario when the others are done;
            # results still come back in file order.
            for i in sorted(range(len(files)), key=lambda i: -_expected_cost(files[i])):
                pending[i] = pool.apply_async(run_scenario, (files[i],))
            for i in range(len(files)):
                done[i] = pending[i].get()
                if on_result:
                    on_result(done[i])
            pool.close()
        except KeyboardInterrupt:
            for i, fut in pending.items():        # keep what finished while we waited
                if i not in done and fut.ready():
                    done[i] = fut.get()
            if pool is not None:
                pool.terminate()
        finally:
            if pool is not None:
                pool.join()
    return [done.get(i) or _interrupted(f) for i, f in enumerate(files)]


def apply_baseline(results: list[ScenarioResult], baseline: dict, tolerance: float) -> list[ScenarioResult]:
    """A metric more than ``tolerance`` (0.05 = 5 %) above its baseline fails the scenario."""
    out = []
    for r in results:
        base = baseline.get(r.name)
        if not base or r.error:
            out.append(r)
            continue
        extra = []
        for k in BASELINE_METRICS:
            if k in base and r.metrics.get(k) is not None:
                limit = base[k] * (1 + tolerance)
                extra.append(Check(f"baseline {k}", r.metrics[k] <= limit, r.metrics[k],
                                   f"<= {base[k]} +{tolerance:.0%}", key=f"baseline.{k}"))
        checks = r.checks + tuple(extra)
        out.append(replace(r, checks=checks, passed=r.passed and all(c.passed for c in extra)))
    return out


def baseline_of(results: list[ScenarioResult]) -> dict:
    return {r.name: {k: v for k, v in sorted(r.metrics.items()) if v is not None}
            for r in sorted(results, key=lambda r: r.name) if not r.error}


def _note(r: ScenarioResult) -> str:
    if r.error:
        return r.error.splitlines()[0]
    failed = r.deciding_failures()
    text = "; ".join(f"{c.name}: {c.measured} (expected {c.expected})" + (f" — {c.message}" if c.message and
                     c.key == "run" else "") for c in failed)
    if r.must_fail and r.passed:
        exp = "; ".join(f"{c.name}: {c.measured} (expected {c.expected})" for c in r.expected_failures())
        return f"failed as it must: {exp}"
    return text or f"{len(r.checks)} passed"


def summary_table(results: list[ScenarioResult]) -> str:
    rows = [("scenario", "result", "cycles", "flash", "RAM", "stack", "checks")]
    for r in results:
        m = r.metrics
        verdict = "PASS" if r.passed else "INTR" if r.interrupted else "ERROR" if r.error else "FAIL"
        rows.append((r.name, verdict, f"{m.get('cycles', 0):,}" if m else "-",
                     f"{m.get('flash_bytes', 0):,}" if m else "-", f"{m.get('ram_bytes', 0):,}" if m else "-",
                     f"{m.get('stack_bytes') or 0:,}" if m else "-", _note(r)))
    widths = [max(len(str(row[i])) for row in rows) for i in range(6)]
    lines = ["  ".join(str(c).ljust(w) if i in (0, 1) else str(c).rjust(w)
                       for i, (c, w) in enumerate(zip(row[:6], widths))) + "  " + row[6] for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    # Every problem in full below the table (file:line: key: problem), so nobody needs the JSON.
    for r in results:
        if r.error and "\n" in r.error.strip():
            lines.append("")
            lines.append(f"{r.name}: {r.error.rstrip()}")
    n_pass = sum(r.passed for r in results)
    n_err = sum(1 for r in results if r.error and not r.interrupted)
    n_int = sum(1 for r in results if r.interrupted)
    tail = f"{n_pass} passed, {len(results) - n_pass - n_err - n_int} failed"
    if n_err:
        tail += f", {n_err} error{'s' if n_err > 1 else ''}"
    if n_int:
        tail += f", {n_int} interrupted"
    lines.append(tail)
    return "\n".join(lines)


def _failure_text(r: ScenarioResult) -> str:
    return "\n".join(f"{c.name}: measured {c.measured}, expected {c.expected} {c.message}".rstrip()
                     for c in r.deciding_failures())


def junit_xml(results: list[ScenarioResult], *, timestamp: datetime | None = None,
              hostname: str | None = None, wall_time_s: float | None = None) -> str:
    """Ant/Jenkins JUnit XML. ``time`` is wall-clock seconds (what CI servers expect); the
    virtual time each scenario covered is the property ``virtual_time_s``."""
    ts = (timestamp or datetime.now(timezone.utc)).replace(microsecond=0, tzinfo=None)
    errors = sum(1 for r in results if r.error or r.interrupted)
    suite = ET.Element("testsuite", name="tinysim", tests=str(len(results)),
                       failures=str(sum(1 for r in results if not r.passed and not (r.error or r.interrupted))),
                       errors=str(errors), skipped="0",
                       time=f"{wall_time_s if wall_time_s is not None else sum(r.wall_time_s for r in results):.3f}",
                       timestamp=ts.isoformat(), hostname=hostname or socket.gethostname() or "localhost")
    props = ET.SubElement(suite, "properties")
    from . import __version__
    ET.SubElement(props, "property", name="tinysim.version", value=__version__)
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=f"tinysim.{Path(r.file).parent.name or 'scenarios'}",
                             name=r.name, time=f"{r.wall_time_s:.3f}", file=r.file)
        if r.error or r.interrupted:
            msg = (r.error or "interrupted by the user").splitlines()[0]
            body = r.error or _failure_text(r)
            ET.SubElement(case, "error", message=msg, type="interrupted" if r.interrupted else
                          (r.error_kind or "error")).text = body
        elif not r.passed:
            failed = r.deciding_failures()
            ET.SubElement(case, "failure", message=f"{len(failed)} expectation(s) failed",
                          type="expectation").text = _failure_text(r)
        cprops = {k: v for k, v in r.metrics.items()}
        if r.run is not None:
            cprops["virtual_time_s"] = f"{r.run.virtual_time_s:.6f}"
            cprops["exit_reason"] = r.run.exit_reason
        if cprops:
            pe = ET.Element("properties")
            for k, v in sorted(cprops.items()):
                ET.SubElement(pe, "property", name=k, value=str(v))
            case.insert(0, pe)                 # the XSD wants properties first
        if r.run is not None and r.run.uart:
            ET.SubElement(case, "system-out").text = r.run.uart
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def write_atomic(path: str | Path, text: str) -> None:
    """Temp file in the same folder, then rename: readers never see a torn file, and two runs
    writing the same path leave one whole file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_baseline(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"baseline {path} does not exist, so no regression check could run",
                         hint="create it with --update-baseline, or fix the path")
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UsageError(f"baseline {path} is not valid JSON ({e})",
                         hint="regenerate it with --update-baseline") from None
    bad = [k for k, v in data.items() if not isinstance(v, dict) or not all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in v.values())] \
        if isinstance(data, dict) else None
    if bad is None or bad:
        what = "not an object of scenario names" if bad is None else f"entries {', '.join(map(repr, bad[:3]))} " \
            "are not {metric: number} objects"
        raise UsageError(f"baseline {path} is not a tinysim baseline: {what}",
                         hint="regenerate it with --update-baseline")
    return data
def result_json(r: ScenarioResult) -> str:
    """One scenario's report without wall-clock figures: byte-identical for the same seed."""
    from dataclasses import asdict
    d = {"name": r.name, "file": r.file, "passed": r.passed, "error": r.error,
         "checks": [asdict(c) for c in r.checks], "metrics": r.metrics}
    if r.run is not None:
        run = r.run.to_dict()
        run.pop("wall_time_s")
        run.pop("mips")
        d["run"] = run
    if r.inference is not None:
        d["inference"] = asdict(r.inference)
    return json.dumps(d, indent=2, sort_keys=True, default=str)


def main(args) -> int:
    from .report import EXIT_INTERRUPTED, EXIT_USAGE
    # Refuse what cannot work before spending the run on it.
    baseline = None
    if args.baseline and not args.update_baseline:
        baseline = load_baseline(args.baseline)
    for out in (args.junit, args.baseline if args.update_baseline else None):
        if out:
            try:
                Path(out).parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise UsageError(f"cannot create the folder for {out}: {e.strerror}") from None
    files = shard(discover(args.paths), getattr(args, "shard", None))
    missing = [str(p) for p in map(Path, args.paths) if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    if not files:
        print("tinysim test: no scenario files found" + (f" in shard {args.shard}" if getattr(args, "shard", None)
                                                          else ""))
        return EXIT_USAGE if not getattr(args, "shard", None) else 0
    t0 = time.perf_counter()
    stamp = datetime.now(timezone.utc)
    results = run_all(args.paths, args.jobs, getattr(args, "shard", None))
    wall = time.perf_counter() - t0
    if baseline is not None:
        results = apply_baseline(results, baseline, args.tolerance)
    print(summary_table(results))
    if args.junit:
        write_atomic(args.junit, junit_xml(results, timestamp=stamp, wall_time_s=wall))
    interrupted = any(r.interrupted for r in results)
    if args.baseline and args.update_baseline and not interrupted:
        write_atomic(args.baseline, json.dumps(baseline_of(results), indent=2, sort_keys=True) + "\n")
        print(f"baseline written: {args.baseline}")
    if interrupted:
        print("tinysim test: interrupted" + (" (baseline not written)" if args.update_baseline else ""))
        return EXIT_INTERRUPTED
    if any(r.error_kind == "config" for r in results):
        return EXIT_USAGE
    return 0 if all(r.passed for r in results) else 1
