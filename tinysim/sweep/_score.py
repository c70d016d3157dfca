"""Scoring: one run's detections against its streams' ground truth, and a sweep's aggregates.

Matching (per run): an event (a ground-truth label: a gesture's span, a machine fault) can be
claimed by a detection from its start until ``detect.within`` after its end. Detections are
taken in time order; each claims the earliest-starting open event whose window holds it:

* ``hit``: the detected label is the event's (a fixed ``detect.label`` matches any event:
  the line says that something happened, not which);
* ``wrong``: another label (a misclassification: one cell off the confusion matrix's diagonal);
* ``duplicate``: every event whose window holds it is already claimed (a repeated trigger,
  counted as a mistake); with a fixed label it is a ``repeat`` (an alarm that stays raised
  while the fault lasts), which is not;
* ``false``: no event's window holds it (a false detection, in idle time).

An event nobody claims is a ``miss``, unless the run ended before its window closed
(``cut_off``: not counted either way). Everything here is plain data and deterministic.
"""
from __future__ import annotations

import math
import re
from typing import Any

NONE = "(none)"


def score_run(detect, uart_lines, labels, duration_s: float) -> dict:
    """detect: a tinysim.scenario.DetectSpec; labels: tinysim.streams.Label; -> plain data."""
    keep = set(detect.events) if detect.events is not None else None
    events = sorted(((lb.start_s, lb.end_s, lb.name, lb.severity) for lb in labels
                     if keep is None or lb.name in keep), key=lambda e: (e[0], e[1], e[2]))
    rx = re.compile(detect.match)
    fixed = isinstance(detect.label, str)
    claimed: list[int | None] = [None] * len(events)     # index of the claiming detection
    detections = []
    for t, text in uart_lines:
        m = rx.search(text)
        if not m:
            continue
        label = detect.label if fixed else (m.group(detect.label) or "")
        inside = [i for i, e in enumerate(events) if e[0] <= t <= e[1] + detect.within]
        open_ = [i for i in inside if claimed[i] is None]
        d = {"t_s": round(t, 6), "label": label}
        if open_:
            i = open_[0]
            claimed[i] = len(detections)
            ok = fixed or label == events[i][2]
            d |= {"kind": "hit" if ok else "wrong", "event": i, "latency_s": round(t - events[i][0], 6)}
            if fixed:
                d["label"] = events[i][2]
        elif inside:
            d |= {"kind": "repeat" if fixed else "duplicate", "event": inside[-1]}
            if fixed:
                d["label"] = events[inside[-1]][2]
        else:
            d |= {"kind": "false", "event": None}
        detections.append(d)
    out_events = []
    for i, (start, end, name, severity) in enumerate(events):
        c = claimed[i]
        if c is not None:
            status = detections[c]["kind"]
        elif end + detect.within > duration_s and end < duration_s - 1e-9:
            status = "cut_off"
        else:
            status = "miss"
        out_events.append({"label": name, "start_s": round(start, 6), "end_s": round(end, 6),
                           "severity": severity, "status": status,
                           "detected_as": detections[c]["label"] if c is not None else None})
    windows = sorted((max(0.0, s), min(duration_s, e + detect.within)) for s, e, _, _ in events)
    busy, cur_s, cur_e = 0.0, None, None
    for s, e in windows:
        if cur_e is None or s > cur_e:
            busy += (cur_e - cur_s) if cur_e is not None else 0.0
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    busy += (cur_e - cur_s) if cur_e is not None else 0.0
    return {"events": out_events, "detections": detections, "idle_s": round(max(0.0, duration_s - busy), 6)}


# --------------------------------------------------------------------------- aggregates


def stats(values: list[float]) -> dict | None:
    """min / median / p99 / max by nearest rank: values that occurred, no interpolation."""
    if not values:
        return None
    v = sorted(values)
    rank = lambda q: v[min(len(v) - 1, max(0, math.ceil(q * len(v)) - 1))]   # noqa: E731
    return {"n": len(v), "min": v[0], "median": rank(0.5), "p99": rank(0.99), "max": v[-1]}


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 6) if b else None


