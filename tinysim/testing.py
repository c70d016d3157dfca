"""`tinysim test`: run scenarios in parallel, summarise, write JUnit XML, compare baselines."""
from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from .scenario import Check, ScenarioResult, discover, run_scenario

BASELINE_METRICS = ("cycles", "instructions", "flash_bytes", "ram_bytes", "stack_bytes", "arena_bytes",
                    "cycles_per_inference")


def run_all(paths, jobs: int | None = None) -> list[ScenarioResult]:
    files = discover(paths)
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(files) <= 1:
        return [run_scenario(f) for f in files]
    with ProcessPoolExecutor(max_workers=min(jobs, len(files))) as pool:
        return list(pool.map(run_scenario, files))


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
                                   f"<= {base[k]} +{tolerance:.0%}"))
        checks = r.checks + tuple(extra)
        out.append(replace(r, checks=checks, passed=r.passed and all(c.passed for c in extra)))
    return out


def baseline_of(results: list[ScenarioResult]) -> dict:
    return {r.name: {k: v for k, v in sorted(r.metrics.items()) if v is not None}
            for r in sorted(results, key=lambda r: r.name) if not r.error}


def summary_table(results: list[ScenarioResult]) -> str:
    rows = [("scenario", "result", "cycles", "flash", "RAM", "stack", "checks")]
    for r in results:
        m = r.metrics
        must_fail = bool(r.checks) and r.checks[-1].name == "must fail"
        failed = [c for c in r.checks if not c.passed and c.name != "must fail"]
        text = "; ".join(f"{c.name}: {c.measured} (expected {c.expected})" for c in failed)
        if r.error:
            note = r.error.splitlines()[0]
        elif must_fail and r.passed:
            note = f"failed as it must: {text}"
        else:
            note = text or f"{len(r.checks)} passed"
        rows.append((r.name, "PASS" if r.passed else "FAIL", f"{m.get('cycles', 0):,}" if m else "-",
                     f"{m.get('flash_bytes', 0):,}" if m else "-", f"{m.get('ram_bytes', 0):,}" if m else "-",
                     f"{m.get('stack_bytes') or 0:,}" if m else "-", note))
    widths = [max(len(str(row[i])) for row in rows) for i in range(6)]
    lines = ["  ".join(str(c).ljust(w) if i in (0, 1) else str(c).rjust(w)
                       for i, (c, w) in enumerate(zip(row[:6], widths))) + "  " + row[6] for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    n_pass = sum(r.passed for r in results)
    lines.append(f"{n_pass} passed, {len(results) - n_pass} failed")
    return "\n".join(lines)


def junit_xml(results: list[ScenarioResult]) -> str:
    suite = ET.Element("testsuite", name="tinysim", tests=str(len(results)),
                       failures=str(sum(1 for r in results if not r.passed and not r.error)),
                       errors=str(sum(1 for r in results if r.error)))
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=f"tinysim.{Path(r.file).parent.name or 'scenarios'}",
                             name=r.name, file=r.file)
        if r.run is not None:
            case.set("time", f"{r.run.virtual_time_s:.6f}")     # virtual time: deterministic
        if r.error:
            ET.SubElement(case, "error", message=r.error.splitlines()[0]).text = r.error
        elif not r.passed:
            failed = [c for c in r.checks if not c.passed]
            ET.SubElement(case, "failure", message=f"{len(failed)} expectation(s) failed").text = \
                "\n".join(f"{c.name}: measured {c.measured}, expected {c.expected} {c.message}".rstrip()
                          for c in failed)
        props = ET.SubElement(case, "properties")
        for k, v in sorted(r.metrics.items()):
            ET.SubElement(props, "property", name=k, value=str(v))
        if r.run is not None and r.run.uart:
            ET.SubElement(case, "system-out").text = r.run.uart
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


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
    results = run_all(args.paths, args.jobs)
    if not results:
        print("tinysim test: no scenario files found")
        return 2
    if args.baseline and Path(args.baseline).is_file() and not args.update_baseline:
        results = apply_baseline(results, json.loads(Path(args.baseline).read_text()), args.tolerance)
    print(summary_table(results))
    if args.junit:
        Path(args.junit).write_text(junit_xml(results))
    if args.baseline and args.update_baseline:
        Path(args.baseline).write_text(json.dumps(baseline_of(results), indent=2, sort_keys=True) + "\n")
        print(f"baseline written: {args.baseline}")
    return 0 if all(r.passed for r in results) else 1
