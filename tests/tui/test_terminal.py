"""End to end in real terminals: `tinysim ui` in tmux at 160x48, and `tinysim ui --serve` in
headless Chromium (Debian's chromium driven by playwright; no browser download)."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _capture(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def _wait(session: str, cond, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _capture(session)
        if cond(screen):
            return screen
        time.sleep(0.2)
    return screen


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed (apt-get install tmux)")
def test_tmux_160x48_board_clock_gestures_and_q_exits_cleanly():
    name = f"tinysim-ui-{os.getpid()}"
    cmd = f"cd {REPO} && {sys.executable} -m tinysim ui scenarios/magic_wand_ring.yaml; echo EXIT=$?"
    # a shell first, sized 160x48 for certain, then the command (a detached session may start
    # at tmux's default size and resize after the app has already drawn)
    subprocess.run(["tmux", "-f", "/dev/null", "new-session", "-d", "-s", name, "-x", "160", "-y", "48",
                    "bash --norc --noprofile"], check=True)
    try:
        subprocess.run(["tmux", "set-option", "-t", name, "window-size", "manual"], check=True)
        subprocess.run(["tmux", "resize-window", "-t", name, "-x", "160", "-y", "48"], check=True)
        size = subprocess.run(["tmux", "display-message", "-p", "-t", name, "#{window_width}x#{window_height}"],
                              capture_output=True, text=True).stdout.strip()
        assert size == "160x48"
        subprocess.run(["tmux", "send-keys", "-t", name, "clear; " + cmd, "Enter"], check=True)
        screen = _wait(name, lambda s: "gesture: ring" in s, 40)
        assert "gesture: ring" in screen, screen
        assert "magic_wand_ring" in screen and "LEDs" in screen and "imu" in screen      # the board
        assert "listening (window 64 at 25 Hz)" in screen
        t1 = float(re.search(r"virtual ([\d.]+) s", screen).group(1))
        screen = _wait(name, lambda s: "gesture: wing" in s, 30)
        assert "gesture: wing" in screen, screen
        t2 = float(re.search(r"virtual ([\d.]+) s", screen).group(1))
        assert t2 > t1 + 2.0                         # the clock advances (ring 2.9 s, wing 6.4 s)
        # real time: the wing (6.4 s virtual) cannot show before 3 wall seconds after the ring
        subprocess.run(["tmux", "send-keys", "-t", name, "q"], check=True)
        screen = _wait(name, lambda s: "EXIT=" in s, 15)
        assert "EXIT=0" in screen, screen
        assert "UART" not in screen and "╭" not in screen      # the alternate screen is gone
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason="chromium not installed (scripts/setup.sh installs it)")
def test_serve_page_and_app_in_headless_chromium(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install -e '.[dev]')")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tinysim", "ui", "--serve", "--port", str(port),
                             str(REPO / "scenarios" / "magic_wand_ring.yaml")],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    status, page = r.status, r.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(f"--serve did not answer on {url}")
                time.sleep(0.3)
        assert status == 200 and "tinysim" in page
        with playwright.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                page.goto(url)
                # textual-serve runs one app process per page and draws it on an xterm.js canvas
                page.wait_for_selector(".textual-terminal.-connected", timeout=30_000)
                # the running board redraws (clock, plots, UART): wait until two shots differ
                from PIL import Image, ImageChops
                shots, live_ = [], False
                deadline = time.monotonic() + 90
                while not live_ and time.monotonic() < deadline:
                    page.wait_for_timeout(1500)
                    shot = tmp_path / f"serve-{len(shots)}.png"
                    page.screenshot(path=str(shot))
                    shots.append(Image.open(shot).convert("RGB"))
                    # drawn (many colours: not the empty page with a blinking cursor) and redrawing
                    drawn = len(shots[-1].getcolors(maxcolors=1 << 16) or []) > 20
                    live_ = drawn and len(shots) > 1 and \
                        ImageChops.difference(shots[-2], shots[-1]).getbbox() is not None
            finally:
                browser.close()
        assert live_, f"the served page did not change in 90 s: {shots and shot}"
        colours = shots[-1].getcolors(maxcolors=1 << 16) or []
        assert len(colours) > 20, "the page is (nearly) blank: the app did not draw"
        log = b""
        os.killpg(proc.pid, 15)
        log = proc.communicate(timeout=10)[0]
        assert b"GET /ws" in log and b" 101 " in log          # the page opened the app's websocket
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=10)
