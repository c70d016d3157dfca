"""The `tinysim ui` application. Built by create_app(), which the command line, --serve and the
tests all use, so every one of them gets the same app."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from .. import live
from ..errors import TinysimError
from .screens import BoardScreen, HelpScreen, LauncherScreen, ScenariosScreen


class TinysimApp(App):
    TITLE = "tinysim"
    BINDINGS = [Binding("q", "quit", "Quit"), Binding("question_mark", "help", "Help", key_display="?")]
    CSS = """
    Screen { background: $background; }
    """

    def __init__(self, target: live.Target | None = None, *, speed: float | None = 1.0, autostart: bool = True,
                 clock: Callable[[], float] = time.perf_counter, scenario_dir: Path | None = None,
                 until_s: float | None = None, engine_process: bool = True):
        super().__init__()
        self.target = target
        self.speed = speed
        self.autostart = autostart
        self.clock = clock
        self.scenario_dir = scenario_dir or Path("scenarios")
        self.session: live.LiveSession | None = None
        self.until_s = until_s          # pause there (measurements)
        # the paced engine runs in its own process (see live.LiveProcess); synchronous sessions
        # (autostart=False: tests, snapshots) stay in this one
        self.engine_process = engine_process

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        if self.target is None:
            self.push_screen(LauncherScreen())
        else:
            self.open_target(self.target, replace_launcher=True)

    def open_target(self, target: live.Target, replace_launcher: bool = False) -> None:
        try:
            if self.engine_process and self.autostart:
                self.session = live.LiveProcess(target, speed=self.speed, until_s=self.until_s)
            else:
                self.session = live.LiveSession(target, speed=self.speed, clock=self.clock)
        except TinysimError as e:
            self.notify(str(e), severity="error", timeout=10)
            if replace_launcher:
                self.push_screen(LauncherScreen())
            return
        self.push_screen(BoardScreen(self.session, autostart=self.autostart, until_s=self.until_s))

    def open_target_path(self, path: str) -> None:
        try:
            target = live.target_from_scenario(path)
        except TinysimError as e:
            self.notify(str(e), severity="error", timeout=10)
            return
        self.open_target(target)

    @property
    def board(self) -> BoardScreen | None:
        return next((s for s in reversed(self.screen_stack) if isinstance(s, BoardScreen)), None)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        board = self.board
        if board is not None:
            for title, help_, action in (
                    ("Pause / resume", "freeze or continue virtual time", "toggle_pause"),
                    ("Real time (x1)", "virtual time follows the wall clock", "speed(1.0)"),
                    ("As fast as possible", "unpaced emulation", "max_speed"),
                    ("Faster", "next speed step", "faster"), ("Slower", "previous speed step", "slower"),
                    ("Step one instruction", "single-step the core", "step"),
                    ("Run to the next event", "until a UART line or an LED change", "next_event"),
                    ("Gesture: ring", "draw a ring now", "inject('gesture', 'ring')"),
                    ("Gesture: wing", "draw a W now", "inject('gesture', 'wing')"),
                    ("Gesture: slope", "draw a slope now", "inject('gesture', 'slope')"),
                    ("Tilt", "hold the board 30° nose-up for 2 s", "inject('tilt')"),
                    ("Shake", "shake the board for 1.5 s", "inject('shake')"),
                    ("Noise", "add 0.3 g of noise for 2 s", "inject('noise')"),
                    ("Bearing fault on/off", "the machine's outer race fails (or is repaired)", "fault"),
                    ("Silence on/off", "the sensor reads zeros", "silence"),
                    ("Play a recording", "a .csv .wav .npy .resd file into the sensor", "file"),
                    ("Save session as scenario", "a YAML that replays to the same lines", "save"),
                    ("Reset the board", "reboot, drop injections", "reset"),
                    ("Reload the ELF", "re-read the firmware after a rebuild", "reload"),
                    ("Profile", "per-operator cycles of the last inference", "profile"),
                    ("Scenarios", "run the scenario suite", "scenarios")):
                yield SystemCommand(title, help_, lambda a=action, b=board: b.run_action(a))
        yield SystemCommand("Help", "every key", self.action_help)


def create_app(target: live.Target | None = None, **kw) -> TinysimApp:
    """The app, exactly as `tinysim ui` runs it (tests and --serve use this too)."""
    return TinysimApp(target, **kw)
