"""Scenario files: a board, its firmware (and model), sensor streams, and what must happen.

One typed model (pydantic) is the only declaration of what a scenario may say; problems are
reported as ``file:line: key: problem``, all at once. A scenario runs headless and yields a
ScenarioResult (plain data) that the terminal, JSON and JUnit renderers read.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ._yaml import YamlDocument, dotted_path, load_yaml
from .errors import Problem, ScenarioError, TinysimError

# Units each sensor channel takes, so streams in other units are converted first.
CHANNEL_UNITS = {"accel": "g", "gyro": "dps", "pcm": "pcm"}
# Columns each sensor channel reads per sample (x, y, z for motion; one for audio).
CHANNEL_COLUMNS = {"accel": 3, "gyro": 3, "pcm": 1}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(s|ms|us|min)?\s*$")


def parse_duration(v: Any) -> float:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    m = _DURATION.match(str(v))
    if not m:
        raise ValueError(f"{v!r} is not a duration (write 2s, 250ms or a number of seconds)")
    return float(m.group(1)) * {None: 1, "s": 1, "ms": 1e-3, "us": 1e-6, "min": 60}[m.group(2)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class StreamSpec(_Strict):
    sensor: str = Field(description="sensor name on the board, e.g. imu, accel, mic")
    channel: str = Field("accel", description="accel, gyro or pcm")
    generate: dict | str | None = Field(None, description="a generator spec (see tinysim.streams)")
    file: str | None = Field(None, description="a recording: .csv .wav .npy .resd")
    rate_hz: float | None = Field(None, gt=0, description="rate to generate at, or of a CSV/NPY without one")
    unit: str | None = None
    columns: list[str] | None = None


class Budgets(_Strict):
    flash_bytes: int | None = None
    ram_bytes: int | None = None
    stack_bytes: int | None = None
    arena_bytes: int | None = None
    cycles: int | None = None
    latency_ms: float | None = Field(None, description="per inference, at the board's clock")


class LineSpec(_Strict):
    match: str = Field(description="regex a UART line must match")
    after: float | str | None = Field(None, description="not before this virtual time")
    before: float | str | None = Field(None, description="not after this virtual time")

    @field_validator("after", "before")
    @classmethod
    def _t(cls, v):
        return None if v is None else parse_duration(v)

    @field_validator("match")
    @classmethod
    def _rx(cls, v):
        try:
            re.compile(v)
        except re.error as e:
            raise ValueError(f"bad regex {v!r}: {e}") from None
        return v


class ValueSpec(_Strict):
    match: str = Field(description="regex with one group capturing a number, e.g. 'score=(\\d+)'")
    min: float | None = None
    max: float | None = None
    at_least: int = Field(1, description="lines that must match")

    @field_validator("match")
    @classmethod
    def _rx(cls, v):
        try:
            if re.compile(v).groups < 1:
                raise ValueError(f"regex {v!r} needs a group capturing the number")
        except re.error as e:
            raise ValueError(f"bad regex {v!r}: {e}") from None
        return v


class Expect(_Strict):
    exit_reason: Literal["exit", "fault", "idle", "hang", "time-limit", "breakpoint"] | None = Field(
        None, description="how the run must end; without it a fault, breakpoint or non-zero exit fails")
    exit_code: int | None = None
    uart: list[str] = Field(default_factory=list, description="regexes that must match, in order")
    uart_absent: list[str] = Field(default_factory=list, description="regexes that must not match")
    lines: list[LineSpec] = Field(default_factory=list,
                                  description="UART lines in this order, each within its time window "
                                  "(e.g. the sequence and timing of predicted classes)")
    lines_only: str | None = Field(None, description="regex: the lines matching it must be exactly `lines`")
    values: list[ValueSpec] = Field(default_factory=list,
                                    description="numbers printed on UART lines (e.g. an anomaly score) "
                                    "that must stay within [min, max]")
    lost_samples_max: int | None = Field(None, ge=0)
    bit_exact: bool | None = None
    budgets: Budgets = Field(default_factory=Budgets)

    @field_validator("uart", "uart_absent")
    @classmethod
    def _regexes(cls, v):
        for r in v:
            try:
                re.compile(r)
            except re.error as e:
                raise ValueError(f"bad regex {r!r}: {e}") from None
        return v


class DetectSpec(_Strict):
    """How the firmware reports a detection, so `tinysim sweep` can score it against the
    streams' ground truth (their labels: gesture spans, machine faults). Scoring: tinysim.sweep."""
    match: str = Field(description="regex a detection line matches, e.g. 'gesture: (\\w+)'")
    label: int | str = Field(1, description="the regex group holding the detected label, or the label itself")
    events: list[str] | None = Field(None, description="ground-truth labels that are events (default: all)")
    within: float | str = Field("1.5s", description="a detection counts for an event until this long after it")

    @field_validator("within")
    @classmethod
    def _t(cls, v):
        return parse_duration(v)

    @model_validator(mode="after")
    def _rx(self):
        try:
            groups = re.compile(self.match).groups
        except re.error as e:
            raise ValueError(f"bad regex {self.match!r}: {e}") from None
        if isinstance(self.label, int) and not 0 <= self.label <= groups:
            raise ValueError(f"label: {self.match!r} has {groups} group(s), no group {self.label}")
        return self


