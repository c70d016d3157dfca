"""Widgets of the live board screen. Each one renders a part of a live.Snapshot (plain data)
and nothing else: no widget touches the engine."""
from __future__ import annotations

import numpy as np
from rich.table import Table
from rich.text import Text
from textual.widgets import RichLog, Static

from ..live import Snapshot, speed_label

STATE_STYLE = {"running": ("▶ running", "bold green"), "paused": ("‖ paused", "bold yellow"),
               "idle": ("◼ idle", "bold cyan"), "faulted": ("✖ faulted", "bold white on red"),
               "exited": ("◼ exited", "bold magenta"), "starting": ("… starting", "bold")}
LED_COLOURS = {"red": "red", "green": "green", "blue": "dodger_blue1", "builtin": "orange1",
               "yellow": "yellow", "orange": "orange1"}


def _si(n: float) -> str:
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= div:
            return f"{n / div:.2f} {unit}"
    return f"{n:g}"


class ClockBar(Static):
    """Board, firmware, virtual and wall time, real-time factor, speed and state."""

    def show(self, s: Snapshot) -> None:
        label, style = STATE_STYLE.get(s.state, (s.state, "bold"))
        t = Text()
        t.append(f" {label} ", style=style)
        t.append("  ")
        t.append(s.title, style="bold")
        t.append(f"  {s.board} · {s.core} · {s.clock_hz / 1e6:g} MHz · ", style="dim")
        t.append(s.firmware.rsplit("/", 1)[-1])
        if s.model:
            t.append(" + " + s.model.rsplit("/", 1)[-1])
        if s.detail and s.state not in ("running", "paused"):
            t.append(f"   {s.detail}", style="italic")
        t.append("\n")
        t.append(" virtual ", style="dim")
        # µs while stopped (stepping shows every instruction's time), ms while running
        vt = f"{s.virtual_time_s:.3f} s" if s.state == "running" else f"{s.virtual_time_s:.6f} s"
        t.append(vt, style="bold cyan")
        t.append("   wall ", style="dim")
        t.append(f"{s.wall_time_s:.1f} s")
        t.append("   real-time factor ", style="dim")
        t.append("—" if s.rtf is None else f"x{s.rtf:.2f}", style="bold")
        t.append("   speed ", style="dim")
        t.append(speed_label(s.speed), style="bold yellow" if s.speed != 1.0 else "bold")
        t.append("   instructions ", style="dim")
        t.append(_si(s.instructions))
        t.append("   cycles ", style="dim")
        t.append(_si(s.cycles))
        if s.cycles:
            t.append(" (estimated)", style="dim")
        if s.state != "running" and s.pc is not None:
            t.append("   pc ", style="dim")
            t.append(f"{s.pc:#010x}", style="bold")
            if s.pc_function:
                t.append(f" {s.pc_function}", style="bold magenta")
        self.update(t)


class UartPane(RichLog):
    """UART lines with their virtual time; lines a scenario expects are highlighted."""

    DEFAULT_CSS = """
    UartPane { overflow-y: auto; overflow-x: hidden; }
    """

    def __init__(self, **kw):
        super().__init__(wrap=False, markup=False, highlight=False, max_lines=5000, **kw)
        self._generation = -1
        self._shown = 0
        self.texts: list[str] = []

    def show(self, s: Snapshot) -> None:
        if s.generation != self._generation:
            self.clear()
            self.texts = []
            self._generation, self._shown = s.generation, 0
        new = s.uart_total - self._shown
        if new <= 0:
            return
        for ln in s.uart[-new:] if new <= len(s.uart) else s.uart:
            t = Text()
            t.append(f"[{ln.t:10.6f}] ", style="dim")
            if ln.expected:
                t.append("✔ ", style="bold green")
                t.append(ln.text, style="bold green")
            elif ln.text.startswith("ALARM"):
                t.append(ln.text, style="bold red")
            else:
                t.append("  " + ln.text)
            self.write(t)
            self.texts.append(ln.text)
        self._shown = s.uart_total


class BoardPanel(Static):
    """LEDs as coloured glyphs; sensors with output data rate, FIFO level, lost samples."""

    def show(self, s: Snapshot) -> None:
        t = Text()
        t.append("LEDs  ", style="bold")
        if not s.leds:
            t.append("none modelled", style="dim")
        for name, on, toggles in s.leds:
            short = name.removeprefix("led_")
            colour = next((c for k, c in LED_COLOURS.items() if k in short), "white")
            t.append("●" if on else "○", style=f"bold {colour}" if on else "grey42")
            t.append(f" {short}", style="bold" if on else "dim")
            t.append(f" ({toggles})  ", style="dim")
        tab = Table(box=None, padding=(0, 1), show_edge=False, expand=False)
        for col, just in (("sensor", "left"), ("ODR", "right"), ("FIFO", "right"), ("lost", "right")):
            tab.add_column(col, justify=just, style="bold" if col == "sensor" else None, header_style="dim")
        for name, odr, fifo, lost in s.sensors:
            tab.add_row(name, "—" if odr is None else ("off" if odr == 0 else f"{odr:g} Hz"),
                        f"{fifo}", Text(f"{lost}", style="bold red" if lost else "green"))
        from rich.console import Group
        self.update(Group(t, tab) if s.sensors else t)


