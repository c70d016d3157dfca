"""Screens of `tinysim ui`: launcher, live board, profile, scenarios, fault, help, prompts."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, OptionList, Static, Tree
from textual.widgets.option_list import Option

from .. import live
from .widgets import (BoardPanel, BudgetPanel, ClockBar, HistoryPanel, InferencePanel, PlotPanel,
                      UartPane)

POLL_S = 0.1        # the UI reads a snapshot this often (the worker publishes at the same rate)

KEYS = [
    ("space", "pause / resume"), ("+ / -", "speed up / down (x0.1 … x10, max)"), ("1", "real time (x1)"),
    ("m", "as fast as possible"), (".", "step one instruction (paused)"), ("n", "run to the next event (UART line, LED)"),
    ("ctrl+r", "reset the board"), ("ctrl+l", "reload the ELF from disk (after a rebuild) and reset"),
    ("w / r / s", "perform a gesture now: wing, ring, slope"), ("t", "tilt the board 30° for 2 s"),
    ("k", "shake the board for 1.5 s"), ("x", "add 0.3 g of noise for 2 s"),
    ("b", "bearing fault on the machine (again: healthy)"), ("z", "silence the sensor (again: back)"),
    ("f", "play a recorded file (.csv .wav .npy .resd) into the sensor"),
    ("v", "say a word into the microphone (espeak-ng speaks what you type)"),
    ("ctrl+s", "save this session as a scenario YAML (replays to the same lines)"),
    ("u", "type into the UART (boards that model RX)"),
    ("escape", "leave the UART input / close a dialog / back to the launcher"),
    ("p", "profile of the last inference"), ("c", "scenarios: run the suite"),
    ("?", "this help"), ("ctrl+p", "command palette"), ("q", "quit"),
]


def _shown(folder: Path) -> str:
    """A folder as people typed it: relative to the working directory when inside it."""
    try:
        return str(Path(folder).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(folder)


class BoardScreen(Screen):
    """One board, live: clock, UART, board, plots, inference, budgets, history."""

    BINDINGS = [
        Binding("space", "toggle_pause", "Pause"),
        Binding("plus,equals_sign", "faster", "Faster", key_display="+"),
        Binding("minus", "slower", "Slower", key_display="-"),
        Binding("1", "speed(1.0)", "x1", show=False),
        Binding("m", "max_speed", "Max", show=False),
        Binding("full_stop", "step", "Step", key_display="."),
        Binding("n", "next_event", "Next event"),
        Binding("w", "inject('gesture', 'wing')", "Wing", show=False),
        Binding("r", "inject('gesture', 'ring')", "Ring"),
        Binding("s", "inject('gesture', 'slope')", "Slope", show=False),
        Binding("t", "inject('tilt')", "Tilt", show=False),
        Binding("k", "inject('shake')", "Shake", show=False),
        Binding("x", "inject('noise')", "Noise", show=False),
        Binding("b", "fault", "Bearing fault"),
        Binding("z", "silence", "Silence", show=False),
        Binding("f", "file", "File", show=False),
        Binding("v", "say", "Say"),
        Binding("ctrl+s", "save", "Save scenario"),
        Binding("ctrl+r", "reset", "Reset", show=False),
        Binding("ctrl+l", "reload", "Reload", show=False),
        Binding("u", "uart_input", "UART in", show=False),
        Binding("p", "profile", "Profile"),
        Binding("c", "scenarios", "Scenarios"),
    ]

    DEFAULT_CSS = """
    BoardScreen { layout: vertical; }
    #clock { height: 2; background: $boost; }
    #main { height: 1fr; }
    #left { width: 3fr; }
    #right { width: 2fr; min-width: 60; }
    .pane { border: round $primary-darken-1; border-title-color: $accent; border-title-style: bold;
            padding: 0 1; }
    #uart { height: 1fr; }
    #uart-in { height: 3; display: none; }
    #uart-in.shown { display: block; }
    #plots { height: auto; max-height: 16; }
    #board, #inference, #budgets, #history { height: auto; }
    /* narrower than 140 columns: the right column shrinks; narrower than 100: plots and history go */
    BoardScreen.narrow #right { width: 1fr; min-width: 0; }
    BoardScreen.narrow #left { width: 1fr; }
    BoardScreen.tiny #plots, BoardScreen.tiny #history { display: none; }
    """

    def __init__(self, session: live.LiveSession, autostart: bool = True, until_s: float | None = None):
        super().__init__()
        self.session = session
        self.autostart = autostart
        self.until_s = until_s
        self._fault_shown = False
        self._last: live.Snapshot | None = None
        self._error_shown: str | None = None
        self._keys: dict = {}

    def compose(self) -> ComposeResult:
        yield ClockBar(id="clock")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                uart = UartPane(id="uart", classes="pane")
                uart.border_title = "UART"
                yield uart
                yield Input(placeholder="bytes to send to the UART RX (enter sends, escape leaves)", id="uart-in")
                plots = PlotPanel(id="plots", classes="pane")
                plots.border_title = "sensor feed"
                yield plots
            with VerticalScroll(id="right"):
                for cls, ident, title in ((BoardPanel, "board", "board"), (InferencePanel, "inference", "inference"),
                                          (BudgetPanel, "budgets", "budgets"),
                                          (HistoryPanel, "history", "detections and injections")):
                    w = cls(id=ident, classes="pane")
                    w.border_title = title
                    yield w
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"tinysim · {self.session.target.name}"
        if self.autostart:
            self.session.start(until_s=self.until_s)
            self.set_interval(POLL_S, self.refresh_now)
        self.refresh_now()

    def on_unmount(self) -> None:
        self.session.close()

    def on_resize(self, event) -> None:
        self.set_class(event.size.width < 140, "narrow")
        self.set_class(event.size.width < 100, "tiny")

    def refresh_now(self) -> None:
        """Read the latest snapshot and show it."""
        s = self.session.snapshot()
        if s is None:
            return
        # redraw a pane only when what it shows changed: UI time is time the engine thread
        # waits for (one GIL), so an idle pane must cost nothing
        self.query_one(ClockBar).show(s)
        self.query_one(UartPane).show(s)
        g = s.generation
        for widget, key in ((BoardPanel, (g, s.leds, s.sensors)), (PlotPanel, (g, s.virtual_time_s)),
                            (InferencePanel, (g, s.inference, len(s.scores))), (BudgetPanel, (g, s.budgets)),
                            (HistoryPanel, (g, len(s.detections), len(s.injections)))):
            if self._keys.get(widget) != key:
                self._keys[widget] = key
                self.query_one(widget).show(s)
        if s.inference is None and not s.scores:
            self.query_one("#inference").display = self.session.target.model is not None
        self._last = s
        if s.state == "faulted" and s.fault is not None and not self._fault_shown:
            self._fault_shown = True
            # after this refresh, so the board shows behind the dialog
            self.call_after_refresh(self.app.push_screen, FaultScreen(s.fault, s))
        if s.state != "faulted":
            self._fault_shown = False
        err = self.session.error
        if err and err != self._error_shown:
            self._error_shown = err
            self.notify(err.splitlines()[0], severity="error", timeout=8)

    # -- actions ---------------------------------------------------------------------------
    def action_toggle_pause(self) -> None:
        self.session.toggle_pause()

    def _speed_index(self) -> int:
        sp = self.session.speed
        return live.SPEEDS.index(sp) if sp in live.SPEEDS else 3

    def action_faster(self) -> None:
        self.session.set_speed(live.SPEEDS[min(len(live.SPEEDS) - 1, self._speed_index() + 1)])

    def action_slower(self) -> None:
        self.session.set_speed(live.SPEEDS[max(0, self._speed_index() - 1)])

    def action_speed(self, speed: float) -> None:
        self.session.set_speed(speed)

    def action_max_speed(self) -> None:
        self.session.set_speed(None)

    def action_step(self) -> None:
        if self.session.state == "running":
            self.session.pause()
        self.session.step(1)

    def action_next_event(self) -> None:
        self.session.step_to_event()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """The footer offers the injections that fit this firmware's stream: gestures for a
        motion sensor, the bearing fault for a machine's vibration, words for a microphone."""
        feeds = self.session.target.feeds
        channel = feeds[0].channel if feeds else None
        machine = bool(feeds) and feeds[0].ambient.get("type") == "vibration"
        if action == "inject" and parameters[:1] == ("gesture",):
            return channel not in (None, "pcm") and not machine
        if action == "fault":
            return machine
        if action == "say":
            return channel == "pcm"
        return True

    def action_inject(self, kind: str, arg: str | None = None) -> None:
        self._inject(live.injection(kind, arg, ambient=self._ambient()))

    def _ambient(self) -> dict | None:
        return self.session.snapshot().ambient

    def _inject(self, inj: live.Injection) -> None:
        if not self.session.target.feeds:
            self.notify("this firmware reads no sensor stream: nothing to inject into", severity="warning")
            return
        self.session.inject(inj)
        self.notify(f"⚡ {inj.label}", timeout=2)

    def _base_ambient(self) -> dict:
        """The target's own ambient: what "healthy" and "silence off" go back to."""
        fs = self.session.target.feeds
        return fs[0].ambient if fs else live.STILL

    def action_fault(self) -> None:
        current = self._ambient() or {}
        on = current.get("bearing_fault", 0) > 0
        self._inject(live.injection("healthy", ambient=self._base_ambient()) if on else live.injection("fault"))

    def action_silence(self) -> None:
        silent = self._ambient() == live.SILENT
        self._inject(live.injection("healthy", ambient=self._base_ambient()) if silent else live.injection("silence"))

    def action_file(self) -> None:
        def done(path: str | None) -> None:
            if path:
                try:
                    self._inject(live.injection("file", path))
                except live.LiveError as e:
                    self.notify(str(e), severity="error")
        self.app.push_screen(PromptScreen("Play a recording into the sensor", "path to a .csv .wav .npy or .resd"), done)

    def action_say(self) -> None:
        feeds = self.session.target.feeds
        if not feeds or feeds[0].channel != "pcm":
            self.notify("this firmware has no microphone stream to speak into", severity="warning")
            return

        def done(word: str | None) -> None:
            if word:
                try:
                    self._inject(live.injection("say", word, ambient=self._ambient()))
                except live.LiveError as e:
                    self.notify(str(e), severity="error")
        self.app.push_screen(PromptScreen("Say a word into the microphone (espeak-ng)", "a word, e.g. yes or no"),
                             done)

    def action_save(self) -> None:
        default = f"{self.session.target.app}_recorded.yaml"

        def done(path: str | None) -> None:
            if path:
                try:
                    p = self.session.save_scenario(Path(path))
                    self.notify(f"saved {p} ({len(self.session.injections)} injections): "
                                f"tinysim test {p}", timeout=8)
                except OSError as e:
                    self.notify(f"cannot write {path}: {e.strerror}", severity="error")
        self.app.push_screen(PromptScreen("Save this session as a scenario", "file name", default), done)

    def action_reset(self) -> None:
        self.session.reset()
        self.notify("reset")

    def action_reload(self) -> None:
        self.session.reset(reload=True)
        self.notify(f"reloaded {self.session.target.firmware}")

    def action_uart_input(self) -> None:
        box = self.query_one("#uart-in", Input)
        box.add_class("shown")
        box.focus()

    @on(Input.Submitted, "#uart-in")
    def _send(self, ev: Input.Submitted) -> None:
        try:
            self.session.send_uart(ev.value + "\n")
        except live.LiveError as e:
            self.notify(str(e), severity="warning")
        ev.input.value = ""

    def key_escape(self) -> None:
        box = self.query_one("#uart-in", Input)
        if box.has_focus:
            box.remove_class("shown")
            self.set_focus(None)
        elif any(isinstance(sc, LauncherScreen) for sc in self.app.screen_stack):
            self.app.pop_screen()           # back to the launcher; unmounting ends the session

    def action_profile(self) -> None:
        self.app.push_screen(ProfileScreen(self.session))

    def action_scenarios(self) -> None:
        self.app.push_screen(ScenariosScreen(self.app.scenario_dir))