class ScenarioSpec(_Strict):
    name: str | None = None
    description: str = ""
    platform: str
    firmware: str | None = Field(None, description="ELF path, relative to the scenario file")
    model: str | None = None
    input: str | None = None
    seed: int = 0
    duration: float | str = Field("1s", description="virtual time to run at most")
    wall_limit: float | str | None = Field("120s", description="wall-clock limit")
    streams: list[StreamSpec] = Field(default_factory=list)
    expect: Expect = Field(default_factory=Expect)
    detect: DetectSpec | None = Field(None, description="detection lines, for sweeps' accuracy scores")
    must_fail: bool | list[str] = Field(
        False, description="expectation keys (e.g. [lines]) of which at least one check must fail while "
        "every other check passes; true names the scenario's only expectation")

    @field_validator("duration", "wall_limit")
    @classmethod
    def _dur(cls, v):
        return None if v is None else parse_duration(v)


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    spec: ScenarioSpec
    doc: YamlDocument

    def resolve(self, rel: str) -> Path:
        """Paths in a scenario are relative to its file, else to the working directory."""
        p = Path(rel)
        if p.is_absolute():
            return p
        beside = self.path.parent / p
        return beside if beside.exists() or not p.exists() else p


def load_scenario(path: str | Path) -> Scenario:
    from .platform import _problem_from_pydantic
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: scenario file not found")
    doc = load_yaml(path, display=str(path), error=ScenarioError)
    try:
        spec = ScenarioSpec.model_validate(doc.data if doc.data is not None else {})
    except ValidationError as e:
        problems = sorted((_problem_from_pydantic(doc, err, ScenarioSpec) for err in e.errors(include_url=False)),
                          key=lambda p: p.line or 0)
        raise ScenarioError(f"{doc.file}: {len(problems)} problem{'s' if len(problems) > 1 else ''}", problems,
                            hint="fix the listed keys") from None
    problems = []
    if spec.firmware is None and spec.model is None:
        problems.append(Problem(doc.file, doc.line(()), "firmware", "give firmware (an ELF) or model (.tflite)"))
    for i, s in enumerate(spec.streams):
        if (s.generate is None) == (s.file is None):
            problems.append(Problem(doc.file, doc.line(("streams", i)), f"streams[{i}]",
                                    "give exactly one of generate or file"))
        if s.channel not in CHANNEL_UNITS:
            problems.append(Problem(doc.file, doc.line(("streams", i, "channel")), f"streams[{i}].channel",
                                    f"unknown channel {s.channel!r}; one of {', '.join(CHANNEL_UNITS)}"))
    sc = Scenario(spec.name or path.stem, path, spec, doc)
    for key, rel, at in ([("firmware", spec.firmware, ("firmware",)), ("model", spec.model, ("model",)),
                          ("input", spec.input, ("input",))] +
                         [(f"streams[{i}].file", s.file, ("streams", i, "file")) for i, s in enumerate(spec.streams)]):
        if rel is not None and not sc.resolve(rel).is_file():
            problems.append(Problem(doc.file, doc.line(at), key,
                                    f"{rel}: no such file (paths are relative to the scenario file)"))
    problems += _must_fail_problems(spec, doc)
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise ScenarioError(f"{doc.file}: {len(problems)} problem{'s' if len(problems) > 1 else ''}", problems,
                            hint="fix the listed keys")
    return sc


