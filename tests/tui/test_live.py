"""The live controller (tinysim.live, headless): pacing, pause, step, injections, and sessions
saved as scenarios that replay to the same lines."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tinysim import live
from tinysim.elf import load_elf
from tinysim.scenario import run_scenario

REPO = Path(__file__).resolve().parents[2]


def demo(name: str) -> live.Target:
    return next(d for d in live.demos() if d.name == name)


def lines(snap: live.Snapshot) -> list[tuple[float, str]]:
    return [(ln.t, ln.text) for ln in snap.uart]


def test_core_stays_headless():
    """Nothing outside tinysim/tui imports textual: the live controller, the CLI module and
    the API load without it."""
    code = ("import sys, tinysim.live, tinysim.cli, tinysim.api, tinysim.scenario; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'textual_serve')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("board", ["nano33ble", "hifive1"])
def test_injected_gestures_save_as_a_scenario_that_replays_the_same_lines(tmp_path, board):
    s = live.LiveSession(demo(f"magic wand ({board})"), speed=None)
    s.advance_to(1.0)
    s.inject(live.injection("gesture", "ring"))
    s.advance_to(3.5)
    s.inject(live.injection("gesture", "slope"))
    snap = s.advance_to(6.5)
    s.close()
    assert [t for t, _ in snap.injections] == [1.01, 3.51]     # the next 10 ms grid point after the key
    got = [text.split(" p=")[0] for _, text in snap.detections]
    assert got[0] == "gesture: ring" and got[-1] == "gesture: slope"
    path = s.save_scenario(tmp_path / "rec.yaml")
    r = run_scenario(path)
    assert r.passed, [c for c in r.checks if not c.passed]
    # same lines at the same virtual times, to the nanosecond: the firmware saw the same samples
    assert list(r.run.uart_lines) == lines(snap)
    assert sum(c.name.startswith("line ") for c in r.checks) == len(snap.detections)


def test_live_view_of_a_scenario_is_the_scenario_run(tmp_path):
    """Opening a scenario live feeds the same samples as `tinysim run`: the same lines."""
    sc = REPO / "scenarios" / "magic_wand_ring.yaml"
    s = live.LiveSession(live.target_from_scenario(sc), speed=None)
    snap = s.advance_to(11.0)
    s.close()
    r = run_scenario(sc)
    assert lines(snap) == list(r.run.uart_lines)
    assert [t.split(" p=")[0] for _, t in snap.detections] == ["gesture: ring", "gesture: wing", "gesture: slope"]


def test_injection_inside_a_scenario_stream_replays(tmp_path):
    sc = REPO / "scenarios" / "magic_wand_ring.yaml"
    s = live.LiveSession(live.target_from_scenario(sc), speed=None)
    s.advance_to(3.0)
    s.inject(live.injection("gesture", "slope"))
    snap = s.advance_to(6.0)
    s.close()
    path = s.save_scenario(tmp_path / "rec.yaml")
    assert (tmp_path / "rec.imu0.npy").is_file()          # the scenario's own samples up to the cut
    r = run_scenario(path)
    assert r.passed and list(r.run.uart_lines) == lines(snap)


def test_bearing_fault_raises_the_alarm_and_replays(tmp_path):
    s = live.LiveSession(demo("vibration (nano33ble)"), speed=None)
    healthy = s.advance_to(1.0)
    assert healthy.scores and max(v for _, v in healthy.scores) < 300
    assert not any(t.startswith("ALARM") for _, t in healthy.detections)
    s.inject(live.injection("fault"))
    snap = s.advance_to(2.0)
    s.close()
    alarms = [t for t, text in snap.detections if text.startswith("ALARM")]
    assert alarms and 1.01 < alarms[0] < 1.01 + 0.5        # a verdict within half a second
    r = run_scenario(s.save_scenario(tmp_path / "fault.yaml"))
    assert r.passed and list(r.run.uart_lines) == lines(snap)


def test_pause_freezes_virtual_time_and_resume_continues():
    s = live.LiveSession(demo("magic wand (nano33ble)"), speed=1.0)
    s.start()
    try:
        deadline = time.monotonic() + 20
        while s.virtual_time_s < 0.3 and time.monotonic() < deadline:
            time.sleep(0.02)
        s.pause()
        time.sleep(0.3)                  # the worker applies the pause between run slices
        frozen = s.virtual_time_s
        time.sleep(0.5)
        assert s.virtual_time_s == frozen and s.state == "paused"
        s.resume()
        while s.virtual_time_s <= frozen and time.monotonic() < deadline:
            time.sleep(0.02)
        assert s.virtual_time_s > frozen
    finally:
        s.close()


def test_real_time_pacing_follows_the_wall_clock():
    """At x1 virtual time tracks the wall clock; at x0.25 it runs a quarter as fast."""
    for speed in (1.0, 0.25):
        s = live.LiveSession(demo("magic wand (nano33ble)"), speed=speed)
        s.start()
        time.sleep(1.0)                   # past boot, when the worker may still be catching up
        v0, w0 = s.virtual_time_s, time.perf_counter()
        time.sleep(1.5)
        v1, w1 = s.virtual_time_s, time.perf_counter()
        s.close()
        ratio = (v1 - v0) / (w1 - w0) / speed
        assert 0.7 < ratio < 1.1, (speed, ratio)      # never ahead of the clock; behind only when starved


def test_step_runs_exactly_one_instruction():
    s = live.LiveSession(demo("hello (nano33ble)"), speed=None)
    s.advance_to(0.0001)
    before = s.snapshot(fresh=True).instructions
    s.step(1)
    assert s.snapshot(fresh=True).instructions == before + 1
    s.step(5)
    assert s.snapshot(fresh=True).instructions == before + 6
    s.close()


def test_step_to_next_event_stops_at_the_next_uart_line():
    s = live.LiveSession(demo("magic wand (nano33ble)"), speed=None)
    s.step_to_event()
    snap = s.snapshot(fresh=True)
    assert [ln.text for ln in snap.uart] == ["magic_wand: listening (window 64 at 25 Hz)"]
    assert snap.virtual_time_s == pytest.approx(snap.uart[0].t, abs=1e-4)
    s.close()


def test_inference_view_reads_the_model_outputs():
    """Class bars are the dequantized outputs of the last inference: softmax sums to ~1, and
    the firmware's printed class is the argmax."""
    s = live.LiveSession(demo("magic wand (nano33ble)"), speed=None)
    s.inject(live.injection("gesture", "wing"))
    snap = None
    for k in range(1, 60):
        snap = s.advance_to(0.1 * k)
        if snap.detections:
            break
    s.close()
    inf = snap.inference
    assert inf.labels == ("wing", "ring", "slope", "negative")
    assert abs(sum(inf.values) - 1.0) < 0.02
    name = snap.detections[0][1].split()[1]
    assert inf.labels[inf.best] == name
    pct = int(snap.detections[0][1].split("p=")[1].split()[0])
    assert round(inf.values[inf.best] * 100) in (pct, pct + 1)   # firmware: (q + 128) * 100 / 256, floored
    assert [r.op for r in snap.profile][:2] == ["CONV_2D", "MAX_POOL_2D"]
    assert sum(r.cycles for r in snap.profile) <= inf.cycles


