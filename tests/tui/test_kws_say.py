"""`tinysim ui` on the keyword-spotting app: "v" says a word into the microphone (espeak-ng) at
the current virtual time, the firmware's verdict reaches the UART pane, and the sensor pane shows
the microphone's level and spectrogram. The model is a hand-built one whose "yes" is the window's
loudness, so the test checks the path (word -> microphone -> firmware -> UART), not accuracy."""
from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from tinysim import live
from tinysim.dsp import kws_frontend as kf
from tinysim.streams import speech
from tinysim.tui import create_app
from tinysim.tui.widgets import PlotPanel, UartPane

SIZE = (160, 48)
needs_espeak = pytest.mark.skipif(not speech.espeak_available(),
                                  reason="espeak-ng is not installed (apt-get install espeak-ng; ./scripts/setup.sh does)")


def _loudness_model(path: Path) -> Path:
    """yes = 0 at a mean feature of -78 (the quiet room sits near -81) rising to 1 at -68 (one
    word in the window lifts the mean to about -64); silence 0.3, unknown 0.2, no 0."""
    from tinysim.tflite_builder import ModelBuilder, options
    n = kf.N_FRAMES * kf.N_MEL
    s_w = 1 / (n * 10)
    b = ModelBuilder()
    x = b.tensor((1, kf.N_FRAMES, kf.N_MEL, 1), "int8", scale=1.0, zp=0)
    w = np.zeros((4, n), np.int8)
    w[2] = 1
    bias = b.const(np.array([round(0.3 / s_w), round(0.2 / s_w), n * 78, 0], np.int32), "int32",
                   scale=float(np.float32(s_w)))
    y = b.tensor((1, 4), "int8", scale=1 / 256, zp=-128)
    b.op("FULLY_CONNECTED", [x, b.const(w, "int8", scale=s_w), bias], [y], options("FullyConnectedOptions"))
    path.write_bytes(b.build([x], [y]))
    return path


def _target(fw, tmp_path) -> live.Target:
    return live.target_from_files("nano33ble", fw("nano33ble", "kws"), _loudness_model(tmp_path / "loud.tflite"))


def test_a_kws_session_listens_to_a_quiet_room_and_shows_the_microphone(fw, tmp_path):
    s = live.LiveSession(_target(fw, tmp_path), speed=None)
    try:
        snap = s.advance_to(1.5)
        assert [ln.text for ln in snap.uart][:1] == ["kws: listening (yes, no)"]
        assert not snap.detections
        # white noise of std 20 counts: 20 log10(20 / 32768) = -64.3 dBFS, give or take the draw
        assert -66.0 < snap.level_dbfs < -62.5
        assert len(snap.spectrogram) == kf.N_FRAMES and len(snap.spectrogram[0]) == kf.N_MEL
        # what the panel draws is the front end of the samples the microphone was given
        fs = s.feeds[0]
        want = kf.features(np.clip(np.round(fs.data[24000 - 16000:24000, 0]), -32768, 32767).astype(np.int16))
        assert np.array_equal(np.array(snap.spectrogram), want)
    finally:
        s.close()


@needs_espeak
def test_say_key_speaks_a_word_and_the_verdict_reaches_the_uart_pane(fw, tmp_path):
    async def go():
        app = create_app(_target(fw, tmp_path), speed=None, autostart=False, clock=lambda: 0.0)
        async with app.run_test(size=SIZE) as pilot:
            board = app.board
            app.session.advance_to(1.5)
            await pilot.press("v")
            await pilot.pause()
            for k in ("n", "o", "enter"):
                await pilot.press(k)
            await pilot.pause()
            at, label = app.session.injections[-1]
            assert label == "say no" and 1.5 <= at <= 1.52
            heard = []
            t = 1.5
            while t < 4.0 and not heard:
                t += 0.1
                app.session.advance_to(t)
                board.refresh_now()
                await pilot.pause()
                heard = [x for x in board.query_one(UartPane).texts if x.startswith("heard:")]
                if 1.65 < t < 1.85:             # mid-word: the level meter is well above the room
                    assert app.session.snapshot().level_dbfs > -40
            assert heard and heard[0].startswith("heard: yes (p="), heard
            det = app.session.snapshot().detections
            assert det and at < det[0][0] < at + 1.5
            plots = board.query_one(PlotPanel)
            assert "spectrogram" in str(plots.render()) and "dBFS" in str(plots.render())
    asyncio.run(go())


def test_say_refuses_what_is_not_a_word():
    with pytest.raises(live.LiveError, match="not a word"):
        live.injection("say", "rm -rf /; echo")


@needs_espeak
def test_a_session_with_said_words_saves_as_a_scenario_that_replays_the_verdicts(fw, tmp_path):
    """Say "yes" then "no" live (the committed model), save, and `tinysim test` the saved file:
    the firmware prints the same verdicts at the same virtual times."""
    from tinysim.scenario import run_scenario
    repo = Path(__file__).resolve().parents[2]
    t = live.target_from_files("nano33ble", fw("nano33ble", "kws"), repo / "models" / "kws.tflite")
    s = live.LiveSession(t, speed=None)
    try:
        s.advance_to(1.2)
        s.inject(live.injection("say", "yes", ambient=live.ROOM))
        s.advance_to(3.0)
        s.inject(live.injection("say", "no", ambient=live.ROOM))
        s.advance_to(5.0)
        heard = [(round(tt, 3), text) for tt, text in s.detections]
        path = s.save_scenario(tmp_path / "said.yaml")
    finally:
        s.close()
    assert [text.split(" (")[0] for _, text in heard] == ["heard: yes", "heard: no"], heard
    r = run_scenario(path)
    assert r.passed, [c for c in r.checks if not c.passed]
    assert [ln for ln in r.run.uart.splitlines() if ln.startswith("heard:")] == [text for _, text in heard]
