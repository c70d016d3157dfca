"""Live sessions: one board running in a worker thread, paced to the wall clock.

Headless (no Textual here): ``tinysim ui`` is one front end over it, tests drive it directly.
A :class:`LiveSession` owns the engine. Only its worker thread touches the engine; the UI
calls :meth:`LiveSession.snapshot` for plain data (a frozen :class:`Snapshot`, rebuilt at
``SNAPSHOT_HZ``) and sends commands (pause, speed, inject, ...) that the worker applies
between run slices.

Injections and replay: each sensor feed is one stream spec, ``{concat: [part, ...]}``, whose
last part (the "ambient": a still wand, a healthy machine) fills the rest. An injection at
virtual time t closes the ambient at t and appends the injected part (a gesture, a tilt, a
bearing fault ...). Parts draw their randomness from their own place in the spec (see
``tinysim.streams.spec``), so earlier parts keep their samples, and the session saves as a
scenario whose stream is that same spec: it replays the same samples at the same virtual
times, so the firmware prints the same lines.
"""
from __future__ import annotations

import math
import queue
import re
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import TinysimError

PREBUILT = Path(__file__).parent / "prebuilt"
SNAPSHOT_HZ = 10.0             # how often the worker publishes a snapshot
SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, None)     # None: as fast as possible
TAIL_CHUNK_S = 60.0            # the ambient is rendered this far ahead, then continued as a new part
STEP_QUANTUM_S = 0.01          # injections start on this grid (whole samples at 100 Hz..16 kHz)
PAINT = 0xA5
UART_KEEP = 500                # UART lines a snapshot carries (the UI appends the new ones)

# What the bundled applications print when they decide something, and what their outputs mean.
APPS = {
    "magic_wand": {"labels": ("wing", "ring", "slope", "negative"), "threshold": 0.70,
                   "detect": r"^gesture: (\w+)"},
    "vibration": {"labels": None, "threshold": None, "detect": r"^ALARM",
                  "score": r"^vibration: score=(\d+)", "score_limit": 300},
    "kws": {"labels": ("silence", "unknown", "yes", "no"), "threshold": 0.70, "detect": r"^heard: (\w+)"},
}


class LiveError(TinysimError):
    """A live session could not start or do what was asked."""


# -- what a session runs --------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Feed:
    """One sensor channel fed by the session: a scenario's own samples (if any), then the ambient."""
    sensor: str
    channel: str
    rate_hz: float
    ambient: dict
    base: np.ndarray | None = None     # the scenario's stream, exactly as `tinysim run` renders it

    @property
    def base_s(self) -> float:
        return 0.0 if self.base is None else len(self.base) / self.rate_hz


@dataclass(frozen=True)
class Target:
    """A board, its firmware (and model), the sensor feeds and what to look for."""
    name: str
    platform: str
    firmware: Path
    model: Path | None = None
    seed: int = 0
    feeds: tuple[Feed, ...] = ()
    expect: tuple[str, ...] = ()        # regexes of UART lines the scenario expects
    budgets: dict = field(default_factory=dict)
    scenario: Path | None = None
    description: str = ""
    app_name: str | None = None         # which application it is (default: the ELF's name)

    @property
    def app(self) -> str:
        return self.app_name or self.firmware.stem


STILL = {"type": "white_noise", "std": 0.01, "channels": 3, "offset": [0.0, 0.0, 1.0]}
HEALTHY = {"type": "vibration", "rpm": 2950, "imbalance": 0.04, "misalignment": 0.01, "noise": 0.006,
           "offset": [0.0, 0.0, 1.0]}
SILENT = {"type": "constant", "value": [0.0, 0.0, 0.0], "channels": 3}
SENSOR = {"nano33ble": "imu", "hifive1": "accel"}
ROOM = {"type": "white_noise", "std": 20.0, "channels": 1}     # a quiet room at the microphone (pcm counts)
MIC_RATE_HZ = 16000.0


def _ambient_for(app: str) -> dict:
    return HEALTHY if app == "vibration" else ROOM if app == "kws" else STILL


def _rate_for(app: str) -> float:
    return 3000.0 if app == "vibration" else MIC_RATE_HZ if app == "kws" else 200.0


def demos() -> list[Target]:
    """The bundled demos: prebuilt firmware and models shipped in the package."""
    out = []
    models = PREBUILT / "models"
    for board in ("nano33ble", "hifive1"):
        sensor = SENSOR[board]
        out.append(Target(f"magic wand ({board})", board, PREBUILT / board / "magic_wand.elf",
                          models / "magic_wand.tflite",
                          feeds=(Feed(sensor, "accel", 200.0, STILL),),
                          expect=(r"^gesture: ",),
                          description="gesture recognition: press w, r or s to draw wing, ring or slope",
                          app_name="magic_wand"))
        out.append(Target(f"vibration ({board})", board, PREBUILT / board / "vibration.elf",
                          models / ("anomaly.tflite" if board == "nano33ble" else "anomaly_800hz.tflite"),
                          feeds=(Feed(sensor, "accel", 3000.0, HEALTHY),),
                          expect=(r"^ALARM",),
                          description="anomaly detection on a pump: press b to bolt on a bearing fault",
                          app_name="vibration"))
        if board == "nano33ble" and (models / "kws.tflite").is_file():
            out.append(Target(f"keyword spotting ({board})", board, PREBUILT / board / "kws.elf",
                              models / "kws.tflite", feeds=(Feed("mic", "pcm", MIC_RATE_HZ, ROOM),),
                              expect=(r"^heard: ",),
                              description="listens for yes and no: press v and type a word to say it",
                              app_name="kws"))
        out.append(Target(f"hello ({board})", board, PREBUILT / board / "hello.elf",
                          description="prints the board and blinks the LED", app_name="hello"))
    return out


def target_from_files(platform: str, firmware: str | Path, model: str | Path | None = None) -> Target:
    fw = Path(firmware)
    if not fw.is_file():
        raise LiveError(f"{fw}: firmware file not found", hint="build it (make -C firmware) or give the path to an ELF")
    if model is not None and not Path(model).is_file():
        raise LiveError(f"{model}: model file not found")
    from .platform import load_platform
    plat = load_platform(platform)
    app = fw.stem
    feeds = ()
    sensor = SENSOR.get(plat.name)
    if app in ("kws", "mic") and plat.name == "nano33ble":
        feeds = (Feed("mic", "pcm", MIC_RATE_HZ, ROOM),)
    elif sensor and app in APPS or app in ("imu", "accel", "accel_irq"):
        feeds = (Feed(sensor or "imu", "accel", _rate_for(app), _ambient_for(app)),)
    return Target(f"{app} ({plat.name})", plat.name, fw, Path(model) if model else None, feeds=feeds,
                  expect=(APPS[app]["detect"],) if app in APPS else ())


