"""HTML report and PNG plots of a sweep report (plain data in, files out).

matplotlib rather than plotly: one library gives the PNGs CI keeps as artifacts and the images
of a self-contained HTML file, with no browser or JavaScript bundle, and its Agg output is the
same bytes for the same report (no timestamps in the PNG metadata).
"""
from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from ._plan import SweepError, _value_text
from ._render import render_text

_OK, _BAD, _WARN, _GREY = "#2a9d8f", "#e63946", "#f4a261", "#8d99ae"


def _figure(w=6.4, h=4.0):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise SweepError("the sweep report's plots need matplotlib", hint="pip install 'tinysim[sweep]'") from None
    return Figure(figsize=(w, h), dpi=100, layout="constrained")


def _png(fig) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def plots(rep: dict) -> dict[str, bytes]:
    """name -> PNG bytes, for the plots this report has data for."""
    out = {}
    d = rep["detection"]
    if d and d["confusion"]["labels"]:
        cm = d["confusion"]
        labels, m = cm["labels"], cm["matrix"]
        fig = _figure(1.2 + 0.9 * len(labels), 1.0 + 0.8 * len(labels))
        ax = fig.add_subplot()
        ax.imshow(m, cmap="Blues")
        ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel("detected")
        ax.set_ylabel("true")
        top = max(max(r) for r in m) or 1
        for i, row in enumerate(m):
            for j, v in enumerate(row):
                ax.text(j, i, str(v), ha="center", va="center", color="white" if v > top / 2 else "black")
        ax.set_title("confusion matrix")
        out["confusion"] = _png(fig)
    if rep["by_vary"]:
        n = len(rep["by_vary"])
        fig = _figure(4.2 * n, 3.4)
        for k, (path, rows) in enumerate(rep["by_vary"].items()):
            ax = fig.add_subplot(1, n, k + 1)
            xs = [_value_text(r["value"]) for r in rows]
            ax.plot(xs, [r["pass_rate"] or 0 for r in rows], "o-", color=_GREY, label="expectations pass")
            if d:
                ax.plot(xs, [r.get("accuracy") or 0 for r in rows], "s-", color=_OK, label="events correct")
                if d["runs_without_events"]:
                    ax.plot(xs, [r.get("false_alarm_rate") or 0 for r in rows], "^-", color=_BAD,
                            label="false-alarm runs")
            ax.set_ylim(-0.03, 1.03)
            ax.set_xlabel(path)
            ax.grid(alpha=0.3)
            if k == 0:
                ax.legend(fontsize=8)
        fig.suptitle("accuracy by varied parameter")
        out["by_vary"] = _png(fig)
    if d and d["by_severity"]:
        fig = _figure()
        ax = fig.add_subplot()
        for name, rows in d["by_severity"].items():
            ax.plot([r["severity"] for r in rows], [r["rate"] for r in rows], "o-", label=name)
        ax.set_xlabel("severity (amplitude, g)")
        ax.set_ylabel("detection rate")
        ax.set_ylim(-0.03, 1.03)
        ax.grid(alpha=0.3)
        ax.legend()
        ax.set_title("detection rate by fault severity")
        out["severity"] = _png(fig)
    lat = [dd["latency_s"] for r in rep["results"] if r.get("score")
           for dd in r["score"]["detections"] if dd["kind"] == "hit"]
    if lat:
        fig = _figure(6.4, 3.2)
        ax = fig.add_subplot()
        ax.hist(lat, bins=30, color=_OK)
        ax.set_xlabel("latency from event start (s, virtual time)")
        ax.set_ylabel("detections")
        ax.set_title("detection latency")
        out["latency"] = _png(fig)
    worst = [w["index"] for w in rep["worst"]]
    by_index = {r["index"]: r for r in rep["results"]}
    runs = [by_index[i] for i in worst if by_index[i].get("score")]
    if runs:
        fig = _figure(8.0, 0.8 + 0.6 * len(runs))
        ax = fig.add_subplot()
        for y, r in enumerate(runs):
            for e in r["score"]["events"]:
                c = {"hit": _OK, "wrong": _WARN, "miss": _BAD}.get(e["status"], _GREY)
                ax.barh(y, e["end_s"] - e["start_s"], left=e["start_s"], height=0.5, color=c, alpha=0.45)
                ax.text(e["start_s"], y + 0.3, e["label"], fontsize=7)
            for dd in r["score"]["detections"]:
                c = {"hit": _OK, "wrong": _WARN, "duplicate": _GREY}.get(dd["kind"], _BAD)
                ax.plot(dd["t_s"], y, "v", color=c, markersize=8)
        ax.set_yticks(range(len(runs)), [f"run {r['index']}, seed {r['seed']}" for r in runs])
        ax.invert_yaxis()
        ax.set_xlabel("virtual time (s): bars = drawn events (green hit, orange wrong, red missed), "
                      "triangles = detections")
        ax.set_title("detection timeline of the worst runs")
        out["timeline"] = _png(fig)
    return out


def write_html(rep: dict, path: str | Path, png_dir: str | Path | None = None) -> list[Path]:
    """Write the self-contained HTML report (PNGs inline) and each plot as a PNG file beside it
    (``<stem>-<plot>.png``, or in ``png_dir``). Returns the files written."""
    path = Path(path)
    images = plots(rep)
    written = [path]
    png_dir = Path(png_dir) if png_dir is not None else path.parent
    png_dir.mkdir(parents=True, exist_ok=True)
    for name, data in images.items():
        p = png_dir / f"{path.stem}-{name}.png"
        p.write_bytes(data)
        written.append(p)
    imgs = "\n".join(f'<figure><img alt="{name}" src="data:image/png;base64,'
                     f'{base64.b64encode(data).decode()}"></figure>' for name, data in images.items())
    worst = "\n".join(f"<li><code>{html.escape(w['command'])}</code></li>" for w in rep["worst"])
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>tinysim sweep: {html.escape(rep['scenario'])}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
pre{{background:#f6f8fa;padding:1em;overflow-x:auto;font-size:13px}}img{{max-width:100%}}
figure{{margin:1em 0}}</style></head><body>
<h1>tinysim sweep: {html.escape(rep['scenario'])}</h1>
<p>{rep['runs']} runs, {rep['passed']} passed their expectations, {rep['failed']} failed,
{rep['errors']} could not run.</p>
{imgs}
<h2>Summary</h2>
<pre>{html.escape(render_text(rep))}</pre>
<h2>Reproduce the worst runs</h2><ul>{worst}</ul>
</body></html>
"""
    path.write_text(doc)
    return written