class InferencePanel(Static):
    """Per-class bars of the latest outputs (dequantized), argmax highlighted, threshold line;
    cycles and latency per inference. For the anomaly app: the score against its limit."""
    best_label: str | None = None

    def show(self, s: Snapshot) -> None:
        width = min(30, max(8, (self.content_region.width or 60) - 18))
        t = Text()
        inf = s.inference
        if inf is not None and inf.values and s.scores == ():
            top = max(1.0, max(inf.values))
            thr = None if inf.threshold is None else int(round(inf.threshold / top * width))
            for i, (label, v) in enumerate(zip(inf.labels, inf.values)):
                n = max(0, int(round(v / top * width)))
                best = i == inf.best
                bar = "█" * n + " " * (width - n)
                if thr is not None and thr < width:
                    bar = bar[:thr] + ("┃" if thr >= n else "╋") + bar[thr + 1:]
                t.append(f"{label:>9} ", style="bold" if best else "")
                t.append(bar, style="bold green" if best and (inf.threshold is None or v >= inf.threshold)
                         else "bold yellow" if best else "steel_blue")
                t.append(f" {v * 100:5.1f}%\n", style="bold" if best else "dim")
            self.best_label = inf.labels[inf.best] if inf.best >= 0 else None
        elif s.scores:
            last_t, last = s.scores[-1]
            limit = s.score_limit or max(v for _, v in s.scores)
            top = max(limit * 2, max(v for _, v in s.scores[-30:]))
            n = int(round(min(last, top) / top * width))
            thr = int(round(limit / top * width))
            bar = "█" * n + " " * (width - n)
            bar = bar[:thr] + ("┃" if thr >= n else "╋") + bar[thr + 1:]
            over = last > limit
            t.append("    score ")
            t.append(bar, style="bold red" if over else "bold green")
            t.append(f" {last:g}", style="bold red" if over else "bold")
            t.append(f"  limit {limit:g}\n", style="dim")
            spark = "▁▂▃▄▅▆▇█"
            hist = [v for _, v in s.scores[-40:]]
            t.append("  history ")
            for v in hist:
                t.append(spark[min(7, int(v / top * 8))], style="red" if v > limit else "green")
            t.append("\n")
        else:
            t.append("no inference yet\n", style="dim")
        if inf is not None:
            t.append(f"inference #{inf.count}: ", style="dim")
            t.append(f"{_si(inf.cycles)} cycles", style="bold")
            t.append(f" · {inf.latency_ms:.2f} ms", style="bold")
            t.append(f" · {_si(inf.instructions)} instructions", style="dim")
        self.update(t)


class BudgetPanel(Static):
    """Gauges: flash, static RAM, stack peak, arena, cycles and latency per inference, against
    the scenario's budgets or the board's capacity; red when over."""

    def show(self, s: Snapshot) -> None:
        width = min(16, max(4, (self.content_region.width or 60) - 44))
        t = Text()
        for b in s.budgets:
            t.append(f"{b.name:>10} ", style="bold")
            if b.used is None:
                t.append("—\n", style="dim")
                continue
            if b.limit:
                frac = b.used / b.limit
                n = min(width, int(round(frac * width)))
                style = "bold red" if b.over else "yellow" if frac > 0.8 else "green"
                t.append("▰" * n, style=style)
                t.append("▱" * (width - n), style="grey30")
                t.append(f" {_num(b.used, b.unit)} / {_num(b.limit, b.unit)}", style=style if b.over else "")
                t.append(f" {frac * 100:4.0f}%\n", style="dim")
            else:
                t.append(f"{_num(b.used, b.unit)}", style="bold")
                t.append("  (no budget set)\n", style="dim")
        self.update(t)


def _num(v: float, unit: str) -> str:
    if unit == "B":
        if v >= 1 << 20:
            return f"{v / (1 << 20):.1f} MiB"
        return f"{v / 1024:.1f} KiB" if v >= 10240 else f"{int(v):,} B"
    if unit == "ms":
        return f"{v:.2f} ms"
    return f"{_si(v)} {unit}"


class HistoryPanel(Static):
    """Detections (what the firmware decided) and injections (what the user did), newest last."""

    def show(self, s: Snapshot) -> None:
        t = Text()
        items = [(tt, "det", text) for tt, text in s.detections] + [(tt, "inj", text) for tt, text in s.injections]
        items.sort(key=lambda x: x[0])
        # a run of the same verdict (an alarm every window) is one row with a count
        rows: list[list] = []
        for tt, kind, text in items:
            if rows and rows[-1][1] == kind == "det" and rows[-1][2] == text:
                rows[-1][3] += 1
            else:
                rows.append([tt, kind, text, 1])
        if not rows:
            t.append("no detections or injections yet", style="dim")
        for tt, kind, text, n in rows[-12:]:
            if n > 1:
                text = f"{text}  ×{n}"
            t.append(f"{tt:8.3f} s ", style="dim")
            if kind == "inj":
                t.append("⚡ " + text + "\n", style="bold magenta")
            else:
                t.append("◆ " + text + "\n", style="bold red" if text.startswith("ALARM") else "bold green")
        self.update(t)