def detection_summary(results: list[dict]) -> dict:
    scored = [r for r in results if r.get("score") is not None]
    events = [e for r in scored for e in r["score"]["events"] if e["status"] != "cut_off"]
    dets = [d for r in scored for d in r["score"]["detections"]]
    classes = sorted({e["label"] for e in events} | {d["label"] for d in dets})
    cols = classes + [NONE]
    matrix = {t: {p: 0 for p in cols} for t in cols}
    for e in events:
        matrix[e["label"]][e["detected_as"] if e["status"] in ("hit", "wrong") else NONE] += 1
    for d in dets:
        if d["kind"] == "false":
            matrix[NONE][d["label"]] += 1
    per_class = {}
    for c in classes:
        tp = matrix[c][c]
        # precision over what a user would see: first detections and false ones, each a claim
        predicted = sum(1 for d in dets if d["label"] == c and d["kind"] in ("hit", "wrong", "false"))
        n = sum(1 for e in events if e["label"] == c)
        per_class[c] = {"events": n, "detections": predicted, "correct": tp,
                        "precision": _ratio(tp, predicted), "recall": _ratio(tp, n)}
    count = lambda kind: sum(1 for d in dets if d["kind"] == kind)   # noqa: E731
    hits = sum(1 for e in events if e["status"] == "hit")
    idle_min = sum(r["score"]["idle_s"] for r in scored) / 60.0
    with_events = [r for r in scored if any(e["status"] != "cut_off" for e in r["score"]["events"])]
    healthy = [r for r in scored if not r["score"]["events"]]
    alarmed = [r for r in healthy if r["score"]["detections"]]
    severity: dict[str, dict] = {}
    for e in events:
        if e["severity"] is not None:
            row = severity.setdefault(e["label"], {}).setdefault(e["severity"], [0, 0])
            row[0] += 1
            row[1] += e["status"] == "hit"
    return {
        "events": len(events),
        "cut_off": sum(1 for r in scored for e in r["score"]["events"] if e["status"] == "cut_off"),
        "correct": hits,
        "accuracy": _ratio(hits, len(events)),
        "misses": sum(1 for e in events if e["status"] == "miss"),
        "wrong": count("wrong"),
        "false_detections": count("false"),
        "duplicates": count("duplicate"),
        "repeats": count("repeat"),
        "idle_minutes": round(idle_min, 6),
        "false_per_idle_minute": round(count("false") / idle_min, 6) if idle_min > 0 else None,
        "latency_s": stats([d["latency_s"] for d in dets if d["kind"] == "hit"]),
        "per_class": per_class,
        "confusion": {"labels": cols, "matrix": [[matrix[t][p] for p in cols] for t in cols],
                      "rows": "true label", "columns": "detected label"},
        "runs_with_events": len(with_events),
        "runs_all_detected": sum(1 for r in with_events
                                 if all(e["status"] in ("hit", "cut_off") for e in r["score"]["events"])),
        "runs_without_events": len(healthy),
        "false_alarm_runs": len(alarmed),
        "false_alarm_rate": _ratio(len(alarmed), len(healthy)),
        "by_severity": {name: [{"severity": s, "events": n, "detected": k, "rate": _ratio(k, n)}
                               for s, (n, k) in sorted(rows.items())]
                        for name, rows in sorted(severity.items())},
    }


def run_mistakes(r: dict) -> int:
    if r.get("score") is None:
        return 0
    s = r["score"]
    return (sum(1 for e in s["events"] if e["status"] == "miss")
            + sum(1 for d in s["detections"] if d["kind"] not in ("hit", "repeat")))


def by_vary(results: list[dict], axes) -> dict:
    out: dict[str, list] = {}
    for path, values in axes:
        rows = []
        for v in values:
            sub = [r for r in results if _same(r["vary"].get(path), v)]
            row: dict[str, Any] = {"value": v, "runs": len(sub), "passed": sum(r["passed"] for r in sub)}
            row["pass_rate"] = _ratio(row["passed"], len(sub))
            if any(r.get("score") is not None for r in sub):
                d = detection_summary(sub)
                row |= {k: d[k] for k in ("events", "correct", "accuracy", "misses", "wrong",
                                          "false_detections", "duplicates", "false_alarm_rate")}
            rows.append(row)
        out[path] = rows
    return out


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


METRICS = ("cycles_per_inference", "latency_ms", "instructions", "stack_bytes", "arena_bytes", "lost_samples")


def summarize(plan, results: list[dict], worst: int = 5) -> dict:
    """The sweep's report as plain data with stable keys (the --json output)."""
    from ._plan import reproduce_command
    results = sorted(results, key=lambda r: r["index"])
    ran = [r for r in results if r["error"] is None]
    passed = sum(r["passed"] for r in results)
    detect = any(r.get("score") is not None for r in results)
    ranked = sorted(results, key=lambda r: (r["error"] is None, r["passed"], -run_mistakes(r), r["index"]))
    worst_runs = [{"index": r["index"], "seed": r["seed"], "vary": r["vary"], "passed": r["passed"],
                   "error": r["error"], "failed_checks": r["failed_checks"], "mistakes": run_mistakes(r),
                   "command": reproduce_command(plan.scenario, r["seed"], list(r["vary"].items()))}
                  for r in ranked[:worst] if r["error"] or not r["passed"] or run_mistakes(r)]
    return {
        "scenario": plan.scenario,
        "seeds": _seed_text(plan.seeds),
        "vary": {p: list(v) for p, v in plan.vary},
        "runs": len(results),
        "passed": passed,
        "failed": len(ran) - passed,
        "errors": len(results) - len(ran),
        "pass_rate": _ratio(passed, len(results)),
        "virtual_time_s": round(sum(r["virtual_time_s"] for r in ran), 6),
        "detection": detection_summary(results) if detect else None,
        "by_vary": by_vary(results, plan.vary),
        "metrics": {k: stats([r["metrics"][k] for r in ran if r["metrics"].get(k) is not None]) for k in METRICS},
        "worst": worst_runs,
        "results": results,
    }


def _seed_text(seeds) -> str:
    out, i = [], 0
    seeds = list(seeds)
    while i < len(seeds):
        j = i
        while j + 1 < len(seeds) and seeds[j + 1] == seeds[j] + 1:
            j += 1
        out.append(str(seeds[i]) if i == j else f"{seeds[i]}-{seeds[j]}")
        i = j + 1
    return ",".join(out)