def expectation_keys(e: Expect) -> list[str]:
    """The expectations a scenario states, as keys: 'lines', 'budgets.cycles', ..."""
    keys = [k for k in Expect.model_fields if k in e.model_fields_set and k != "budgets"]
    keys += [f"budgets.{k}" for k in Budgets.model_fields if k in e.budgets.model_fields_set
             and getattr(e.budgets, k) is not None]
    return keys


def must_fail_keys(spec: ScenarioSpec) -> tuple[str, ...]:
    """What must fail. ``must_fail: true`` is only accepted with exactly one stated expectation,
    where it cannot mean anything but that one: with several, "some check failed" would let a
    run that did nothing at all pass (e.g. a scenario cut short before any output)."""
    if spec.must_fail is False:
        return ()
    if spec.must_fail is True:
        keys = expectation_keys(spec.expect)
        return tuple(k.split(".")[0] for k in keys[:1]) if len(set(k.split(".")[0] for k in keys)) == 1 else ()
    return tuple(spec.must_fail)


def _must_fail_problems(spec: ScenarioSpec, doc: YamlDocument) -> list[Problem]:
    if spec.must_fail is False:
        return []
    keys = expectation_keys(spec.expect)
    groups = sorted(set(k.split(".")[0] for k in keys))
    if spec.must_fail is True:
        if len(groups) == 1:
            return []
        why = ("the scenario states no expectation to fail" if not groups else
               f"it is ambiguous with {len(groups)} expectations ({', '.join(groups)})")
        return [Problem(doc.file, doc.line(("must_fail",)), "must_fail",
                        f"must_fail: true but {why}; name the ones that must fail, e.g. must_fail: [{(groups or ['lines'])[0]}]")]
    out = []
    if not spec.must_fail:
        out.append(Problem(doc.file, doc.line(("must_fail",)), "must_fail", "an empty list: name an expectation"))
    for i, k in enumerate(spec.must_fail):
        if k not in keys and k not in groups:
            out.append(Problem(doc.file, doc.line(("must_fail", i)), f"must_fail[{i}]",
                               f"{k!r} is not an expectation of this scenario; stated: {', '.join(keys) or 'none'}"))
    return out


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    measured: Any
    expected: Any
    message: str = ""
    key: str = ""                   # the expectation it comes from: "lines", "budgets.cycles", "run"

    def belongs_to(self, names) -> bool:
        return any(self.key == n or self.key.startswith(n + ".") for n in names)


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    file: str
    passed: bool
    checks: tuple[Check, ...]
    run: Any = None                  # RunResult, or None when the scenario could not run
    inference: Any = None
    error: str | None = None
    metrics: dict = field(default_factory=dict)   # for baselines: cycles, flash, RAM, stack, arena
    must_fail: tuple[str, ...] = ()               # expectation keys that had to fail
    error_kind: str | None = None                 # "config", "internal" or "interrupted" with error
    wall_time_s: float = 0.0                      # whole scenario, load to verdict

    @property
    def interrupted(self) -> bool:
        return self.error_kind == "interrupted" or (self.run is not None and self.run.exit_reason == "interrupted")

    def deciding_failures(self) -> list[Check]:
        """The checks that make the verdict FAIL (expected failures of must_fail excluded)."""
        return [c for c in self.checks if not c.passed and not c.belongs_to(self.must_fail)]

    def expected_failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed and c.belongs_to(self.must_fail) and c.key != "must_fail"]


@lru_cache(maxsize=1)
def _streams_source() -> bytes:
    """The stream generators' code: a cached stream is made again when it changes."""
    h = hashlib.sha256()
    for f in sorted((Path(__file__).parent / "streams").glob("*.py")):
        h.update(f.read_bytes())
    return h.digest()