BLOCKS = " ▁▂▃▄▅▆▇█"


def block_plot(values, width: int, rows: int = 2) -> list[str]:
    """``values`` resampled to ``width`` columns and drawn in ``rows`` rows of block characters
    (8 levels a row), scaled from their minimum to their maximum."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0 or width <= 0:
        return [""] * rows
    if v.size >= width:                             # mean of each column's samples
        idx = np.linspace(0, v.size, width + 1).astype(int)[:-1]
        cols = np.add.reduceat(v, idx) / np.diff(np.append(idx, v.size))
    else:                                           # fewer samples than columns: stretch
        cols = v[(np.arange(width) * v.size) // width]
    lo, hi = cols.min(), cols.max()
    level = np.zeros(width, dtype=int) if hi - lo < 1e-12 else np.rint((cols - lo) / (hi - lo) * 8 * rows).astype(int)
    level = np.maximum(level, 1)                    # the floor row always shows
    out = []
    for r in range(rows - 1, -1, -1):
        part = np.clip(level - 8 * r, 0, 8)
        out.append("".join(BLOCKS[k] for k in part))
    return out


class PlotPanel(Static):
    """Rolling plots of what the sensor is being fed (the last 4 s per axis of a slow stream,
    0.1 s of a fast one) and the spectrum of the last 256 samples. Block characters drawn from
    numpy in one Text: Textual's Sparkline widget looked the same but cost ~27 ms of UI time
    per frame for four plots, which the engine thread then waits for (one GIL); this costs
    well under a millisecond. textual-plot/textual-plotext draw axes but cost more still."""

    DEFAULT_CSS = """
    PlotPanel { height: auto; }
    """
    COLOURS = ("dodger_blue2", "green3", "orange1")

    def show(self, s: Snapshot) -> None:
        width = max(10, self.content_region.width or 90)
        t = Text()
        for i, (name, values) in enumerate(s.plot):
            t.append(name, style="bold")
            if values:
                t.append(f"  last {s.plot_window_s:g} s  now {values[-1]:+.3f}  min {min(values):+.3f}  "
                         f"max {max(values):+.3f}\n", style="dim")
            else:
                t.append("\n")
            for row in block_plot(values, width):
                t.append(row + "\n", style=self.COLOURS[i % 3])
        if s.level_dbfs is not None:
            _mic_rows(t, s, width)
        elif s.spectrum:
            t.append("spectrum x", style="bold")
            t.append(f"  last 256 samples, 0 to {s.plot_rate_hz / 2:g} Hz\n", style="dim")
            for row in block_plot(s.spectrum, width):
                t.append(row + "\n", style="magenta")
        t.rstrip()
        self.update(t if t.plain else Text("no sensor stream", style="dim"))


# the spectrogram's shades, quiet to loud
HEAT = ("grey11", "grey30", "dark_blue", "blue3", "dodger_blue2", "green3", "yellow2", "orange1", "red1")


def _mic_rows(t: Text, s: Snapshot, width: int) -> None:
    """A microphone: level meter (RMS of the last 50 ms) and the last second as the keyword
    spotter's front end sees it, 40 mel bands folded into 8 rows (high frequencies on top)."""
    level = s.level_dbfs
    n = int(round(min(1.0, max(0.0, (level + 90.0) / 90.0)) * (width - 24)))
    t.append("level ", style="bold")
    t.append("▰" * n, style="bold red" if level > -3 else "yellow" if level > -20 else "green")
    t.append("▱" * (width - 24 - n), style="grey30")
    t.append(f" {level:6.1f} dBFS\n", style="bold")
    if not s.spectrogram:
        return
    t.append("spectrogram", style="bold")
    t.append(f"  last {len(s.spectrogram) * 0.02:.2f} s, 40 mel bands 20-7600 Hz (the kws front end)\n", style="dim")
    f = np.asarray(s.spectrogram, dtype=np.float64)              # frames x 40
    rows = f.reshape(len(f), 8, 5).mean(axis=2).T[::-1]          # 8 x frames, top = high bands
    cols = (np.arange(width) * len(f)) // width
    # features of speech lie in about -96..64 (a quiet room near -80, a word at -12 dBFS up to
    # about 40): that range spans the shades
    shade = np.clip(((rows[:, cols] + 96.0) / 160.0 * len(HEAT)).astype(int), 0, len(HEAT) - 1)
    for r in shade:
        start = 0
        for i in range(1, width + 1):                           # one span per run of a shade
            if i == width or r[i] != r[start]:
                t.append("█" * (i - start), style=HEAT[r[start]])
                start = i
        t.append("\n")