def target_from_scenario(path: str | Path) -> Target:
    from .scenario import load_scenario
    sc = load_scenario(path)
    spec = sc.spec
    if spec.firmware is None:
        raise LiveError(f"{path}: the scenario runs a model on the inference firmware, which ends after "
                        "one inference; open an application scenario (firmware: ...) live",
                        hint="run it with `tinysim run` instead")
    fw = sc.resolve(spec.firmware)
    if not fw.is_file():
        raise LiveError(f"{path}: firmware {fw} not found", hint="build it with `make -C firmware`")
    app = fw.stem
    feeds = []
    from .scenario import _stream_data
    for i, s in enumerate(spec.streams):
        # the scenario's own samples (so the live board sees what `tinysim run` feeds it);
        # injections and the ambient follow them
        data, rate = _stream_data(sc, i, s)
        data = np.asarray(data, dtype=np.float64).reshape(len(data), -1)
        feeds.append(Feed(s.sensor, s.channel, float(rate),
                          (ROOM if app == "kws" else SILENT) if s.channel == "pcm" else _ambient_for(app),
                          base=data))
    expect = tuple(ls.match for ls in spec.expect.lines) + tuple(spec.expect.uart)
    return Target(sc.name, spec.platform, fw, sc.resolve(spec.model) if spec.model else None, spec.seed,
                  tuple(feeds), expect, spec.expect.budgets.model_dump(exclude_none=True), sc.path,
                  spec.description)


# -- injections -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Injection:
    kind: str                  # "gesture", "tilt", "shake", "noise", "fault", "silence", "file", "say"
    label: str                 # for people: "gesture ring"
    spec: dict                 # the stream part
    duration_s: float | None   # None: it becomes the new ambient (lasts until changed)


def injection(kind: str, arg: str | None = None, *, ambient: dict | None = None) -> Injection:
    """The stream part for one of the UI's injections."""
    amb = ambient or STILL
    if kind == "gesture":
        name = arg or "ring"
        spec = {"type": "gesture", "gesture": name, "lead_s": 0.1, "gap_s": 0.4, "noise": 0.01}
        return Injection(kind, f"gesture {name}", spec, -1.0)
    if kind == "tilt":          # the board held 30 degrees nose-up for 2 s
        return Injection(kind, "tilt 30°", {"type": "white_noise", "std": 0.01, "channels": 3,
                                            "offset": [0.0, 0.5, 0.866]}, 2.0)
    if kind == "shake":         # 6 Hz, 1.2 g side to side for 1.5 s
        return Injection(kind, "shake", {"sum": [{"type": "sine", "freq_hz": 6, "amplitude": [1.2, 0.3, 0.2],
                                                  "channels": 3},
                                                 {"type": "white_noise", "std": 0.05, "channels": 3}],
                                         "offset": [0.0, 0.0, 1.0]}, 1.5)
    if kind == "noise":         # the ambient plus 0.3 g of white noise for 2 s
        return Injection(kind, "noise 0.3 g", {"sum": [amb, {"type": "white_noise", "std": 0.3, "channels": 3}]},
                         2.0)
    if kind == "fault":         # outer-race bearing fault on the machine, from now on
        spec = dict(HEALTHY, bearing_fault=0.12)
        return Injection(kind, "bearing fault", spec, None)
    if kind == "healthy":
        return Injection(kind, "healthy machine", dict(amb), None)
    if kind == "silence":       # the sensor reads zeros from now on (machine stopped, board in free fall)
        return Injection(kind, "silence", dict(SILENT), None)
    if kind == "say":           # a word spoken into the microphone by espeak-ng, over the room's noise
        from .streams import speech
        word = (arg or "").strip()
        if not re.fullmatch(r"[A-Za-z][A-Za-z' -]{0,63}", word):
            raise LiveError(f"say {word!r}: not a word espeak-ng can speak here",
                            hint="type a word or short phrase in letters, e.g. yes or no")
        if not speech.espeak_available():
            raise LiveError("say needs espeak-ng, which is not installed",
                            hint="install it: apt-get install espeak-ng (./scripts/setup.sh does)")
        noise = amb.get("std", 0.0) if amb.get("type") == "white_noise" else 0.0
        spec = {"type": "speech", "words": [word], "lead_s": 0.05, "gap_s": 0.3, "level_dbfs": -12.0,
                "noise": float(np.ravel(noise)[0]) if np.size(noise) else 0.0}
        return Injection(kind, f"say {word}", spec, -1.0)
    if kind == "file":
        if not arg or not Path(arg).is_file():
            raise LiveError(f"{arg}: recording not found", hint="give a .csv, .wav, .npy or .resd file")
        return Injection(kind, f"file {Path(arg).name}", {"type": "file", "path": str(Path(arg).resolve())}, -1.0)
    raise LiveError(f"unknown injection {kind!r}")


@dataclass(frozen=True)
class Part:
    start_s: float
    spec: dict
    duration_s: float | None   # None: the ambient, to the end
    label: str


class FeedState:
    """One sensor channel's spec as parts, and the samples rendered from it."""

    def __init__(self, feed: Feed, seed: int):
        self.feed, self.seed = feed, seed
        self.parts: list[Part] = []
        self.has_base = feed.base is not None and len(feed.base) > 0
        if self.has_base:
            # stands for the scenario's samples (overlaid after rendering; saved as an .npy)
            self.parts.append(Part(0.0, {"type": "constant", "value": [0.0] * feed.base.shape[1]},
                                   round(feed.base_s, 6), "scenario stream"))
        self.parts.append(Part(feed.base_s, feed.ambient, None, "ambient"))
        self.data = np.zeros((0, feed.base.shape[1] if self.has_base else 3))
        self.unit = {"accel": "g", "gyro": "dps", "pcm": "pcm"}.get(feed.channel)

    @property
    def ambient(self) -> dict:
        return self.parts[-1].spec

    def horizon_s(self) -> float:
        return self.parts[-1].start_s + TAIL_CHUNK_S

    def spec(self, placeholders_before: int = 0, end_s: float | None = None) -> dict:
        """The whole stream as one spec. Parts before ``placeholders_before`` become constants
        of the same length (same samples after them: each part has its own random stream)."""
        out = []
        for i, p in enumerate(self.parts):
            last = i == len(self.parts) - 1
            if i < placeholders_before:
                out.append({"type": "constant", "value": [0.0] * self.data.shape[1], "duration_s": p.duration_s})
            elif last and end_s is None:
                out.append(dict(p.spec))
            else:
                d = p.duration_s if not last else round(end_s - p.start_s, 6)
                out.append(dict(p.spec, duration_s=d))
        return {"concat": out}

    def render(self, from_part: int = 0) -> np.ndarray:
        """Samples to the horizon; only parts from ``from_part`` on are generated anew."""
        from . import streams
        spec = self.spec(placeholders_before=from_part)
        st = streams.generate(spec, seed=self.seed, rate_hz=self.feed.rate_hz, duration_s=self.horizon_s(),
                              unit=self.unit, error=LiveError)
        data = np.array(st.data, dtype=np.float64).reshape(len(st.data), -1)
        keep = self._samples(self.parts[from_part].start_s) if from_part else 0
        if keep:
            data[:keep] = self.data[:keep]
        elif self.has_base:
            n = min(self._samples(self.parts[0].duration_s), len(self.feed.base), len(data))
            data[:n] = self.feed.base[:n]
        self.data = data
        return data

    def _samples(self, t: float) -> int:
        return int(round(t * self.feed.rate_hz))

    def add(self, inj: Injection, at_s: float, seed: int) -> int:
        """Cut the stream at ``at_s`` and append the injection (then the ambient, unless the
        injection is the new ambient); returns the index of the first part that changed."""
        amb = self.parts[-1]
        kept = []
        for p in self.parts:
            if p.start_s >= at_s - 1e-9:
                break
            if p.duration_s is None or p.start_s + p.duration_s > at_s:
                p = replace(p, duration_s=round(at_s - p.start_s, 6))
            kept.append(p)
        self.parts = kept
        idx = len(kept)
        dur = inj.duration_s
        if dur is not None and dur < 0:        # its own length, rounded up to the grid
            from . import streams
            nat = streams.parse_spec(inj.spec, error=LiveError).natural_duration_s(seed=seed,
                                                                                   rate_hz=self.feed.rate_hz)
            dur = math.ceil((nat or 2.0) / STEP_QUANTUM_S) * STEP_QUANTUM_S
        if dur is None:
            self.parts.append(Part(at_s, inj.spec, None, inj.label))
        else:
            dur = round(dur, 6)
            self.parts.append(Part(at_s, inj.spec, dur, inj.label))
            self.parts.append(Part(round(at_s + dur, 6), amb.spec, None, amb.label))
        return idx

    def extend(self) -> int:
        """Continue the ambient as a new part at the horizon (bounded regeneration cost)."""
        amb = self.parts.pop()
        end = round(amb.start_s + TAIL_CHUNK_S, 6)
        self.parts.append(Part(amb.start_s, amb.spec, TAIL_CHUNK_S, amb.label))
        self.parts.append(Part(end, amb.spec, None, amb.label))
        return len(self.parts) - 1