def _stream_data(sc: Scenario, i: int, s: StreamSpec, notes: list[str] | None = None):
    unit = CHANNEL_UNITS[s.channel]
    default_rate = 16000.0 if s.channel == "pcm" else 1000.0
    if s.generate is not None:
        rate = default_rate if s.rate_hz is None else s.rate_hz

        def make():
            from . import streams as st
            g = st.generate(s.generate, seed=sc.spec.seed, rate_hz=rate, duration_s=sc.spec.duration,
                            unit=unit, doc=sc.doc, at=("streams", i, "generate"),
                            base_dir=sc.path.parent, error=ScenarioError)
            return g.data, g.rate_hz, tuple(g.channels)
        spec = json.dumps(s.generate, sort_keys=True, default=str)
        if "file" in spec or "path" in spec:        # reads a recording: not a function of the spec
            data, rate_hz, channels = make()
        else:                                       # synthetic: kept by spec, seed, span and code
            from .cache import derived
            key = "|".join((spec, repr((sc.spec.seed, rate, sc.spec.duration, unit)))).encode()
            data, rate_hz, channels = derived("streams", key + _streams_source(), make)
    else:
        from . import streams as st
        stream = st.load(sc.resolve(s.file), rate_hz=s.rate_hz, unit=s.unit, columns=s.columns)
        stream = stream.to_unit(unit)
        if s.channel == "pcm" and s.rate_hz is None and stream.rate_hz != default_rate:
            # Converted here (boxcar + linear interpolation, deterministic) rather than left to
            # the microphone's nearest-sample pick, and the report says so.
            if notes is not None:
                notes.append(f"{s.sensor}: {Path(s.file).name} resampled {stream.rate_hz:g} -> "
                             f"{default_rate:g} Hz (set rate_hz to choose the rate)")
            stream = stream.resample(default_rate)
        data, rate_hz, channels = stream.data, stream.rate_hz, tuple(stream.channels)
    need = CHANNEL_COLUMNS[s.channel]
    if len(channels) != need:
        where = s.file or "the generator"
        raise ScenarioError(f"{sc.doc.file}: streams[{i}] cannot feed {s.sensor}.{s.channel}", [Problem(
            sc.doc.file, sc.doc.line(("streams", i, "file" if s.file else "generate")), f"streams[{i}]",
            f"{s.channel} needs {need} data column{'s' if need > 1 else ''} "
            f"({'x, y, z' if need == 3 else 'one'}); {where} has {len(channels)}: {', '.join(channels)}")],
            hint="add the missing columns to the recording, or pick them with `columns: [...]`")
    return data, rate_hz


def run_scenario(path: str | Path | Scenario, *, max_time_s: float | None = None,
                 wall_limit_s: float | None = None, prepare=None) -> ScenarioResult:
    """Load and run one scenario file. The unit of work of `tinysim test`: a path in, a
    picklable result out, no global state, so it can run in any process or executor.
    ``max_time_s``/``wall_limit_s`` override the file's ``duration``/``wall_limit``;
    ``prepare(engine)`` runs after the streams are attached, before the first instruction."""
    import time
    t0 = time.perf_counter()
    try:
        sc = path if isinstance(path, Scenario) else load_scenario(path)   # a Scenario: e.g. a sweep's variant
    except TinysimError as e:
        return ScenarioResult(Path(path).stem, str(path), False, (), error=str(e), error_kind="config",
                              wall_time_s=time.perf_counter() - t0)
    try:
        r = _run(sc, max_time_s, wall_limit_s, prepare)
    except TinysimError as e:
        r = ScenarioResult(sc.name, str(sc.path), False, (), error=str(e), error_kind="config")
    except KeyboardInterrupt:         # outside the engine's run (loading, streams, reference model)
        r = ScenarioResult(sc.name, str(sc.path), False, (), error="interrupted by the user before the run ended",
                           error_kind="interrupted")
    except Exception as e:            # a bug in tinysim: report it against this scenario only
        import traceback
        r = ScenarioResult(sc.name, str(sc.path), False, (), error_kind="internal",
                           error=f"internal error: {type(e).__name__}: {e}\n{traceback.format_exc()}")
    return replace(r, wall_time_s=time.perf_counter() - t0)