class ProfileScreen(Screen):
    """The last inference, operator by operator: instructions, cycles, share (sortable)."""

    BINDINGS = [Binding("escape,p", "app.pop_screen", "Back")]
    DEFAULT_CSS = """
    ProfileScreen #profile-title { height: 2; padding: 0 1; background: $boost; }
    ProfileScreen #profile { height: 1fr; }
    ProfileScreen #hot-title { height: 1; padding: 0 1; background: $boost; }
    ProfileScreen #hot { height: 1fr; }
    """

    def __init__(self, session: live.LiveSession):
        super().__init__()
        self.session = session
        self._sort = ("cycles", True)

    def compose(self) -> ComposeResult:
        yield Static(id="profile-title")
        yield DataTable(id="profile", zebra_stripes=True, cursor_type="row")
        yield Static(Text.assemble(("hot functions", "bold"), ("  since boot, from the block profile (every "
                                   "instruction counted; cycles estimated)", "dim")), id="hot-title")
        yield DataTable(id="hot", zebra_stripes=True, cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        hot = self.query_one("#hot", DataTable)
        for label in ("function", "instructions", "cycles", "% of cycles", ""):
            hot.add_column(label)
        t = self.query_one("#profile", DataTable)
        for key, label in (("index", "#"), ("op", "operator"), ("instructions", "instructions"),
                           ("cycles", "cycles"), ("percent", "% of cycles"), ("bar", "")):
            t.add_column(label, key=key)
        self.fill()
        self.set_interval(1.0, self.fill)

    def fill(self) -> None:
        s = self.session.snapshot()
        hot = self.query_one("#hot", DataTable)
        hot.clear()
        for name, i, c, pct in s.hot:
            hot.add_row(name, f"{i:,}", f"{c:,}", f"{pct:5.1f}", Text("█" * int(pct / 2.5), style="dark_orange"))
        t = self.query_one("#profile", DataTable)
        t.clear()
        rows = sorted(s.profile, key=lambda r: getattr(r, self._sort[0]), reverse=self._sort[1])
        for r in rows:
            t.add_row(str(r.index), r.op, f"{r.instructions:,}", f"{r.cycles:,}", f"{r.percent:5.1f}",
                      Text("█" * int(r.percent / 2.5), style="steel_blue"))
        inf = s.inference
        head = Text()
        head.append("profile of the last inference", style="bold")
        if inf is not None:
            head.append(f"  #{inf.count} · {inf.cycles:,} cycles · {inf.instructions:,} instructions · "
                        f"{inf.latency_ms:.2f} ms at {s.clock_hz / 1e6:g} MHz", style="dim")
        else:
            head.append("  no inference yet (needs firmware on the tinysim runtime and a model)", style="dim")
        head.append("\ncycles estimated from the timing table" + (f" ({s.timing_note})" if s.timing_note else "")
                    + " · click a column header to sort", style="dim")
        self.query_one("#profile-title", Static).update(head)

    @on(DataTable.HeaderSelected)
    def _sort_by(self, ev: DataTable.HeaderSelected) -> None:
        key = str(ev.column_key.value)
        if key == "bar":
            key = "percent"
        self._sort = (key, not self._sort[1] if self._sort[0] == key else key not in ("index", "op"))
        self.fill()


class FaultScreen(ModalScreen):
    """The decoded fault: kind, PC, address, function+offset, caller, status bits, registers."""

    BINDINGS = [Binding("escape,enter", "app.pop_screen", "Close")]
    DEFAULT_CSS = """
    FaultScreen { align: center middle; }
    #fault-box { width: 100; height: auto; max-height: 90%; border: thick $error; background: $surface;
                 padding: 1 2; }
    """

    def __init__(self, fault, snap: live.Snapshot):
        super().__init__()
        self.fault, self.snap = fault, snap

    def compose(self) -> ComposeResult:
        f = self.fault
        t = Table(box=None, show_header=False, padding=(0, 2))
        t.add_column(style="bold")
        t.add_column()
        t.add_row("fault", Text(f.kind, style="bold red"))
        t.add_row("what", f.description)
        t.add_row("PC", f"{f.pc:#010x}" + (f" in {f.function}" if f.function else ""))
        if f.address is not None:
            t.add_row("address", f"{f.address:#010x}")
        if f.call_site:
            t.add_row("called from", f.call_site)
        if f.decoded:
            t.add_row("status bits", ", ".join(f.decoded))
        if f.registers:
            t.add_row("registers", "  ".join(f"{k}={v:#010x}" if isinstance(v, int) else f"{k}={v}"
                                             for k, v in f.registers.items()))
        t.add_row("when", f"{self.snap.virtual_time_s:.6f} s virtual, after {self.snap.instructions:,} instructions")
        self.table = t
        box = Vertical(Static(Text("The firmware faulted", style="bold red")), Static(t),
                       Static(Text("\nescape: close · ctrl+r: reset · ctrl+l: reload after a fix", style="dim")),
                       id="fault-box")
        box.border_title = "fault"
        yield box


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,question_mark,q", "app.pop_screen", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help-box { width: 90; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    """

    def compose(self) -> ComposeResult:
        t = Table(box=None, show_header=False, padding=(0, 2))
        t.add_column(style="bold cyan", justify="right")
        t.add_column()
        for k, what in KEYS:
            t.add_row(k, what)
        box = Vertical(Static(Text("tinysim ui — keys", style="bold")), Static(t),
                       Static(Text("\nTime is virtual: the board's clock. By default it follows the wall clock (x1).",
                                   style="dim")), id="help-box")
        yield box


class PromptScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    #prompt-box { width: 80; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    """

    def __init__(self, title: str, placeholder: str, value: str = ""):
        super().__init__()
        self._title, self._placeholder, self._value = title, placeholder, value

    def compose(self) -> ComposeResult:
        yield Vertical(Static(Text(self._title, style="bold")), Input(self._value, placeholder=self._placeholder),
                       Static(Text("enter: ok · escape: cancel", style="dim")), id="prompt-box")

    @on(Input.Submitted)
    def _ok(self, ev: Input.Submitted) -> None:
        self.dismiss(ev.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ScenariosScreen(Screen):
    """Scenario files as a tree; run one or all (in parallel, as `tinysim test`); pass/fail
    marks; the selected scenario's report."""

    BINDINGS = [Binding("a", "run_all", "Run all"), Binding("enter", "run_one", "Run selected"),
                Binding("o", "open_live", "Open live"), Binding("escape", "back", "Back")]
    DEFAULT_CSS = """
    ScenariosScreen #sc-main { height: 1fr; }
    ScenariosScreen Tree { width: 2fr; border: round $primary-darken-1; }
    ScenariosScreen #sc-report { width: 3fr; border: round $primary-darken-1; padding: 0 1; }
    ScenariosScreen #sc-status { height: 1; padding: 0 1; background: $boost; }
    """

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder
        self.results: dict[str, object] = {}
        self.nodes: dict[str, object] = {}
        self.running: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Static(id="sc-status")
        with Horizontal(id="sc-main"):
            tree: Tree = Tree(_shown(self.folder), id="sc-tree")
            tree.border_title = "scenarios"
            yield tree
            with VerticalScroll(id="sc-report"):
                yield Static(Text("select a scenario; a: run all, enter: run it, o: open it live", style="dim"),
                             id="sc-report-text")
        yield Footer()

    def on_mount(self) -> None:
        from ..scenario import discover
        tree = self.query_one(Tree)
        tree.root.expand()
        files = discover([self.folder]) if self.folder.is_dir() else []
        groups: dict[Path, object] = {}
        for f in files:
            parent = f.parent
            node = tree.root if parent == self.folder else groups.get(parent)
            if node is None:
                node = groups[parent] = tree.root.add(str(parent.relative_to(self.folder)), expand=True)
            self.nodes[str(f)] = node.add_leaf(self._label(str(f)), data=str(f))
        self._status()

    def _label(self, f: str) -> Text:
        name = Path(f).stem
        r = self.results.get(f)
        if f in self.running:
            return Text.assemble(("… ", "yellow"), name)
        if r is None:
            return Text.assemble(("· ", "dim"), name)
        return Text.assemble(("✔ " if r.passed else "✘ ", "bold green" if r.passed else "bold red"), name)

    def _status(self) -> None:
        n = len(self.nodes)
        done = len(self.results)
        passed = sum(r.passed for r in self.results.values())
        t = Text()
        t.append(f"{n} scenarios in {_shown(self.folder)}", style="bold")
        t.append(f"   run {done}  passed {passed}  failed {done - passed}  running {len(self.running)}")
        self.query_one("#sc-status", Static).update(t)

    def action_run_all(self) -> None:
        self._run(list(self.nodes))

    def action_run_one(self) -> None:
        node = self.query_one(Tree).cursor_node
        if node is not None and node.data:
            self._run([node.data])

    def action_open_live(self) -> None:
        node = self.query_one(Tree).cursor_node
        if node is not None and node.data:
            self.app.open_target_path(node.data)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def _run(self, files: list[str]) -> None:
        files = [f for f in files if f not in self.running]
        for f in files:
            self.running.add(f)
            self.results.pop(f, None)
            self.nodes[f].set_label(self._label(f))
        self._status()
        self._worker(files)

    @work(thread=True, exclusive=False)
    def _worker(self, files: list[str]) -> None:
        from ..scenario import run_scenario
        jobs = min(len(files), os.cpu_count() or 1)
        if jobs <= 1:
            for f in files:
                self.app.call_from_thread(self._done, f, run_scenario(f))
            return
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futs = {pool.submit(run_scenario, f): f for f in files}
            for fut in as_completed(futs):
                self.app.call_from_thread(self._done, futs[fut], fut.result())

    def _done(self, f: str, result) -> None:
        self.running.discard(f)
        self.results[f] = result
        self.nodes[f].set_label(self._label(f))
        self._status()
        node = self.query_one(Tree).cursor_node
        if node is not None and node.data == f:
            self._show(f)

    @on(Tree.NodeHighlighted)
    def _highlight(self, ev: Tree.NodeHighlighted) -> None:
        if ev.node.data:
            self._show(ev.node.data)

    def _show(self, f: str) -> None:
        self.query_one("#sc-report-text", Static).update(report_renderable(f, self.results.get(f),
                                                                           self._baseline()))

    def _baseline(self) -> dict:
        import json
        p = self.folder / "baseline.json"
        try:
            return json.loads(p.read_text()) if p.is_file() else {}
        except (OSError, ValueError):
            return {}


def report_renderable(f: str, r, baseline: dict):
    """A scenario's report: checks, metrics against the baseline, UART."""
    from rich.console import Group
    t = Text()
    t.append(Path(f).name + "\n", style="bold")
    if r is None:
        t.append("not run yet (enter runs it)", style="dim")
        return t
    t.append("PASS" if r.passed else "FAIL", style="bold green" if r.passed else "bold red")
    if r.checks and r.checks[-1].name.startswith("must fail"):
        t.append("  (must fail: passes only when an expectation fails)", style="dim")
    t.append("\n")
    if r.error:
        t.append(r.error.splitlines()[0] + "\n", style="red")
    checks = Table(box=None, padding=(0, 1), show_edge=False)
    for col in ("", "check", "measured", "expected"):
        checks.add_column(col, header_style="dim")
    for c in r.checks:
        checks.add_row(Text("✔", style="green") if c.passed else Text("✘", style="red"), c.name,
                       str(c.measured), str(c.expected))
    metrics = Table(box=None, padding=(0, 1), show_edge=False, title="metrics", title_justify="left")
    for col in ("metric", "value", "baseline", "diff"):
        metrics.add_column(col, header_style="dim", justify="right" if col != "metric" else "left")
    base = baseline.get(r.name, {})
    for k, v in sorted(r.metrics.items()):
        b = base.get(k)
        diff = "" if b in (None, 0) or v is None else f"{(v - b) / b * 100:+.1f}%"
        metrics.add_row(k, "—" if v is None else f"{v:,}", "—" if b is None else f"{b:,}",
                        Text(diff, style="red" if diff.startswith("+") and diff != "+0.0%" else "green"))
    uart = Text()
    if r.run is not None and r.run.uart:
        uart.append("\nUART\n", style="bold")
        for tt, line in r.run.uart_lines[-40:]:
            uart.append(f"[{tt:10.6f}] ", style="dim")
            uart.append(line + "\n")
    return Group(t, checks, Text(""), metrics, uart)


class LauncherScreen(Screen):
    """Bundled demos and the scenarios under ./scenarios/."""

    BINDINGS = [Binding("c", "scenarios", "Scenarios"), Binding("q", "app.quit", "Quit")]
    DEFAULT_CSS = """
    LauncherScreen { align: center top; }
    #launch-title { height: auto; padding: 1 2; }
    #launch-list { height: 1fr; margin: 0 2; border: round $primary-darken-1; }
    """

    def compose(self) -> ComposeResult:
        t = Text()
        t.append("tinysim", style="bold cyan")
        t.append(" — real TinyML firmware on emulated boards, live\n", style="bold")
        t.append("Pick a demo or a scenario (enter). Keys inside: space pause, r/w/s gestures, b bearing fault, "
                 "? help.", style="dim")
        yield Static(t, id="launch-title")
        yield OptionList(id="launch-list")
        yield Footer()

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        self.targets: list = []
        ol.add_option(Option(Text("bundled demos", style="bold underline"), disabled=True))
        for d in live.demos():
            self.targets.append(d)
            ol.add_option(Option(Text.assemble(("  ▶ ", "green"), (d.name, "bold"), ("  " + d.description, "dim")),
                                 id=f"t{len(self.targets) - 1}"))
        folder = self.app.scenario_dir
        files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
        ol.add_option(Option(Text(f"scenarios in {_shown(folder)}/", style="bold underline"), disabled=True))
        if not files:
            ol.add_option(Option(Text("  none found", style="dim"), disabled=True))
        for f in files:
            self.targets.append(f)
            ol.add_option(Option(Text.assemble(("  ▶ ", "cyan"), (f.stem, "bold")), id=f"t{len(self.targets) - 1}"))
        ol.focus()
        ol.highlighted = 1

    @on(OptionList.OptionSelected)
    def _pick(self, ev: OptionList.OptionSelected) -> None:
        target = self.targets[int(ev.option.id[1:])]
        if isinstance(target, Path):
            self.app.open_target_path(str(target))
        else:
            self.app.open_target(target)

    def action_scenarios(self) -> None:
        self.app.push_screen(ScenariosScreen(self.app.scenario_dir))