# -- what the UI sees ------------------------------------------------------------------------
@dataclass(frozen=True)
class UartLine:
    t: float
    text: str
    expected: bool = False


@dataclass(frozen=True)
class InferenceView:
    labels: tuple[str, ...]
    values: tuple[float, ...]          # dequantized outputs of the latest inference
    best: int
    threshold: float | None
    count: int                         # inferences so far
    instructions: int                  # of the latest
    cycles: int
    latency_ms: float


@dataclass(frozen=True)
class OpRow:
    index: int
    op: str
    instructions: int
    cycles: int
    percent: float


@dataclass(frozen=True)
class Budget:
    name: str
    used: float | None
    limit: float | None
    unit: str = "B"

    @property
    def over(self) -> bool:
        return self.used is not None and self.limit is not None and self.used > self.limit


@dataclass(frozen=True)
class Snapshot:
    """Everything a view shows, as plain data, at one moment."""
    generation: int                    # bumps on reset/reload: views start over
    title: str
    board: str
    core: str
    firmware: str
    model: str | None
    clock_hz: int
    state: str                         # starting, running, paused, idle, faulted, exited
    detail: str
    speed: float | None
    virtual_time_s: float
    wall_time_s: float
    rtf: float | None                  # virtual seconds per wall second, lately
    instructions: int
    cycles: int
    uart: tuple[UartLine, ...]
    uart_total: int                    # lines so far (uart holds the last UART_KEEP)
    uart_partial: str
    uart_rx: bool                      # the board models UART receive
    leds: tuple[tuple[str, bool, int], ...]
    sensors: tuple[tuple[str, float | None, int, int], ...]    # name, ODR, FIFO, lost
    plot: tuple[tuple[str, tuple[float, ...]], ...]             # channel -> recent samples
    plot_window_s: float
    plot_rate_hz: float
    spectrum: tuple[float, ...]
    inference: InferenceView | None
    scores: tuple[tuple[float, float], ...]                     # (t, score) from the UART
    score_limit: float | None
    profile: tuple[OpRow, ...]
    detections: tuple[tuple[float, str], ...]
    budgets: tuple[Budget, ...]
    injections: tuple[tuple[float, str], ...]
    fault: object | None               # engines.base.Fault
    expect: tuple[str, ...]
    ambient: dict | None = None        # what the first feed gives once injections end
    error: str | None = None           # the last command that failed, for people
    reached_after_s: float | None = None   # wall time from start() to until_s (measurements)
    reached_cpu_s: float | None = None     # CPU time of this process over the same span
    hot: tuple[tuple[str, int, int, float], ...] = ()   # functions by cycles: name, insns, cycles, %
    pc: int | None = None              # where the core is (shown while stopped)
    pc_function: str | None = None     # "main+0x12"
    timing_note: str = ""              # the timing model against silicon (TimingTable.silicon_summary)
    level_dbfs: float | None = None    # microphone: RMS of the last 50 ms, dB full scale
    spectrogram: tuple[tuple[int, ...], ...] = ()   # microphone: the last second's int8 log-mel frames


_CMD_STOP = object()