def _run(sc: Scenario, max_time_s: float | None = None, wall_limit_s: float | None = None,
         extra_prepare=None) -> ScenarioResult:
    from . import api, inference
    spec = sc.spec
    if max_time_s is not None or wall_limit_s is not None:
        spec = spec.model_copy(update={k: v for k, v in (("duration", max_time_s), ("wall_limit", wall_limit_s))
                                       if v is not None})
        sc = replace(sc, spec=spec)
    fw = sc.resolve(spec.firmware) if spec.firmware else None
    notes: list[str] = []
    feeds = [(s.sensor, s.channel, *_stream_data(sc, i, s, notes)) for i, s in enumerate(spec.streams)]

    def prepare(eng):
        for sensor, channel, data, rate in feeds:
            eng.attach_stream(sensor, channel, data, rate)
        if extra_prepare is not None:
            extra_prepare(eng)

    inf = None
    if spec.model:
        run, inf = inference.run_model(spec.platform, sc.resolve(spec.model),
                                       input_path=sc.resolve(spec.input) if spec.input else None,
                                       seed=spec.seed, firmware=fw, max_time_s=spec.duration,
                                       wall_limit_s=spec.wall_limit, prepare=prepare)
    else:
        run = api.run(spec.platform, fw, max_time_s=spec.duration, wall_limit_s=spec.wall_limit,
                      prepare=prepare)
    if notes:
        run = replace(run, notes=tuple(notes) + tuple(run.notes))
    checks = evaluate(spec.expect, run, inf, duration_s=spec.duration, wall_limit_s=spec.wall_limit)
    metrics = {"cycles": run.cycles, "instructions": run.instructions, "flash_bytes": run.flash_bytes,
               "ram_bytes": run.ram_static_bytes, "stack_bytes": run.stack_peak_bytes}
    if inf is not None:
        metrics |= {"arena_bytes": inf.arena_planned_bytes if inf.arena_planned_bytes is not None
                    else inf.arena_peak_bytes, "cycles_per_inference": inf.cycles_per_inference}
    must = must_fail_keys(spec)
    for k in must:
        mine = [c for c in checks if c.belongs_to((k,))]
        bad = [c.name for c in mine if not c.passed]
        checks.append(Check(f"must fail: {k}", bool(bad), "; ".join(bad) if bad else "all passed",
                            "at least one check fails", key="must_fail"))
    ok = all(c.passed for c in checks if not c.belongs_to(must))
    return ScenarioResult(sc.name, str(sc.path), ok, tuple(checks), run, inf, metrics=metrics, must_fail=must)


def _run_check(e: Expect, run, duration_s: float | None, wall_limit_s: float | None) -> Check | None:
    """The check every scenario has: the run covered its duration (no wall limit, no Ctrl-C)
    and, unless ``exit_reason`` says how it must end, did not fault, stop at a breakpoint or
    exit with a non-zero code."""
    t = run.virtual_time_s
    of = f" of {duration_s:g} s virtual" if duration_s else ""
    if run.exit_reason == "interrupted":
        return Check("run", False, "interrupted", "a complete run", f"interrupted by the user at {t:.3f} s{of}", "run")
    if run.exit_reason == "wall-limit":
        lim = f"wall limit {wall_limit_s:g} s" if wall_limit_s else "wall limit"
        return Check("run", False, "wall-limit", "a complete run",
                     f"{lim} reached at {t:.3g} s{of}; raise wall_limit or shorten duration", "run")
    if e.exit_reason is not None:
        return None
    if run.fault is not None or run.exit_reason == "fault":
        what = run.fault.description if run.fault else run.detail
        return Check("run", False, "fault", "no fault", f"the firmware faulted: {what} "
                     "(state `exit_reason: fault` if the scenario expects it)", "run")
    if run.exit_reason == "breakpoint":
        return Check("run", False, "breakpoint", "no breakpoint", f"stopped at a breakpoint: {run.detail}", "run")
    if run.exit_reason == "exit" and run.exit_code not in (0, None) and e.exit_code is None:
        return Check("run", False, f"exit code {run.exit_code}", "exit code 0 (or state exit_code)",
                     run.detail, "run")
    return None