def test_reset_starts_the_board_over():
    s = live.LiveSession(demo("magic wand (nano33ble)"), speed=None)
    s.inject(live.injection("gesture", "ring"))
    first = s.advance_to(1.0)
    s.reset()
    again = s.snapshot(fresh=True)
    assert again.generation == first.generation + 1
    assert again.virtual_time_s == 0.0 and again.uart == () and again.injections == ()
    s.close()


def test_bad_input_is_a_clear_error(tmp_path):
    with pytest.raises(live.LiveError, match="firmware file not found"):
        live.target_from_files("nano33ble", tmp_path / "missing.elf")
    with pytest.raises(live.LiveError, match="recording not found"):
        live.injection("file", str(tmp_path / "nope.csv"))
    s = live.LiveSession(demo("hello (nano33ble)"), speed=None)
    with pytest.raises(live.LiveError, match="no sensor stream"):
        s.inject(live.injection("tilt"))
    with pytest.raises(live.LiveError, match="does not receive"):
        s.send_uart("hi\n")
    s.close()


def test_cli_ui_rejects_mixed_arguments():
    p = subprocess.run([sys.executable, "-m", "tinysim", "ui", "scenarios/magic_wand_ring.yaml", "-p", "nano33ble",
                        "-f", "x.elf"], capture_output=True, text=True, cwd=REPO)
    assert p.returncode == 2 and "not both" in p.stderr and "Traceback" not in p.stderr
    p = subprocess.run([sys.executable, "-m", "tinysim", "ui", "-p", "nano33ble", "-f", "missing.elf"],
                       capture_output=True, text=True, cwd=REPO)
    assert p.returncode == 2 and "missing.elf: firmware file not found" in p.stderr


