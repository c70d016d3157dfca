"""Terminal rendering of a sweep report (plain data in, text out)."""
from __future__ import annotations

from ._plan import _value_text


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _table(rows: list[tuple], right_from: int = 1) -> list[str]:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    out = ["  ".join(str(c).ljust(w) if i < right_from else str(c).rjust(w)
                     for i, (c, w) in enumerate(zip(r, widths))).rstrip() for r in rows]
    out.insert(1, "-" * max(len(line) for line in out))
    return out


def render_text(rep: dict) -> str:
    lines = [f"sweep {rep['scenario']}: {rep['runs']} runs (seeds {rep['seeds']}"
             + "".join(f"; {p} = {', '.join(_value_text(v) for v in vals)}" for p, vals in rep["vary"].items())
             + ")",
             f"expectations: {rep['passed']} passed, {rep['failed']} failed, {rep['errors']} could not run"
             f" (pass rate {_pct(rep['pass_rate'])})"]
    d = rep["detection"]
    if d:
        lines += ["", f"detection: {d['events']} events, {d['correct']} correct (accuracy {_pct(d['accuracy'])}), "
                      f"{d['misses']} missed, {d['wrong']} wrong label, {d['false_detections']} false, "
                      f"{d['duplicates']} repeated triggers"
                  + (f", {d['repeats']} repeats of a raised alarm" if d["repeats"] else "")
                  + (f", {d['cut_off']} cut off by the run's end" if d["cut_off"] else "")]
        if d["false_per_idle_minute"] is not None:
            lines.append(f"false detections per idle minute: {d['false_per_idle_minute']:.3f} "
                         f"(over {d['idle_minutes']:.1f} idle min)")
        if d["runs_without_events"]:
            lines.append(f"runs without events: {d['runs_without_events']}, with a false alarm: "
                         f"{d['false_alarm_runs']} ({_pct(d['false_alarm_rate'])})")
        if d["latency_s"]:
            s = d["latency_s"]
            lines.append(f"latency from event start: min {s['min']:.3f} s, median {s['median']:.3f} s, "
                         f"p99 {s['p99']:.3f} s, max {s['max']:.3f} s")
        if d["per_class"]:
            lines += [""] + _table([("class", "events", "detections", "correct", "precision", "recall")] +
                                   [(c, v["events"], v["detections"], v["correct"], _pct(v["precision"]),
                                     _pct(v["recall"])) for c, v in d["per_class"].items()])
            cm = d["confusion"]
            lines += ["", "confusion (rows: true label, columns: detected)"] + _table(
                [("",) + tuple(cm["labels"])] + [(t,) + tuple(row) for t, row in zip(cm["labels"], cm["matrix"])])
        for name, rows in d["by_severity"].items():
            lines += ["", f"{name}: detection rate by severity"] + _table(
                [("severity", "events", "detected", "rate")] +
                [(f"{r['severity']:g}", r["events"], r["detected"], _pct(r["rate"])) for r in rows])
    for path, rows in rep["by_vary"].items():
        head = ("value", "runs", "pass rate") + (("accuracy", "missed", "wrong", "false", "false-alarm runs")
                                                   if d else ())
        body = [(_value_text(r["value"]), r["runs"], _pct(r["pass_rate"])) +
                ((_pct(r.get("accuracy")), r.get("misses", 0), r.get("wrong", 0), r.get("false_detections", 0),
                  _pct(r.get("false_alarm_rate"))) if d else ()) for r in rows]
        lines += ["", f"by {path}"] + _table([head] + body)
    met = [(k, s) for k, s in rep["metrics"].items() if s]
    if met:
        lines += [""] + _table([("metric", "min", "median", "p99", "max")] +
                               [(k, *(f"{s[q]:,.6g}" for q in ("min", "median", "p99", "max"))) for k, s in met])
    if rep["worst"]:
        lines += ["", "worst runs (reproduce with the command):"]
        for w in rep["worst"]:
            why = w["error"] or ", ".join(filter(None, [f"{w['mistakes']} scoring mistakes" if w["mistakes"] else "",
                                                          "failed: " + "; ".join(w["failed_checks"])
                                                          if w["failed_checks"] else ""]))
            lines += [f"  seed {w['seed']}: {why}", f"    {w['command']}"]
    return "\n".join(lines)


def render_verbose(result: dict) -> str:
    """One run in detail: each UART line and detection next to the ground truth."""
    vary = ", ".join(f"{p}={_value_text(v)}" for p, v in result["vary"].items())
    lines = [f"run {result['index']}: seed {result['seed']}{'; ' + vary if vary else ''}: "
             f"{'PASS' if result['passed'] else 'FAIL'}"
             + (f" ({result['error']})" if result["error"] else "")
             + (f" failed: {'; '.join(result['failed_checks'])}" if result["failed_checks"] else "")]
    s = result.get("score")
    if s:
        for e in s["events"]:
            sev = f" severity {e['severity']:g}" if e["severity"] is not None else ""
            lines.append(f"  truth  {e['start_s']:8.3f}-{e['end_s']:.3f} s  {e['label']}{sev}: {e['status']}"
                         + (f" (as {e['detected_as']})" if e["status"] == "wrong" else ""))
        for d in s["detections"]:
            lat = f", {d['latency_s']:.3f} s after its start" if "latency_s" in d else ""
            lines.append(f"  detect {d['t_s']:8.3f} s  {d['label']}: {d['kind']}{lat}")
    for t, text in result.get("uart_lines", []):
        lines.append(f"  uart   {t:8.3f} s  {text}")
    return "\n".join(lines)