def evaluate(e: Expect, run, inf, duration_s: float | None = None, wall_limit_s: float | None = None) -> list[Check]:
    checks: list[Check] = []
    rc = _run_check(e, run, duration_s, wall_limit_s)
    if rc is not None:
        checks.append(rc)
    if e.exit_reason is not None:
        checks.append(Check("exit reason", run.exit_reason == e.exit_reason, run.exit_reason, e.exit_reason,
                            run.fault.description if run.fault else run.detail, "exit_reason"))
    if e.exit_code is not None:
        checks.append(Check("exit code", run.exit_code == e.exit_code, run.exit_code, e.exit_code, key="exit_code"))
    pos = 0
    for rx in e.uart:
        m = re.compile(rx, re.M).search(run.uart, pos)
        checks.append(Check(f"uart /{rx}/", m is not None, m.group(0) if m else None, rx,
                            "" if m else "no match (after the previous expected line)", "uart"))
        if m:
            pos = m.end()
    for rx in e.uart_absent:
        m = re.compile(rx, re.M).search(run.uart)
        checks.append(Check(f"uart absent /{rx}/", m is None, m.group(0) if m else None, rx, key="uart_absent"))
    i = 0
    lines = list(run.uart_lines)
    for spec in e.lines:
        rx = re.compile(spec.match)
        while i < len(lines) and not rx.search(lines[i][1]):
            i += 1
        if i == len(lines):
            checks.append(Check(f"line /{spec.match}/", False, None, _window(spec), "no such line (in order)",
                                "lines"))
            break
        t, text = lines[i]
        ok = (spec.after is None or t >= spec.after) and (spec.before is None or t <= spec.before)
        checks.append(Check(f"line /{spec.match}/", ok, f"{text!r} at {t:.3f}s", _window(spec), key="lines"))
        i += 1
    if e.lines_only is not None:
        rx = re.compile(e.lines_only)
        got = [text for _, text in lines if rx.search(text)]
        want = len(e.lines)
        checks.append(Check(f"only {want} lines /{e.lines_only}/", len(got) == want, got, want, key="lines_only"))
    for v in e.values:
        rx = re.compile(v.match)
        nums = [float(m.group(1)) for _, text in lines for m in [rx.search(text)] if m]
        if len(nums) < v.at_least:
            checks.append(Check(f"values /{v.match}/", False, f"{len(nums)} lines", f">= {v.at_least} lines",
                                key="values"))
            continue
        lo, hi = (min(nums), max(nums)) if nums else (None, None)
        ok = (v.min is None or lo >= v.min) and (v.max is None or hi <= v.max)
        rng = f"[{'' if v.min is None else f'{v.min:g}'}, {'' if v.max is None else f'{v.max:g}'}]"
        checks.append(Check(f"values /{v.match}/", ok, f"{lo:g}..{hi:g} over {len(nums)} lines", rng,
                            key="values"))
    if e.lost_samples_max is not None:
        lost = sum(s["lost_samples"] for s in run.sensors.values())
        checks.append(Check("lost samples", lost <= e.lost_samples_max, lost, e.lost_samples_max,
                            key="lost_samples_max"))
    if e.bit_exact is not None:
        got = inf.bit_exact if inf is not None else None
        checks.append(Check("bit-exact with TFLM", got == e.bit_exact, got, e.bit_exact, key="bit_exact"))
    b = e.budgets
    for key, name, measured, budget in (
            ("flash_bytes", "flash", run.flash_bytes, b.flash_bytes),
            ("ram_bytes", "RAM", run.ram_static_bytes, b.ram_bytes),
            ("stack_bytes", "stack", run.stack_peak_bytes, b.stack_bytes), ("cycles", "cycles", run.cycles, b.cycles),
            # the arena the runtime planned, or (firmware that does not publish it) the painted peak
            ("arena_bytes", "arena", (inf.arena_planned_bytes if inf.arena_planned_bytes is not None
                                      else inf.arena_peak_bytes) if inf else None, b.arena_bytes),
            ("latency_ms", "latency ms", round(inf.latency_ms, 4) if inf else None, b.latency_ms)):
        if budget is not None:
            ok = measured is not None and measured <= budget
            checks.append(Check(f"{name} budget", ok, measured, budget, key=f"budgets.{key}"))
    return checks


def _window(spec) -> str:
    lo = "" if spec.after is None else f"{spec.after:g}s"
    hi = "" if spec.before is None else f"{spec.before:g}s"
    return f"[{lo}, {hi}]" if lo or hi else "any time"


def discover(paths: list[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.rglob("*.yaml") if q.is_file())
        else:
            out.append(p)
    return out


def scenario_schema() -> dict:
    return ScenarioSpec.model_json_schema()


__all__ = ["load_scenario", "run_scenario", "ScenarioResult", "Check", "discover", "dotted_path"]