def test_cli_ui_without_a_terminal_runs_the_scenario_headless():
    """Piped or in a CI log there is no screen to draw: a scenario runs as `tinysim run` would
    (its report and exit status), the launcher refuses with exit 2; nothing hangs."""
    env = {k: v for k, v in __import__("os").environ.items() if k != "TEXTUAL_DRIVER"}
    p = subprocess.run([sys.executable, "-m", "tinysim", "ui", "scenarios/hello_nano33ble.yaml"],
                       capture_output=True, text=True, cwd=REPO, stdin=subprocess.DEVNULL, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "running scenarios/hello_nano33ble.yaml headless" in p.stderr
    assert "hello_nano33ble  PASS" in p.stdout and "\x1b[?1049h" not in p.stdout
    p = subprocess.run([sys.executable, "-m", "tinysim", "ui"], capture_output=True, text=True, cwd=REPO,
                       stdin=subprocess.DEVNULL, env=env, timeout=60)
    assert p.returncode == 2 and "needs a terminal" in p.stderr and "Traceback" not in p.stderr


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("riscv64-unknown-elf-gcc") is None,
                    reason="no cross compilers: cannot rebuild the shipped demo firmware")
def test_fresh_build_matches_the_shipped_demo_firmware(tmp_path):
    """tinysim/prebuilt/<board>/{hello,magic_wand,vibration}.elf are `make -C firmware
    prebuilt` output: the same loadable bytes as a fresh build."""
    for board in ("nano33ble", "hifive1"):
        for app in ("hello", "magic_wand", "vibration"):
            subprocess.run(["make", "-s", "-C", str(REPO / "firmware"), f"BUILD_DIR={tmp_path}", f"BOARD={board}",
                            app], check=True, capture_output=True)
            fresh = load_elf(tmp_path / board / f"{app}.elf")
            shipped = load_elf(REPO / "tinysim" / "prebuilt" / board / f"{app}.elf")
            assert [(s.paddr, s.data) for s in fresh.segments] == [(s.paddr, s.data) for s in shipped.segments], \
                f"{board}/{app}.elf is stale: run make -C firmware prebuilt"
    for m in ("magic_wand.tflite", "anomaly.tflite", "anomaly_800hz.tflite"):
        assert (REPO / "models" / m).read_bytes() == (REPO / "tinysim" / "prebuilt" / "models" / m).read_bytes()


def test_saved_scenario_is_valid_yaml_with_timestamped_injections(tmp_path):
    """An injection cuts short the one before it; each part is commented with its start."""
    s = live.LiveSession(demo("magic wand (nano33ble)"), speed=None)
    s.advance_to(0.5)
    s.inject(live.injection("tilt"))         # 2 s from 0.51
    s.advance_to(1.0)
    s.inject(live.injection("shake"))        # 1.5 s from 1.01: the tilt lasted 0.5 s
    s.advance_to(4.0)
    text = s.scenario_yaml("rec")
    s.close()
    assert "# 0.51 s: tilt 30°" in text and "# 1.01 s: shake" in text and "# 2.51 s: ambient" in text
    import yaml
    d = yaml.safe_load(text)
    assert d["duration"] == "4.00s"
    parts = d["streams"][0]["generate"]["concat"]
    assert [p["duration_s"] for p in parts] == [0.51, 0.5, 1.5, 1.49]
    assert json.dumps(parts[1]["offset"]) == "[0.0, 0.5, 0.866]"


def test_uart_input_reaches_the_receive_fifo_on_the_hifive1():
    """The FE310 UART models receive: bytes typed in the UI land in its RX FIFO."""
    s = live.LiveSession(demo("hello (hifive1)"), speed=None)
    s.advance_to(0.001)
    assert s.snapshot(fresh=True).uart_rx
    s.send_uart("hi\n")
    assert bytes(s.eng.m.peripherals["uart0"].rx) == b"hi\n"
    s.close()
