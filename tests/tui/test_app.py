"""`tinysim ui` driven with Textual's Pilot: the app comes from create_app(), as for users.
Sessions run synchronously here (autostart=False, advance_to()) so every check happens at an
exact virtual time; one test runs the paced worker thread to check pause."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tinysim import live
from tinysim.tui import create_app
from tinysim.tui.screens import BoardScreen, FaultScreen, HelpScreen, ProfileScreen, ScenariosScreen
from tinysim.tui.widgets import InferencePanel, UartPane

REPO = Path(__file__).resolve().parents[2]
SIZE = (160, 48)


def demo(name: str) -> live.Target:
    return next(d for d in live.demos() if d.name == name)


def run(coro):
    return asyncio.run(coro)


@pytest.mark.parametrize("key,gesture", [("r", "ring"), ("w", "wing"), ("s", "slope")])
def test_gesture_key_makes_the_firmware_report_it_and_its_bar_is_the_largest(key, gesture):
    async def go():
        app = create_app(demo("magic wand (nano33ble)"), speed=None, autostart=False, clock=lambda: 0.0)
        async with app.run_test(size=SIZE) as pilot:
            board = app.board
            app.session.advance_to(3.0)         # the firmware's 64-sample window is full by 2.56 s
            await pilot.press(key)
            pressed = app.session.injections[0][0]
            # step 0.1 s at a time until the line appears (at most 4 s after the key)
            t = 3.0
            def said():
                return [x for x in board.query_one(UartPane).texts if x.startswith(f"gesture: {gesture} ")]
            while t < pressed + 4.0 and not said():
                t += 0.1
                app.session.advance_to(t)
                board.refresh_now()
                await pilot.pause()
            assert said(), board.query_one(UartPane).texts
            panel = board.query_one(InferencePanel)
            inf = app.session.snapshot().inference
            assert panel.best_label == gesture
            assert inf.values[inf.labels.index(gesture)] == max(inf.values)
    run(go())


def test_space_pauses_and_virtual_time_freezes():
    async def go():
        app = create_app(demo("magic wand (nano33ble)"), speed=1.0)
        async with app.run_test(size=SIZE) as pilot:
            s = app.session
            deadline = time.monotonic() + 20
            while s.virtual_time_s < 0.2 and time.monotonic() < deadline:
                await pilot.pause(0.05)
            await pilot.press("space")
            await pilot.pause(0.4)
            frozen = s.virtual_time_s
            await pilot.pause(0.6)
            assert s.virtual_time_s == frozen
            assert s.snapshot().state == "paused"
            await pilot.press("space")
            while s.virtual_time_s == frozen and time.monotonic() < deadline:
                await pilot.pause(0.05)
            assert s.virtual_time_s > frozen
    run(go())


@pytest.mark.parametrize("board,where", [("hifive1", "main+0x"), ("nano33ble", "main+0x")])
def test_fault_opens_the_modal_naming_the_function(board, where):
    elf = REPO / "build" / board / "fault_unmapped.elf"
    if not elf.is_file():
        pytest.skip(f"{elf} not built (make -C firmware)")

    async def go():
        app = create_app(live.target_from_files(board, elf), speed=None, autostart=False, clock=lambda: 0.0)
        async with app.run_test(size=SIZE) as pilot:
            app.session.advance_to(0.01)
            app.board.refresh_now()
            await pilot.pause()
            await pilot.pause()
            assert isinstance(app.screen, FaultScreen)
            f = app.screen.fault
            assert f.address == 0x60000000 and f.function.startswith(where)
            from rich.console import Console
            con = Console(width=120, record=True, file=open("/dev/null", "w"))
            con.print(app.screen.table)
            text = con.export_text()
            assert f"in {f.function}" in text and "0x60000000" in text and f"called from    {f.call_site}" in text
            await pilot.press("escape")
            assert isinstance(app.screen, BoardScreen)
    run(go())


def test_scenario_tree_marks_a_must_fail_scenario_as_passing():
    """fault_must_fail_hifive1 expects a clean exit; the firmware faults, so the expectation
    fails and the must-fail scenario passes: a green mark, with the failed check in its report."""
    must_fail = REPO / "scenarios" / "fault_must_fail_hifive1.yaml"
    if not (REPO / "build" / "hifive1" / "fault_unmapped.elf").is_file():
        pytest.skip("build/hifive1/fault_unmapped.elf not built (make -C firmware)")

    async def go():
        app = create_app(None, scenario_dir=REPO / "scenarios")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("c")
            screen = app.screen
            assert isinstance(screen, ScenariosScreen)
            screen._run([str(must_fail)])
            deadline = time.monotonic() + 60
            while str(must_fail) not in screen.results and time.monotonic() < deadline:
                await pilot.pause(0.1)
            r = screen.results[str(must_fail)]
            assert r.passed
            assert str(screen.nodes[str(must_fail)].label).startswith("✔")
            assert any(not c.passed and c.name == "exit reason" for c in r.checks)
            untouched = next(f for f in screen.nodes if f.endswith("magic_wand_ring.yaml"))
            assert str(screen.nodes[untouched].label).startswith("·")     # not run: no mark
    run(go())


def test_launcher_lists_demos_and_scenarios_and_opens_one():
    async def go():
        app = create_app(None, scenario_dir=REPO / "scenarios", autostart=False)
        async with app.run_test(size=SIZE) as pilot:
            ol = app.screen.query_one("OptionList")
            prompts = [str(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]
            assert any("magic wand (nano33ble)" in p for p in prompts)
            assert any("vibration (hifive1)" in p for p in prompts)
            assert any(p.strip().endswith("magic_wand_ring") for p in prompts)
            await pilot.press("enter")            # the first demo
            await pilot.pause()
            assert isinstance(app.screen, BoardScreen)
            assert app.session.target.name == "magic wand (nano33ble)"
            await pilot.press("escape")               # back to the launcher
            await pilot.pause()
            assert type(app.screen).__name__ == "LauncherScreen"
    run(go())


def test_help_profile_and_palette_open():
    async def go():
        app = create_app(demo("magic wand (hifive1)"), speed=None, autostart=False, clock=lambda: 0.0)
        async with app.run_test(size=SIZE) as pilot:
            app.session.advance_to(3.0)
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            await pilot.press("p")
            assert isinstance(app.screen, ProfileScreen)
            table = app.screen.query_one("#profile")
            snap = app.session.snapshot()
            assert table.row_count == len(snap.profile) > 0
            # hot functions: the CNN's convolution kernel near the top, shares in decreasing order
            hot = app.screen.query_one("#hot")
            assert hot.row_count == len(snap.hot) > 3
            shares = [p for *_, p in snap.hot]
            assert shares == sorted(shares, reverse=True) and 50.0 < sum(shares) <= 100.0 + 1e-9
            assert snap.hot[0][2] <= snap.cycles
            # (the optimized convolution runs in mac1x4/gemm_row under tsrt_eval_conv_opt; printing
            # at 115200 baud, console_write's wait on the UART FIFO, is the other big item)
            # The HiFive1 reads its ADXL345 at 400 kHz on I2C0, so polling the bus (i2c_read and
            # its byte_out waiting on TIP) may lead; the kernels come next.
            conv = [n for n, *_ in snap.hot[:4] if "conv" in n or n in ("mac1x4", "gemm_row")]
            assert len(conv) >= 2 and snap.hot[0][0] in conv + ["i2c_read", "byte_out"], snap.hot[:5]
            await pilot.press("escape")
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert {"Gesture: ring", "Bearing fault on/off", "Save session as scenario", "Pause / resume"} <= set(titles)
    run(go())


def test_save_key_writes_a_replayable_scenario(tmp_path, monkeypatch):
    from tinysim.scenario import run_scenario
    monkeypatch.chdir(tmp_path)

    async def go():
        app = create_app(demo("magic wand (nano33ble)"), speed=None, autostart=False, clock=lambda: 0.0)
        async with app.run_test(size=SIZE) as pilot:
            app.session.advance_to(0.5)
            await pilot.press("r")
            app.session.advance_to(3.5)
            await pilot.press("ctrl+s")
            await pilot.pause()
            app.screen.query_one("Input").value = str(tmp_path / "mine.yaml")
            await pilot.press("enter")
            await pilot.pause()
            return [(ln.t, ln.text) for ln in app.session.snapshot(fresh=True).uart]
    seen = run(go())
    r = run_scenario(tmp_path / "mine.yaml")
    assert r.passed and list(r.run.uart_lines) == seen


def test_command_palette_runs_an_injection():
    async def go():
        app = create_app(demo("magic wand (nano33ble)"), speed=None, autostart=False, clock=lambda: 0.0)
        async with app.run_test(size=SIZE) as pilot:
            app.session.advance_to(1.0)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"Gesture: slope")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await pilot.pause(0.5)
            assert [label for _, label in app.session.injections] == ["gesture slope"]
    run(go())
