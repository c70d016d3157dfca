"""SVG snapshots of each screen at exact virtual times with fixed seeds (App.export_screenshot,
compared byte for byte with tests/tui/snapshots/). The wall clock is frozen at 0 and sessions
run synchronously (pace "max", stop at exact virtual times), so the pictures are deterministic.

After an intended change to a screen: TINYSIM_UPDATE_SNAPSHOTS=1 pytest tests/tui/test_snapshots.py,
then look at the new SVGs before committing them."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tinysim import live
from tinysim.tui import create_app

REPO = Path(__file__).resolve().parents[2]
SNAPS = Path(__file__).parent / "snapshots"
SIZE = (160, 48)
UPDATE = os.environ.get("TINYSIM_UPDATE_SNAPSHOTS") == "1"


FIXTURES = Path(__file__).parent / "fixtures"


def demo(name: str) -> live.Target:
    """A bundled demo, on a frozen copy of its firmware and model (tests/tui/fixtures): the
    shipped ELFs follow the runtime, whose speed-ups would otherwise redraw every number."""
    from dataclasses import replace
    d = next(d for d in live.demos() if d.name == name)
    return replace(d, firmware=FIXTURES / f"{d.platform}_{d.firmware.name}",
                   model=FIXTURES / d.model.name if d.model else None)


def check(name: str, svg: str, tmp_path: Path) -> None:
    want = SNAPS / f"{name}.svg"
    if UPDATE:
        SNAPS.mkdir(exist_ok=True)
        want.write_text(svg)
        return
    if not want.is_file():
        pytest.fail(f"no snapshot {want}: run with TINYSIM_UPDATE_SNAPSHOTS=1 and look at it")
    if want.read_text() != svg:
        got = tmp_path / f"{name}.svg"
        got.write_text(svg)
        pytest.fail(f"screen {name!r} differs from {want}; this run's picture: {got} "
                    "(open both in a browser; update with TINYSIM_UPDATE_SNAPSHOTS=1 if intended)")


async def _board(target, steps):
    """Run ``steps`` (virtual time to reach, then keys to press) and take the screenshot."""
    app = create_app(target, speed=None, autostart=False, clock=lambda: 0.0, scenario_dir=REPO / "scenarios")
    async with app.run_test(size=SIZE) as pilot:
        for t, keys in steps:
            app.session.advance_to(t)
            for k in keys:
                await pilot.press(k)
        app.board.refresh_now()
        await pilot.pause()
        await pilot.pause()
        return app.export_screenshot()


def test_board_magic_wand_after_a_ring(tmp_path):
    svg = asyncio.run(_board(demo("magic wand (nano33ble)"), [(3.0, ["r"]), (5.0, [])]))
    check("board_magic_wand_ring", svg, tmp_path)


def test_board_vibration_with_a_bearing_fault(tmp_path):
    svg = asyncio.run(_board(demo("vibration (hifive1)"), [(1.0, ["b"]), (2.0, [])]))
    check("board_vibration_fault", svg, tmp_path)


def test_board_paused_after_single_steps(tmp_path):
    svg = asyncio.run(_board(demo("hello (nano33ble)"), [(0.0005, ["full_stop", "full_stop", "full_stop"])]))
    check("board_hello_stepped", svg, tmp_path)


def test_fault_modal(tmp_path):
    elf = FIXTURES / "hifive1_fault_unmapped.elf"
    svg = asyncio.run(_board(live.target_from_files("hifive1", elf), [(0.01, [])]))
    check("fault_modal", svg, tmp_path)


def test_profile_screen(tmp_path):
    svg = asyncio.run(_board(demo("magic wand (hifive1)"), [(3.0, ["p"])]))
    check("profile", svg, tmp_path)


def test_help_screen(tmp_path):
    svg = asyncio.run(_board(demo("magic wand (nano33ble)"), [(0.0, ["question_mark"])]))
    check("help", svg, tmp_path)


def test_launcher_and_scenarios_screens(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)          # the screens show the folder relative to where you are
    async def go():
        app = create_app(None, scenario_dir=REPO / "scenarios")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            launcher = app.export_screenshot()
            await pilot.press("c")
            await pilot.pause()
            return launcher, app.export_screenshot()
    launcher, scenarios = asyncio.run(go())
    check("launcher", launcher, tmp_path)
    check("scenarios", scenarios, tmp_path)


def test_board_kws_hears_yes(tmp_path):
    """The keyword-spotting scenario live, just after the firmware heard the first "yes": the
    microphone's level meter and spectrogram in the sensor pane, the verdict in the UART."""
    from dataclasses import replace
    t = live.target_from_scenario(REPO / "scenarios" / "kws_yes_no_nano33ble.yaml")
    t = replace(t, firmware=FIXTURES / "nano33ble_kws.elf", model=FIXTURES / "kws.tflite", app_name="kws")
    svg = asyncio.run(_board(t, [(1.3, [])]))
    check("board_kws_yes", svg, tmp_path)