class LiveSession:
    """A board running live. Use ``start()`` for the paced worker thread, or ``advance_to()``
    to run synchronously to an exact virtual time (tests, snapshots)."""

    def __init__(self, target: Target, *, speed: float | None = 1.0, clock: Callable[[], float] = time.perf_counter):
        self.target = target
        self.speed = speed
        self.clock = clock
        self.generation = 0
        self._lock = threading.Lock()
        self._cmds: queue.Queue = queue.Queue()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._until_s: float | None = None
        self.reached_at: float | None = None
        self.started_at = time.perf_counter()
        self.on_publish: Callable[[Snapshot], None] | None = None     # called by the worker
        self._snap: Snapshot | None = None
        self.error: str | None = None
        self._boot()

    # -- boot ----------------------------------------------------------------------------
    def _boot(self) -> None:
        from . import api
        from .elf import load_elf
        from .memory import memory_use
        from .platform import load_platform
        t = self.target
        plat = load_platform(t.platform)
        fw = load_elf(t.firmware, expect_arch=plat.arch)        # read afresh: reload picks up a rebuild
        self.eng = api.open_board(plat, fw)
        self.plat, self.fw = plat, fw
        self.mem = memory_use(fw, plat)
        self.state, self.detail = "paused", ""
        self.fault = None
        self.lines: list[UartLine] = []
        self._partial = bytearray()
        self._expect = [re.compile(r) for r in t.expect]
        self._app = APPS.get(t.app, {})
        self._detect = re.compile(self._app["detect"]) if self._app.get("detect") else None
        self._score = re.compile(self._app["score"]) if self._app.get("score") else None
        self.detections: list[tuple[float, str]] = []
        self.scores: list[tuple[float, float]] = []
        self.injections: list[tuple[float, str]] = []
        self._event_seen = False
        self._stop_at_event = False
        self.eng.on_uart(self._on_uart)
        self._leds_seen: dict = {}
        self.feeds = [FeedState(f, t.seed) for f in t.feeds]
        for fs in self.feeds:
            fs.render()
            self.eng.attach_stream(fs.feed.sensor, fs.feed.channel, fs.data, fs.feed.rate_hz)
        self._hot: tuple = ()
        self._mel_rows: dict[int, tuple[int, ...]] = {}     # microphone frame index -> features
        self._hot_at = 0.0
        self._rate = 2.0
        self._model_info = None
        self._inference: InferenceView | None = None
        self._profile: tuple[OpRow, ...] = ()
        self._marks: list[tuple[int, int, int]] = []
        self._arena = None
        if t.model is not None:
            self._load_model(t.model)
        self._wall0 = self.clock()
        self._wall_run = 0.0
        self._anchor = (self.eng.counters().virtual_time_s, self.clock())
        self._rtf_mark = (self.eng.counters().virtual_time_s, self.clock())
        self._rtf: float | None = None
        self._last_pub = 0.0

    def _load_model(self, path: Path) -> None:
        from . import inference as inf
        data = Path(path).read_bytes()
        info = inf.inspect_model(path, data)
        fw = self.fw
        lo, hi = fw.symbol("__model_partition_start__"), fw.symbol("__model_partition_end__")
        if lo is None or hi is None:
            raise LiveError(f"{fw.path}: no model partition (symbols __model_partition_start__/_end__)",
                            hint="open firmware built with the tinysim runtime, or leave out --model")
        blob = inf.model_partition(data)
        if len(blob) > hi - lo:
            raise LiveError(f"{path}: {len(blob):,} bytes do not fit the model partition ({hi - lo:,} bytes)")
        self.eng.write_memory(lo, blob)
        ilo = fw.symbol("__input_partition_start__")
        if ilo is not None:
            self.eng.write_memory(ilo, inf.input_partition([inf.random_inputs(info, self.target.seed)]))
        self._model_info = info
        arena = next(((s.addr, s.addr + s.size) for s in fw.symbols() if s.name == "arena" and s.size), None)
        if arena is not None:
            self.eng.write_memory(arena[0], bytes([PAINT]) * (arena[1] - arena[0]))
            self._arena = arena
        watch = getattr(self.eng, "watch_function", None)
        if watch is not None:
            watch("tsrt_op_marker", self._on_marker)

    # -- engine callbacks (worker thread, inside run) ----------------------------------------
    def _on_uart(self, port: str, data: bytes) -> None:
        self._partial.extend(data)
        while b"\n" in self._partial:
            line, _, rest = bytes(self._partial).partition(b"\n")
            self._partial = bytearray(rest)
            text = line.decode("utf-8", "replace").rstrip("\r")
            t = round(self.eng.counters().virtual_time_s, 9)
            self.lines.append(UartLine(t, text, any(r.search(text) for r in self._expect)))
            self._event_seen = True
            if self._stop_at_event:
                self.eng.pause()            # stop right after this line, not at the next timer tick
            if self._detect is not None and self._detect.search(text):
                self.detections.append((t, text))
            if self._score is not None:
                m = self._score.search(text)
                if m:
                    self.scores.append((t, float(m.group(1))))

    def _on_marker(self, insns: int, cycles: int, args) -> None:
        idx = args[0] - (1 << 32) if args[0] & 0x80000000 else args[0]
        self._marks.append((idx, insns, cycles))
        if idx == -1:
            self._inference_done()
            self._marks = []

    def _inference_done(self) -> None:
        from . import inference as inf
        info = self._model_info
        marks = self._marks
        first = next((m for m in marks if m[0] == 0), None)
        if info is None or first is None:
            return
        over_i, over_c = inf._marker_overhead(self.eng)
        rows = []
        for (idx, i0, c0), (_, i1, c1) in zip(marks, marks[1:]):
            if idx >= 0:
                rows.append((idx, dict(info.ops).get(idx, "?"), i1 - i0 - over_i, c1 - c0 - over_c))
        total_c = marks[-1][2] - first[2]
        total_i = marks[-1][1] - first[1]
        self._profile = tuple(OpRow(i, op, ni, nc, 100.0 * nc / total_c if total_c else 0.0)
                              for i, op, ni, nc in rows)
        values = self._read_outputs(info)
        labels = self._app.get("labels") or tuple(f"out{i}" for i in range(len(values)))
        if len(labels) != len(values):
            labels = tuple(f"out{i}" for i in range(len(values)))
        count = (self._inference.count if self._inference else 0) + 1
        self._inference = InferenceView(tuple(labels), values, int(np.argmax(values)) if values else -1,
                                        self._app.get("threshold"), count, total_i, total_c,
                                        total_c / self.plat.clock_hz * 1e3)

    def _read_outputs(self, info) -> tuple[float, ...]:
        """The first output tensor, read from the runtime's tensor table (``model`` symbol:
        tsrt_model; tensors at +24; each tsrt_tensor is 36 bytes on these 32-bit cores, data pointer first, byte
        count at +8: checked against the model before it is trusted)."""
        addr = self.fw.symbol("model")
        if addr is None or not info.outputs:
            return ()
        out = info.outputs[0]
        try:
            tensors = int.from_bytes(self.eng.read_memory(addr + 24, 4), "little")
            rec = self.eng.read_memory(tensors + 36 * out.index, 12)
            data, nbytes = int.from_bytes(rec[0:4], "little"), int.from_bytes(rec[8:12], "little")
            if nbytes != out.nbytes or nbytes > 4096:
                return ()
            raw = np.frombuffer(self.eng.read_memory(data, nbytes), dtype=np.dtype(out.dtype)).astype(np.float64)
        except TinysimError:
            return ()
        if out.scale is not None and np.dtype(out.dtype).kind != "f":
            raw = (raw - out.zero_point) * out.scale
        return tuple(round(float(v), 6) for v in raw.ravel())

    # -- running (worker thread, or the caller in synchronous use) ------------------------------
    @property
    def virtual_time_s(self) -> float:
        return self.eng.counters().virtual_time_s

    def _run_for(self, dt: float) -> None:
        if dt <= 0:
            return
        self._maybe_extend(self.virtual_time_s + dt)
        v0, t0 = self.virtual_time_s, time.perf_counter()
        stop = self.eng.run(for_time_s=dt)
        wall = time.perf_counter() - t0
        self._wall_run += wall
        if wall > 1e-3 and stop.reason == "time-limit":
            self._rate = (self.virtual_time_s - v0) / wall      # virtual s per wall s, unpaced
        self._after_stop(stop)

    def _after_stop(self, stop) -> None:
        if stop.reason == "fault":
            self.state, self.fault = "faulted", stop.fault
            self.detail = stop.fault.description if stop.fault else stop.detail
        elif stop.reason == "exit":
            self.state, self.detail = "exited", f"exit code {stop.exit_code}"
        elif stop.reason in ("idle", "hang"):
            first = getattr(self.eng, "first_fault", lambda: None)()
            if first is not None:
                self.state, self.fault, self.detail = "faulted", first, first.description
            else:
                self.state, self.detail = "idle", stop.detail or stop.reason
        elif stop.reason == "breakpoint":
            self.state, self.detail = "paused", "breakpoint"

    def _maybe_extend(self, until_s: float) -> None:
        for fs in self.feeds:
            while until_s > fs.horizon_s() - 5.0:
                k = fs.extend()
                fs.render(k)
                self.eng.attach_stream(fs.feed.sensor, fs.feed.channel, fs.data, fs.feed.rate_hz)

    def advance_to(self, t_s: float) -> Snapshot:
        """Run synchronously to virtual time ``t_s`` (or until the firmware stops)."""
        if self._thread is not None:
            raise LiveError("advance_to() is for sessions without the worker thread")
        if self.state == "paused":
            self.state = "running"
        while self.state == "running" and self.virtual_time_s < t_s - 1e-12:
            self._run_for(min(0.5, t_s - self.virtual_time_s))
        if self.state == "running":
            self.state = "paused"
        return self.snapshot(fresh=True)

    def _inject_now(self, inj: Injection) -> float:
        """Apply an injection at the next grid point after now; returns its virtual time."""
        if not self.feeds:
            raise LiveError(f"{self.target.name}: no sensor stream to inject into",
                            hint="open a scenario or firmware that reads a sensor")
        now = self.virtual_time_s
        at = round((math.floor(now / STEP_QUANTUM_S + 1e-9) + 1) * STEP_QUANTUM_S, 6)
        for fs in self.feeds[:1]:
            k = fs.add(inj, at, self.target.seed)
            self._maybe_extend(at)
            fs.render(k)
            self.eng.attach_stream(fs.feed.sensor, fs.feed.channel, fs.data, fs.feed.rate_hz)
        self.injections.append((at, inj.label))
        return at

    def _step(self, count: int) -> None:
        stop = self.eng.step(count)
        self._after_stop(stop)
        if self.state == "running":
            self.state = "paused"

    def _step_to_event(self, limit_s: float = 10.0) -> None:
        """Run until the firmware prints a line or changes an LED (at most ``limit_s``)."""
        self._event_seen = False

        def lit():
            return {k for k, on in self._leds().items() if on}
        leds0 = lit()
        self._maybe_extend(self.virtual_time_s + limit_s)
        t0 = time.perf_counter()
        self._stop_at_event = True
        try:
            stop = self.eng.run(for_time_s=limit_s, until=lambda: self._event_seen or lit() != leds0)
        finally:
            self._stop_at_event = False
        self._wall_run += time.perf_counter() - t0
        self.state = "running"
        self._after_stop(stop)
        if self.state == "running":
            self.state = "paused"

    def _leds(self) -> dict:
        fn = getattr(self.eng, "leds", None)
        try:
            got = fn() if fn is not None else {}
        except TinysimError:
            got = {}
        return {k: (v["on"] if isinstance(v, dict) else bool(v)) for k, v in got.items()}

    def _led_toggles(self) -> dict:
        fn = getattr(self.eng, "leds", None)
        got = fn() if fn is not None else {}
        return {k: v.get("toggles", 0) if isinstance(v, dict) else 0 for k, v in got.items()}

    def send_uart_now(self, text: str) -> None:
        rx = getattr(self.eng, "on_uart_rx", None)
        port = self._rx_port()
        if rx is None or port is None:
            raise LiveError(f"{self.plat.name}: the board's UART model does not receive",
                            hint="UART input works on boards whose UART models RX (hifive1)")
        rx(port, text.encode())

    def _rx_port(self) -> str | None:
        for p in self.plat.peripherals:
            if "uart" in p.model and self.plat.arch == "riscv":
                return p.name
        return None

    # -- snapshots ------------------------------------------------------------------------------
    def snapshot(self, fresh: bool = False) -> Snapshot:
        """The latest published snapshot (``fresh``: build one now; only without the worker or
        from the worker itself)."""
        if fresh or self._thread is None:
            snap = self._build()
            with self._lock:
                self._snap = snap
            return snap
        with self._lock:
            snap = self._snap
        return snap if snap is not None else self._build()

    def _build(self) -> Snapshot:
        c = self.eng.counters()
        now = self.clock()
        wall = now - self._wall0
        leds = self._leds()
        toggles = self._led_toggles()
        status = getattr(self.eng, "sensor_status", None)
        sens = status() if status is not None else {k: {"odr_hz": None, "fifo": 0, **v}
                                                    for k, v in self.eng.sensor_report().items()}
        plot, spectrum, window = self._plot(c.virtual_time_s)
        level, spectrogram = self._mic(c.virtual_time_s)
        try:
            pc = self.eng.read_register("pc")
            hit = self.fw.function_at(pc)
            where = None if hit is None else (f"{hit[0]}+{hit[1]:#x}" if hit[1] else hit[0])
        except TinysimError:
            pc = where = None
        t = self.target
        return Snapshot(
            generation=self.generation, title=t.name, board=self.plat.name, core=self.plat.core,
            firmware=str(t.firmware), model=str(t.model) if t.model else None, clock_hz=self.plat.clock_hz,
            state=self.state, detail=self.detail, speed=self.speed, virtual_time_s=c.virtual_time_s,
            wall_time_s=wall, rtf=self._rtf, instructions=c.instructions, cycles=c.cycles,
            uart=tuple(self.lines[-UART_KEEP:]), uart_total=len(self.lines),
            uart_partial=self._partial.decode("utf-8", "replace"), uart_rx=self._rx_port() is not None,
            leds=tuple((k, leds[k], toggles.get(k, 0)) for k in sorted(leds)),
            sensors=tuple((k, v.get("odr_hz"), v.get("fifo", 0), v.get("lost_samples", 0))
                          for k, v in sorted(sens.items())),
            plot=plot, plot_window_s=window, plot_rate_hz=self.feeds[0].feed.rate_hz if self.feeds else 0.0,
            spectrum=spectrum, inference=self._inference, scores=tuple(self.scores[-200:]),
            score_limit=self._app.get("score_limit"), profile=self._profile,
            detections=tuple(self.detections[-50:]), budgets=self._budgets(), injections=tuple(self.injections),
            fault=self.fault, expect=tuple(t.expect), ambient=self.feeds[0].ambient if self.feeds else None,
            error=self.error, pc=pc, pc_function=where, hot=self._hot_functions(),
            level_dbfs=level, spectrogram=spectrogram, timing_note=self._timing_note(),
            reached_after_s=None if self.reached_at is None else self.reached_at - self.started_at,
            reached_cpu_s=None if self.reached_at is None else self.reached_cpu - self.started_cpu)

    def _timing_note(self) -> str:
        if not self.eng.capabilities.cycle_model:
            return ""
        from .timing import load_timing
        return load_timing(self.plat.timing).silicon_summary()

    def _hot_functions(self, top: int = 20) -> tuple:
        """Cycles per function since boot, from the engine's block profile (recomputed at most
        once a second: it walks every executed block)."""
        prof = getattr(self.eng, "profile", None)
        now = time.perf_counter()
        if prof is None or (self.state == "running" and now - self._hot_at < 1.0):
            return self._hot
        self._hot_at = now
        per: dict[str, list[int]] = {}
        for addr, insns, cycles in prof():
            hit = self.fw.function_at(addr)
            d = per.setdefault(hit[0] if hit else f"{addr:#x}", [0, 0])
            d[0] += insns
            d[1] += cycles
        total = sum(c for _, c in per.values()) or 1
        rows = sorted(per.items(), key=lambda kv: -kv[1][1])[:top]
        self._hot = tuple((name, i, c, 100.0 * c / total) for name, (i, c) in rows)
        return self._hot

    def _plot(self, now: float):
        """What the first feed gives its sensor lately, per axis (the last 4 s of a slow stream,
        the last 0.1 s of a fast one, where single periods show), and the spectrum of its last
        256 samples (x axis)."""
        if not self.feeds:
            return (), (), 0.0
        fs = self.feeds[0]
        r = fs.feed.rate_hz
        window_s = 4.0 if r < 1000 else 0.1
        hi = min(int(now * r), len(fs.data))
        lo = max(0, hi - int(window_s * r))
        seg = fs.data[lo:hi]
        step = max(1, len(seg) // 200)
        seg = seg[::step] if len(seg) else seg
        names = ("x", "y", "z")
        plot = tuple((f"{fs.feed.channel} {names[i] if i < 3 else i}", tuple(float(v) for v in seg[:, i]))
                     for i in range(min(3, fs.data.shape[1] if fs.data.ndim == 2 else 0)))
        spectrum: tuple[float, ...] = ()
        x = fs.data[max(0, hi - 256):hi, 0] if fs.data.size else np.zeros(0)
        if len(x) == 256 and r >= 1000:
            mag = np.abs(np.fft.rfft((x - x.mean()) * np.hanning(256)))[1:]
            spectrum = tuple(float(v) for v in mag.reshape(-1, 2).mean(axis=1))
        return plot, spectrum, window_s

    def _mic(self, now: float):
        """A microphone feed's level (RMS of the last 50 ms in dBFS) and the last second as the
        keyword-spotting front end computes it (what the kws model sees: 49 frames x 40 mel).
        Frames sit on the 20 ms grid from t = 0 and are computed once each: they end before
        now, and injections only change samples after now."""
        if not self.feeds or self.feeds[0].feed.channel != "pcm":
            return None, ()
        from .dsp import kws_frontend as kf
        fs = self.feeds[0]
        r = fs.feed.rate_hz
        hi = min(int(now * r), len(fs.data))
        if hi < int(0.05 * r):
            return None, ()
        tail = np.clip(np.round(fs.data[hi - int(0.05 * r):hi, 0]), -32768, 32767)
        level = round(20 * math.log10(max(float(np.sqrt(np.mean(tail ** 2))), 1e-3) / 32768.0), 1)
        if r != kf.SAMPLE_RATE or hi < kf.FRAME:
            return level, ()
        last = (hi - kf.FRAME) // kf.STRIDE
        first = max(0, last - kf.N_FRAMES + 1)
        new = [j for j in range(first, last + 1) if j not in self._mel_rows]
        if new:
            lo = new[0] * kf.STRIDE
            x = np.clip(np.round(fs.data[lo:new[-1] * kf.STRIDE + kf.FRAME, 0]), -32768, 32767)
            for j, row in zip(range(new[0], new[-1] + 1), kf.features(x.astype(np.int16))):
                self._mel_rows[j] = tuple(int(v) for v in row)
            for j in [j for j in self._mel_rows if j < first]:
                del self._mel_rows[j]
        return level, tuple(self._mel_rows[j] for j in range(first, last + 1))

    def _budgets(self) -> tuple[Budget, ...]:
        b = self.target.budgets
        flash = sum(r.size for r in self.plat.memory if r.kind == "flash")
        ram = sum(r.size for r in self.plat.memory if r.kind == "ram")
        region = self.mem.stack_region
        out = [Budget("flash", self.mem.flash_bytes, b.get("flash_bytes", flash)),
               Budget("static RAM", self.mem.ram_static_bytes, b.get("ram_bytes", ram)),
               Budget("stack peak", self.eng.stack_peak(),
                      b.get("stack_bytes", (region[1] - region[0]) if region else None))]
        if self._arena is not None:
            lo, hi = self._arena
            out.append(Budget("arena", _painted_peak(self.eng.read_memory(lo, hi - lo)),
                              b.get("arena_bytes", hi - lo)))
        if self._inference is not None:
            inf = self._inference
            out.append(Budget("cycles/inf", inf.cycles, b.get("cycles"), "cycles"))
            out.append(Budget("latency", round(inf.latency_ms, 3), b.get("latency_ms"), "ms"))
        return tuple(out)

    def _publish(self, force: bool = False) -> None:
        now = self.clock()
        if not force and now - self._last_pub < 1.0 / SNAPSHOT_HZ:
            return
        self._last_pub = now
        v = self.virtual_time_s
        v0, w0 = self._rtf_mark
        if now - w0 >= 0.5:
            self._rtf = (v - v0) / (now - w0) if self.state == "running" else None
            self._rtf_mark = (v, now)
        snap = self._build()
        with self._lock:
            self._snap = snap
        if self.on_publish is not None:
            self.on_publish(snap)

    # -- the worker thread --------------------------------------------------------------------
    def start(self, paused: bool = False, until_s: float | None = None) -> None:
        """Start the paced worker thread (``until_s``: pause on reaching that virtual time and
        note the wall clock in ``reached_at``; for measurements)."""
        if self._thread is not None:
            return
        self._until_s, self.reached_at = until_s, None
        self.started_at, self.started_cpu = time.perf_counter(), time.process_time()
        self.state = "paused" if paused else "running"
        self._anchor = (self.virtual_time_s, self.clock())
        self._thread = threading.Thread(target=self._loop, name="tinysim-live", daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._thread is not None:
            self._cmds.put((_CMD_STOP, ()))
            self._wake.set()
            self.eng.pause()
            self._thread.join(timeout=5)
            self._thread = None
        self.eng.close()

    def _command(self, fn, *args) -> None:
        if self._thread is None:
            fn(*args)
        else:
            self._cmds.put((fn, args))
            self._wake.set()
            self.eng.pause()            # end the slice now, so commands apply at once

    def _loop(self) -> None:
        try:
            while True:
                while True:
                    try:
                        fn, args = self._cmds.get_nowait()
                    except queue.Empty:
                        break
                    if fn is _CMD_STOP:
                        return
                    try:
                        fn(*args)
                    except TinysimError as e:
                        self.error = str(e)
                    self._publish(force=True)
                if self.state != "running":
                    self._publish()
                    self._wake.wait(0.05)
                    self._wake.clear()
                    continue
                now = self.clock()
                if self.speed is None:
                    # slices of ~1/SNAPSHOT_HZ of wall time: each run() call costs the engine
                    # a little, so no more calls than the snapshots need (pause interrupts one)
                    dt = min(5.0, max(0.05, self._rate / SNAPSHOT_HZ))
                else:
                    v_anchor, w_anchor = self._anchor
                    target = v_anchor + (now - w_anchor) * self.speed
                    behind = target - self.virtual_time_s
                    if behind > 0.25 * self.speed:         # cannot keep up: do not burst to catch up
                        self._anchor = (self.virtual_time_s, now)
                        behind = 0.05 * self.speed
                    if behind <= 0:
                        self._publish()
                        self._wake.wait(min(0.02, -behind / self.speed))
                        self._wake.clear()
                        continue
                    dt = min(behind, max(0.005, 0.05 * self.speed))
                if self._until_s is not None:
                    dt = min(dt, self._until_s - self.virtual_time_s)
                self._run_for(dt)
                if self._until_s is not None and self.virtual_time_s >= self._until_s - 1e-12:
                    self.reached_at, self.reached_cpu = time.perf_counter(), time.process_time()
                    self.state = "paused"
                self._publish(force=self.state != "running")
        except Exception as e:          # a bug: show it in the UI rather than dying silently
            import traceback
            self.error = f"internal error: {type(e).__name__}: {e}\n{traceback.format_exc()}"
            self.state, self.detail = "exited", "internal error"
            self._publish(force=True)

    # -- commands (any thread) --------------------------------------------------------------------
    def pause(self) -> None:
        self._command(self._set_state, "paused")

    def resume(self) -> None:
        self._command(self._set_state, "running")

    def toggle_pause(self) -> None:
        self._command(lambda: self._set_state("running" if self.state == "paused" else "paused"))

    def _set_state(self, state: str) -> None:
        if self.state in ("running", "paused"):
            self.state = state
            self._anchor = (self.virtual_time_s, self.clock())

    def set_speed(self, speed: float | None) -> None:
        def apply():
            self.speed = speed
            self._anchor = (self.virtual_time_s, self.clock())
        self._command(apply)

    def step(self, count: int = 1) -> None:
        self._command(lambda: self.state in ("running", "paused") and self._step(count))

    def step_to_event(self) -> None:
        self._command(lambda: self.state in ("running", "paused") and self._step_to_event())

    def inject(self, inj: Injection) -> None:
        self._command(self._inject_now, inj)

    def send_uart(self, text: str) -> None:
        self._command(self.send_uart_now, text)

    def reset(self, reload: bool = False) -> None:
        """Reboot the board (``reload``: re-read the ELF from disk, e.g. after a rebuild).
        Injections are dropped: the session starts over."""
        def apply():
            running = self.state == "running" or self.state in ("idle", "exited", "faulted")
            self.eng.close()
            self._boot()
            self.generation += 1
            self.state = "running" if running and self._thread is not None else "paused"
        self._command(apply)

    # -- saving ---------------------------------------------------------------------------------
    def scenario_yaml(self, name: str | None = None, where: Path | None = None, write_data: bool = False) -> str:
        """This session as a scenario: the same streams (injections included) and, as
        expectations, the lines the firmware printed when it decided something. A scenario's
        own samples go to an .npy beside the YAML (written when ``write_data``)."""
        import json
        t = self.target
        end = math.ceil(self.virtual_time_s / STEP_QUANTUM_S - 1e-9) * STEP_QUANTUM_S
        name = name or f"{t.app}_recorded"
        base = where.parent if where is not None else Path.cwd()

        def rel(p: Path) -> str:
            p = Path(p).resolve()
            try:
                return str(p.relative_to(base.resolve()))
            except ValueError:
                import os
                try:
                    return os.path.relpath(p, base.resolve())
                except ValueError:
                    return str(p)
        out = [f"# Recorded by `tinysim ui` from {t.name}: {len(self.injections)} injection(s) at the",
               "# virtual times below. Replays the same samples, so the firmware must print the same lines.",
               f"name: {name}", f"platform: {t.platform}", f"firmware: {rel(t.firmware)}"]
        if t.model:
            out.append(f"model: {rel(t.model)}")
        out += [f"seed: {t.seed}", f"duration: {end:.2f}s", "streams:"]
        for k, fs in enumerate(self.feeds):
            out += [f"  - sensor: {fs.feed.sensor}", f"    channel: {fs.feed.channel}",
                    f"    rate_hz: {fs.feed.rate_hz!r}", "    generate:", "      concat:"]
            parts = fs.spec(end_s=end)["concat"]
            if fs.has_base:
                npy = base / f"{name}.{fs.feed.sensor}{k}.npy"
                if write_data:
                    np.save(npy, fs.feed.base[:fs._samples(fs.parts[0].duration_s)])
                parts[0] = {"type": "file", "path": npy.name, "rate_hz": fs.feed.rate_hz, "unit": fs.unit,
                            "duration_s": parts[0]["duration_s"]}
            for p, spec in zip(fs.parts, parts):
                out.append(f"        # {p.start_s:.2f} s: {p.label}")
                out.append(f"        - {json.dumps(spec)}")
        lines = [ln for ln in self.lines if self._detect is not None and self._detect.search(ln.text)]
        out.append("expect:")
        if lines:
            out.append("  lines:")
            for ln in lines:
                out.append(f"    - {{match: {json.dumps('^' + _literal(ln.text) + '$')}, "
                           f"after: {max(0.0, ln.t - 0.05):.3f}s, before: {ln.t + 0.05:.3f}s}}")
            out.append(f"  lines_only: {json.dumps(self._detect.pattern)}")
        else:
            out.append(f"  uart_absent: [{json.dumps(self._detect.pattern)}]" if self._detect else "  uart: []")
        return "\n".join(out) + "\n"

    def save_scenario(self, path: str | Path, name: str | None = None) -> Path:
        path = Path(path)
        path.write_text(self.scenario_yaml(name or path.stem, where=path, write_data=True))
        return path


def _painted_peak(data: bytes) -> int:
    """Bytes written in a painted region: all but its longest untouched run (an arena fills
    from both ends)."""
    a = np.frombuffer(data, dtype=np.uint8)
    painted = np.concatenate(([0], (a == PAINT).astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(painted))
    longest = int((edges[1::2] - edges[0::2]).max()) if edges.size else 0
    return int(len(a) - longest)


def _literal(text: str) -> str:
    """A regex matching ``text`` exactly, readable (spaces stay spaces)."""
    return re.sub(r"([.^$*+?{}\[\]\\|()])", r"\\\1", text)


def speed_label(speed: float | None) -> str:
    return "max" if speed is None else f"x{speed:g}"


def measure_overhead(target: Target, virtual_s: float = 5.0, poll_hz: float = 10.0) -> dict:
    """Wall time to emulate ``virtual_s`` unpaced, plain (one engine.run) and live (worker
    thread at speed max, snapshots published at SNAPSHOT_HZ, a poller reading them at
    ``poll_hz`` as the UI does). Same machine, same run, so the ratio is what counts."""
    from . import api
    from .platform import load_platform
    plat = load_platform(target.platform)
    s = LiveSession(target, speed=None)           # boots (and compiles) first: not timed
    s.close()

    def plain() -> float:
        ses = LiveSession(target, speed=None)      # same feeds and model, never started
        t0 = time.perf_counter()
        ses.eng.run(max_time_s=virtual_s)
        dt = time.perf_counter() - t0
        ses.close()
        return dt

    def live() -> float:
        ses = LiveSession(target, speed=None)
        t0 = time.perf_counter()
        ses.start(until_s=virtual_s)
        while ses.reached_at is None and ses.state == "running":
            ses.snapshot()                        # what the UI does at each poll
            time.sleep(1.0 / poll_hz)
        dt = (ses.reached_at or time.perf_counter()) - t0
        ses.close()
        return dt
    p1, l1, p2, l2 = plain(), live(), plain(), live()
    p, lv = min(p1, p2), min(l1, l2)
    return {"virtual_s": virtual_s, "plain_wall_s": p, "live_wall_s": lv, "overhead": lv / p - 1.0}


# -- the same session in a child process ------------------------------------------------------
class LiveProcess:
    """A LiveSession in a child process, for the UI. One Python process has one GIL: in the
    UI's process, every peripheral access of the engine thread would wait while the UI draws,
    and unpaced emulation would run at half speed or worse. In its own process the engine only
    shares the CPU. Same commands as LiveSession; snapshots come back over a pipe (pickled
    plain data) at SNAPSHOT_HZ."""

    def __init__(self, target: Target, *, speed: float | None = 1.0, until_s: float | None = None,
                 paused: bool = False):
        # A plain subprocess with its own pipes, not multiprocessing: under a Textual app
        # sys.stderr has no file descriptor, which multiprocessing's spawn needs.
        import os
        import subprocess
        import sys
        import tempfile
        from multiprocessing.connection import Connection
        self.target = target
        cmd_r, cmd_w = os.pipe()
        rep_r, rep_w = os.pipe()
        snap_r, snap_w = os.pipe()
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from tinysim.live import _child_entry; _child_entry(*sys.argv[1:])",
             str(cmd_r), str(rep_w), str(snap_w)],
            pass_fds=(cmd_r, rep_w, snap_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self._stderr, start_new_session=True)      # terminal signals stay with the UI
        for fd in (cmd_r, rep_w, snap_w):
            os.close(fd)
        self._cmd = Connection(cmd_w, readable=False)
        self._rep = Connection(rep_r, writable=False)
        self._snap_r = Connection(snap_r, writable=False)
        self._lock = threading.Lock()
        self._cmd.send((target, speed, until_s, paused))
        first = self._snap_r.recv() if self._snap_r.poll(120) else ("error", "")
        if first[0] == "error":
            self._proc.wait(5) if self._proc.poll() is None else None
            self._stderr.seek(0)
            err = self._stderr.read().decode(errors="replace").strip().splitlines()
            raise LiveError(first[1] or "the engine process did not start" + (f": {err[-1]}" if err else ""))
        self._snap: Snapshot = first[1]
        self._reader = threading.Thread(target=self._read, name="tinysim-snapshots", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                kind, snap = self._snap_r.recv()
            except (EOFError, OSError):
                return
            with self._lock:
                self._snap = snap

    def snapshot(self, fresh: bool = False) -> Snapshot:
        with self._lock:
            return self._snap

    def _call(self, name: str, *args):
        with self._lock:
            if self._proc.poll() is not None:
                raise LiveError("the engine process has ended", hint="restart tinysim ui")
            self._cmd.send((name, args))
            ok, result = self._rep.recv()
        if not ok:
            raise LiveError(result)
        return result

    # the state the UI asks about, from the latest snapshot
    state = property(lambda self: self.snapshot().state)
    speed = property(lambda self: self.snapshot().speed)
    error = property(lambda self: self.snapshot().error)
    virtual_time_s = property(lambda self: self.snapshot().virtual_time_s)
    injections = property(lambda self: self.snapshot().injections)

    def start(self, paused: bool = False, until_s: float | None = None) -> None:
        """Started at construction; here for the LiveSession interface."""

    def pause(self): self._call("pause")
    def resume(self): self._call("resume")
    def toggle_pause(self): self._call("toggle_pause")
    def set_speed(self, speed): self._call("set_speed", speed)
    def step(self, count: int = 1): self._call("step", count)
    def step_to_event(self): self._call("step_to_event")
    def inject(self, inj: Injection): self._call("inject", inj)
    def send_uart(self, text: str): self._call("send_uart", text)
    def reset(self, reload: bool = False): self._call("reset", reload)

    def save_scenario(self, path, name=None) -> Path:
        return self._call("save_scenario", Path(path).resolve(), name)

    def scenario_yaml(self, name=None, where=None) -> str:
        return self._call("scenario_yaml", name, where)

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                with self._lock:
                    self._cmd.send(("close", ()))
            except OSError:
                pass
            try:
                self._proc.wait(5)
            except Exception:
                self._proc.kill()
                self._proc.wait(5)
        for c in (self._cmd, self._rep):
            c.close()


def _child_entry(cmd_fd: str, rep_fd: str, snap_fd: str) -> None:
    """The engine process (see LiveProcess): its first message says what to run."""
    from multiprocessing.connection import Connection
    cmd = Connection(int(cmd_fd), writable=False)
    rep = Connection(int(rep_fd), readable=False)
    snap_w = Connection(int(snap_fd), readable=False)
    target, speed, until_s, paused = cmd.recv()
    _child_main(target, speed, until_s, paused, cmd, snap_w, rep)


def _child_main(target, speed, until_s, paused, cmd, snap_w, rep) -> None:
    try:
        ses = LiveSession(target, speed=speed)
    except TinysimError as e:
        snap_w.send(("error", str(e)))
        return
    except Exception as e:                       # a bug: say so rather than hang the UI
        snap_w.send(("error", f"internal error: {type(e).__name__}: {e}"))
        return
    send_lock = threading.Lock()

    def publish(snap):
        with send_lock:
            try:
                snap_w.send(("snap", snap))
            except (OSError, BrokenPipeError):
                pass
    ses.on_publish = publish
    publish(ses.snapshot(fresh=True))
    ses.start(paused=paused, until_s=until_s)
    try:
        while True:
            try:
                name, args = cmd.recv()
            except (EOFError, OSError):
                break
            if name == "close":
                break
            try:
                rep.send((True, getattr(ses, name)(*args)))
            except TinysimError as e:
                rep.send((False, str(e)))
            except Exception as e:
                rep.send((False, f"internal error: {type(e).__name__}: {e}"))
    finally:
        ses.close()
