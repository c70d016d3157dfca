"""Stream specs: validate them (errors carry file, line and key path) and render them.

A spec is plain data, usually a value in a scenario YAML file:

* a mapping with ``type:`` -- a generator (``sine``, ``gesture``, ...) or
  ``file`` (a recording), plus its keys;
* a mapping with ``sum: [spec, ...]`` (samples added) or
  ``concat: [spec, ...]`` (one after the other);
* a string shorthand: ``"sine(freq=2, amp=0.5) + white_noise(std=0.1)"``
  (short key aliases allowed: freq, amp, phase, f0, f1, at, width, gap,
  lead, duration; ``+`` is a sum).

Every spec may also have ``duration_s``, ``channels``, ``unit``, ``gain``,
``offset`` (see :class:`tinysim.streams.schema.SpecBase`).

Length: a part with ``duration_s`` lasts that long and contributes 0 after
it. In ``concat`` every part needs a length (its ``duration_s``, or an
intrinsic one: a gesture sequence, a file) except at most one, which fills
the rest. The length of the whole is ``generate(duration_s=)``, else the
spec's own.

Units: elementary generators produce unitless ("1") values. ``unit:``
labels unitless values and converts values that already have one (a
gesture in g with ``unit: m/s^2`` is converted). In a sum or concat,
unitless parts take the unit of the others; parts with different units of
the same kind are converted to the first one's. ``gain``/``offset`` apply
last, in the part's final unit.

Randomness: each node draws from its own PCG64 stream derived from the seed
and the node's position in the tree (SeedSequence spawn keys), so editing
one part does not change the noise of another, and where the spec sits in
its file does not matter.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NoReturn

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from .. import _yaml
from ..errors import ConfigError, Problem
from . import _detmath as dm
from . import generators as _generators  # noqa: F401  (registers the generators)
from . import gesture as _gesture  # noqa: F401
from . import speech as _speech  # noqa: F401
from . import vibration as _vibration  # noqa: F401
from .formats import load
from .schema import GENERATORS, Positive, SpecBase
from .stream import Stream, StreamError, default_channels
from .units import DIMENSIONLESS, canonical_unit, unit_family

__all__ = ["StreamSpec", "parse_spec", "generate", "known_generators"]

KeyPath = tuple[str | int, ...]


class FileSpec(SpecBase):
    """A recording (.csv .wav .npy .resd), resampled to the stream's rate."""

    type: Literal["file"]
    path: str = Field(min_length=1, description="Relative to the spec's YAML file (or base_dir).")
    columns: list[str | int] | None = Field(default=None, description="Channels to keep, in order.")
    rate_hz: Positive | None = Field(default=None, description="Sample rate, for files without one.")
    channel: int | None = Field(default=None, ge=0, description="RESD channel id.")
    loop: bool = Field(default=False, description="Repeat the recording; else hold its last sample.")


class SumSpec(SpecBase):
    sum: list[Any] = Field(min_length=1)


class ConcatSpec(SpecBase):
    concat: list[Any] = Field(min_length=1)


_STRUCTURE = {"sum": SumSpec, "concat": ConcatSpec}


def known_generators() -> list[str]:
    """Names accepted by ``type:`` (plus the ``sum:``/``concat:`` keys)."""
    return sorted([*GENERATORS, "file"])


# --------------------------------------------------------------------------- where errors point


@dataclass(frozen=True)
class _Where:
    doc: _yaml.YamlDocument | None
    at: KeyPath
    error: type[ConfigError]

    @property
    def file(self) -> str:
        return self.doc.file if self.doc is not None else "<spec>"

    def problem(self, path: KeyPath, message: str) -> Problem:
        full = tuple(self.at) + tuple(path)
        line = self.doc.line(full) if self.doc is not None else None
        return Problem(self.file, line, _yaml.dotted_path(full), message)

    def raise_(self, problems: list[Problem], hint: str | None = None) -> NoReturn:
        problems = sorted(problems, key=lambda p: p.line or 0)
        what = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        where = f"{self.file}: " if self.doc is not None else ""
        raise self.error(f"{where}invalid stream spec: {what}", problems, hint=hint)

    def fail(self, path: KeyPath, message: str, hint: str | None = None) -> NoReturn:
        self.raise_([self.problem(path, message)], hint)


@dataclass(frozen=True)
class _Node:
    kind: str                      # a generator name, "file", "sum" or "concat"
    model: Any                     # its validated SpecBase subclass
    path: KeyPath                  # from the spec's root: for errors and seeds
    children: tuple["_Node", ...] = ()
    n_channels: int | None = None  # generators: known after validation
    names: tuple[str, ...] | None = None
    file: Path | None = None


@dataclass(frozen=True)
class StreamSpec:
    """A validated spec, ready to render any number of times."""

    root: _Node
    where: _Where = field(repr=False)
    base_dir: Path = field(repr=False)

    def natural_duration_s(self, *, seed: int, rate_hz: float) -> float | None:
        """The spec's own length (None for e.g. a bare sine: it needs a duration)."""
        return _natural(self.root, _Ctx(_seed(seed), _rate(rate_hz), self.where))

    def generate(self, *, seed: int, rate_hz: float, duration_s: float | None = None,
                 unit: str | None = None) -> Stream:
        ctx = _Ctx(_seed(seed), _rate(rate_hz), self.where)
        if duration_s is not None:
            duration_s = _rate(duration_s, "duration_s")
        else:
            duration_s = _natural(self.root, ctx)
            if duration_s is None:
                self.where.fail(self.root.path, "the stream's length is unknown: give duration_s "
                                "(in the spec, or to generate())")
        n = _samples(duration_s, ctx.rate)
        if n < 1:
            raise StreamError(f"duration {duration_s} s is less than one sample at {ctx.rate:g} Hz")
        stream = _render(self.root, n, ctx)
        if unit is not None:
            try:
                unit = canonical_unit(unit)
            except ValueError as e:
                raise StreamError(str(e)) from None
            stream = _adopt(stream, unit)
        return stream


def parse_spec(spec: Any, *, doc: _yaml.YamlDocument | None = None, at: KeyPath = (),
               base_dir: str | Path | None = None,
               error: type[ConfigError] = ConfigError) -> StreamSpec:
    """Validate ``spec``; raise ``error`` listing every problem.

    ``doc``/``at``: the YAML document (tinysim._yaml) the spec came from and
    its key path in it, so problems point at file:line. ``base_dir``: where
    ``file`` paths are relative to (default: the YAML file's directory, else
    the current directory).
    """
    if isinstance(spec, StreamSpec):
        return spec
    where = _Where(doc, tuple(at), error)
    if base_dir is None:
        base_dir = Path(doc.file).parent if doc is not None else Path(".")
    problems: list[Problem] = []
    root = _parse(spec, (), where, problems, Path(base_dir))
    if problems or root is None:
        where.raise_(problems)
    return StreamSpec(root, where, Path(base_dir))


def generate(spec: Any, *, seed: int, rate_hz: float, duration_s: float | None = None,
             unit: str | None = None, doc: _yaml.YamlDocument | None = None, at: KeyPath = (),
             base_dir: str | Path | None = None, error: type[ConfigError] = ConfigError) -> Stream:
    """Render a spec at ``rate_hz``: same spec + seed, same bytes, on any machine.

    ``duration_s`` overrides the spec's own length. ``unit``: the unit the
    consumer needs; unitless streams take it, others are converted to it.
    The result starts at t0_s = 0.
    """
    return parse_spec(spec, doc=doc, at=at, base_dir=base_dir, error=error).generate(
        seed=seed, rate_hz=rate_hz, duration_s=duration_s, unit=unit)


def _seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise StreamError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _rate(value: Any, what: str = "rate_hz") -> float:
    if (isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
            or not math.isfinite(value) or value <= 0):
        raise StreamError(f"{what} must be a positive number, got {value!r}")
    return float(value)


def _samples(seconds: float, rate: float) -> int:
    return int(math.floor(seconds * rate + 0.5))


# --------------------------------------------------------------------------- validation


def _parse(value: Any, path: KeyPath, where: _Where, problems: list[Problem],
           base_dir: Path) -> _Node | None:
    if isinstance(value, str):
        try:
            value = parse_shorthand(value)
        except _ShorthandError as e:
            problems.append(where.problem(path, str(e)))
            return None
    if not isinstance(value, dict):
        problems.append(where.problem(path, "expected a stream spec: a mapping with type: "
                                            "(e.g. {type: sine, freq_hz: 2}) or a string like "
                                            f"'sine(freq=2)', got {_type_name(value)}"))
        return None
    kinds = [k for k in ("type", "sum", "concat") if k in value]
    if not kinds:
        problems.append(where.problem(path, "missing 'type:' (a generator: "
                                            f"{', '.join(known_generators())}), or 'sum:' / "
                                            "'concat:' with a list of specs"))
        return None
    if len(kinds) > 1:
        problems.append(where.problem(path + (kinds[1],), f"a spec has one of type, sum and concat; "
                                                          f"this one has {' and '.join(kinds)}"))
        return None
    kind = kinds[0]
    if kind in _STRUCTURE:
        model = _validate(_STRUCTURE[kind], value, path, where, problems)
        items = value[kind]
        children = []
        if isinstance(items, list):
            for i, item in enumerate(items):
                children.append(_parse(item, path + (kind, i), where, problems, base_dir))
        if model is None or any(c is None for c in children):
            return None
        return _Node(kind, model, path, tuple(children))
    name = value["type"]
    if name == "file":
        model = _validate(FileSpec, value, path, where, problems)
        if model is None:
            return None
        target = base_dir / model.path
        if not target.is_file():
            problems.append(where.problem(path + ("path",), f"file not found: {target}"))
            return None
        return _Node("file", model, path, file=target)
    if not isinstance(name, str) or name not in GENERATORS:
        problems.append(where.problem(path + ("type",), _unknown_generator(name)))
        return None
    gen = GENERATORS[name]
    model = _validate(gen.model, value, path, where, problems)
    if model is None:
        return None
    return _leaf(gen, model, path, where, problems)


def _unknown_generator(name: Any) -> str:
    known = known_generators()
    if name in _STRUCTURE:
        return f"'{name}' is not a type: write '{name}: [spec, spec, ...]' instead of 'type: {name}'"
    if not isinstance(name, str):
        return f"expected a generator name, got {_type_name(name)}; known generators: {', '.join(known)}"
    close = difflib.get_close_matches(name, known + list(_STRUCTURE), n=1)
    did = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown generator '{name}'{did}; known generators: {', '.join(known)} (and sum:, concat:)"


def _leaf(gen, model, path, where, problems) -> _Node | None:
    counts = {f: len(getattr(model, f)) for f in gen.per_channel_fields + ["gain", "offset"]}
    if isinstance(model.channels, int):
        n = model.channels
    elif model.channels is not None:
        n = len(model.channels)
    elif gen.fixed_channels:
        n = gen.fixed_channels
    else:
        n = max(counts.values(), default=1)
    bad = False
    if gen.fixed_channels and n != gen.fixed_channels:
        problems.append(where.problem(path + ("channels",),
                                      f"{gen.name} has {gen.fixed_channels} channels (x, y, z); "
                                      "give 3 names or leave channels out"))
        bad = True
    for f, count in counts.items():
        if count not in (1, n):
            key = gen.model.model_fields[f].alias or f
            problems.append(where.problem(path + (key,), f"{count} values for {n} channels: give one "
                                                         f"value, or one per channel"))
            bad = True
    if gen.check is not None:
        for loc, msg in gen.check(model):
            problems.append(where.problem(path + tuple(loc), msg))
            bad = True
    names = model.channels if isinstance(model.channels, tuple) else None
    return None if bad else _Node(gen.name, model, path, n_channels=n, names=names)


def _validate(model_cls: type[BaseModel], value: dict, path: KeyPath, where: _Where,
              problems: list[Problem]) -> BaseModel | None:
    try:
        return model_cls.model_validate(value)
    except ValidationError as e:
        for err in e.errors(include_url=False):
            loc = tuple(err["loc"])
            problems.append(where.problem(path + loc, _message(model_cls, err)))
        return None


def _message(model_cls: type[BaseModel], err: dict) -> str:
    loc, typ, value = tuple(err["loc"]), err["type"], err.get("input")
    if typ == "extra_forbidden":
        allowed = _allowed_keys(model_cls, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        if close:
            return f"unknown key (did you mean '{close[0]}'?)"
        return f"unknown key; allowed here: {', '.join(allowed)}"
    if typ == "missing":
        return "required key is missing"
    if typ == "tinysim_value":
        return err["msg"]
    return f"{err['msg']}, got {_short(value)}"


def _allowed_keys(model_cls: type[BaseModel], loc: KeyPath) -> list[str]:
    cls: Any = model_cls
    for part in loc:
        info = cls.model_fields.get(part) if isinstance(part, str) and hasattr(cls, "model_fields") else None
        ann = getattr(info, "annotation", None)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            cls = ann
    return [f.alias or name for name, f in cls.model_fields.items()]


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "nothing"}.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --------------------------------------------------------------------------- shorthand

_ALIASES = {"freq": "freq_hz", "amp": "amplitude", "phase": "phase_deg", "f0": "f0_hz",
            "f1": "f1_hz", "at": "at_s", "width": "width_s", "gap": "gap_s", "lead": "lead_s",
            "duration": "duration_s", "dur": "duration_s"}
_TOKEN = re.compile(r"""\s*(?:
    (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<name>[A-Za-z_%][A-Za-z0-9_/^.%]*)
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<op>[(),=\[\]+])
)""", re.VERBOSE)


class _ShorthandError(ValueError):
    pass


def parse_shorthand(text: str) -> dict:
    """``"sine(freq=2, amp=1) + white_noise(std=0.1)"`` -> the equivalent mapping."""
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _ShorthandError(f"cannot read {text!r} at column {pos + 1}")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind), m.start(kind) + 1))
        pos = m.end()
    tokens.append(("end", "", len(text) + 1))
    i = 0

    def fail(msg: str) -> NoReturn:
        raise _ShorthandError(f"in shorthand {text!r}: {msg} at column {tokens[i][2]}")

    def take(kind: str, value: str | None = None) -> str:
        nonlocal i
        k, v, _ = tokens[i]
        if k != kind or (value is not None and v != value):
            fail(f"expected {value or kind!r}, found {v or 'the end'!r}")
        i += 1
        return v

    def peek(value: str) -> bool:
        return tokens[i][0] == "op" and tokens[i][1] == value

    def scalar() -> Any:
        nonlocal i
        k, v, _ = tokens[i]
        if k == "num":
            i += 1
            return int(v) if re.fullmatch(r"[-+]?\d+", v) else float(v)
        if k == "str":
            i += 1
            return v[1:-1]
        if k == "name":
            i += 1
            return {"true": True, "false": False}.get(v, v)
        if peek("["):
            i += 1
            items = []
            while not peek("]"):
                items.append(scalar())
                if not peek("]") and not peek(","):
                    fail(f"expected ',' or ']', found {tokens[i][1] or 'the end'!r}")
                if peek(","):
                    take("op", ",")
            i += 1
            return items
        fail(f"expected a value, found {v or 'the end'!r}")

    def call() -> dict:
        spec: dict[str, Any] = {"type": take("name")}
        if peek("("):
            take("op", "(")
            while not peek(")"):
                key = take("name")
                key = _ALIASES.get(key, key)
                take("op", "=")
                if key in spec:
                    fail(f"{key} given twice")
                spec[key] = scalar()
                if not peek(")") and not peek(","):
                    fail(f"expected ',' or ')', found {tokens[i][1] or 'the end'!r}")
                if peek(","):
                    take("op", ",")
            take("op", ")")
        return spec

    parts = [call()]
    while peek("+"):
        take("op", "+")
        parts.append(call())
    take("end")
    return parts[0] if len(parts) == 1 else {"sum": parts}


# --------------------------------------------------------------------------- rendering


@dataclass
class _Ctx:
    seed: int
    rate: float
    where: _Where
    files: dict = field(default_factory=dict)


def _rng(node: _Node, ctx: _Ctx):
    # Spawn key from the node's place in the tree: ("sum", 1, "concat", 0) -> (1, 1, 2, 0).
    key = tuple({"sum": 1, "concat": 2}[p] if isinstance(p, str) else p for p in node.path)
    return lambda purpose: dm.rng_for(ctx.seed, key + (purpose,))


def _natural(node: _Node, ctx: _Ctx) -> float | None:
    m = node.model
    if m.duration_s is not None:
        return m.duration_s
    if node.kind == "concat":
        parts = [_natural(c, ctx) for c in node.children]
        return None if any(p is None for p in parts) else math.fsum(parts)
    if node.kind == "sum":
        parts = [p for c in node.children if (p := _natural(c, ctx)) is not None]
        return max(parts) if parts else None
    if node.kind == "file":
        return _file(node, ctx).duration_s
    gen = GENERATORS[node.kind]
    return gen.natural(m, ctx.rate, _rng(node, ctx)) if gen.natural else None


def _render(node: _Node, n: int, ctx: _Ctx) -> Stream:
    """Exactly n samples of the node, starting at t = 0."""
    if node.model.duration_s is not None:
        return _fit(_body(node, _samples(node.model.duration_s, ctx.rate), ctx), n)
    return _body(node, n, ctx)


def _fit(s: Stream, n: int) -> Stream:
    """Truncate, or pad with zeros: a part contributes nothing after its duration."""
    if s.n_samples >= n:
        end = n / s.rate_hz
        labels = tuple(lb.span(lb.start_s, min(lb.end_s, end)) for lb in s.labels
                       if lb.start_s < end)
        return s.replace(data=s.data[:n], labels=labels)
    pad = np.zeros((n - s.n_samples, s.n_channels))
    return s.replace(data=np.concatenate([s.data, pad]))


def _body(node: _Node, n: int, ctx: _Ctx) -> Stream:
    m = node.model
    if node.kind == "sum":
        parts = [_render(c, n, ctx) for c in node.children]
        parts, unit, nch, names = _agree(node, parts, ctx)
        data = np.zeros((n, nch))
        for p in parts:
            data = data + p.data
        labels = sorted((lb for p in parts for lb in p.labels), key=lambda lb: lb.start_s)
        s = Stream(data, ctx.rate, names, unit, labels=tuple(labels))
    elif node.kind == "concat":
        s = _concat(node, n, ctx)
    elif node.kind == "file":
        s = _file(node, ctx)
        if s.n_samples < n:
            if node.model.loop:
                s = s.replace(data=np.resize(s.data, (n, s.n_channels)))
            else:  # hold the last sample
                s = s.replace(data=np.concatenate([s.data, np.repeat(s.data[-1:], n - s.n_samples, 0)]))
        s = _fit(s, n)
    else:
        gen = GENERATORS[node.kind]
        data, unit, labels = gen.render(m, n, ctx.rate, node.n_channels, _rng(node, ctx))
        names = node.names or default_channels(node.n_channels, m.unit or unit)
        s = Stream(data, ctx.rate, names, unit, labels=labels)
    return _finish(node, s, ctx)


def _agree(node: _Node, parts: list[Stream], ctx: _Ctx):
    """Bring parts to one unit and channel count (unitless parts adopt; 1 channel broadcasts)."""
    kind = node.kind
    unit = next((p.unit for p in parts if p.unit != DIMENSIONLESS), DIMENSIONLESS)
    nch = max(p.n_channels for p in parts)
    names = next(p.channels for p in parts if p.n_channels == nch)
    out = []
    for i, (child, p) in enumerate(zip(node.children, parts)):
        if p.unit == DIMENSIONLESS:
            p = p.replace(unit=unit)
        elif unit_family(p.unit) != unit_family(unit):
            ctx.where.fail(child.path, f"is in {p.unit} ({unit_family(p.unit)}), the rest of this "
                                      f"{kind} in {unit} ({unit_family(unit)})")
        else:
            p = p.to_unit(unit)
        if p.n_channels != nch:
            if p.n_channels != 1:
                ctx.where.fail(child.path, f"has {p.n_channels} channels, another part of this {kind} "
                                          f"has {nch}; parts need the same count (or 1, shared)")
            p = p.replace(data=np.repeat(p.data, nch, axis=1), channels=names)
        out.append(p)
    return out, unit, nch, names


def _concat(node: _Node, n: int, ctx: _Ctx) -> Stream:
    naturals = [_natural(c, ctx) for c in node.children]
    open_ = [i for i, d in enumerate(naturals) if d is None]
    if len(open_) > 1:
        ctx.where.fail(node.children[open_[1]].path,
                       "has no length: in a concat only one part may omit duration_s (it fills the "
                       "rest); give this part a duration_s")
    fixed = sum(_samples(d, ctx.rate) for d in naturals if d is not None)
    lengths = [_samples(d, ctx.rate) if d is not None else max(0, n - fixed) for d in naturals]
    kept = [(c, k) for c, k in zip(node.children, lengths) if k > 0]
    if not kept:
        return Stream(np.zeros((n, 1)), ctx.rate, (), DIMENSIONLESS)
    parts = [_render(c, k, ctx) for c, k in kept]
    sub = _Node(node.kind, node.model, node.path, tuple(c for c, _ in kept))
    parts, unit, nch, names = _agree(sub, parts, ctx)
    labels, t = [], 0.0
    for p in parts:
        labels += [lb.span(lb.start_s + t, lb.end_s + t) for lb in p.labels]
        t += p.n_samples / ctx.rate
    s = Stream(np.concatenate([p.data for p in parts]), ctx.rate, names, unit, labels=tuple(labels))
    return _fit(s, n)


def _file(node: _Node, ctx: _Ctx) -> Stream:
    """The recording at the stream's rate, starting at t = 0 (loaded once per render)."""
    if node.path not in ctx.files:
        m = node.model
        try:
            s = load(node.file, rate_hz=m.rate_hz, unit=m.unit, columns=m.columns, channel=m.channel)
            s = s.resample(ctx.rate)
        except StreamError as e:
            ctx.where.fail(node.path + ("path",), e.message, e.hint)
        shift = s.t0_s
        ctx.files[node.path] = s.replace(
            t0_s=0.0, labels=tuple(lb.span(lb.start_s - shift, lb.end_s - shift) for lb in s.labels))
    return ctx.files[node.path]


def _finish(node: _Node, s: Stream, ctx: _Ctx) -> Stream:
    m, where = node.model, ctx.where
    if m.unit is not None and node.kind != "file":
        try:
            s = _adopt(s, m.unit)
        except StreamError as e:
            where.fail(node.path + ("unit",), e.message)
    if isinstance(m.channels, int) and m.channels != s.n_channels:
        where.fail(node.path + ("channels",), f"{m.channels} channels asked, the parts have {s.n_channels}")
    if isinstance(m.channels, tuple):
        if len(m.channels) != s.n_channels:
            where.fail(node.path + ("channels",), f"{len(m.channels)} names for {s.n_channels} channels")
        s = s.replace(channels=m.channels)
    data = s.data
    for key, values in (("gain", m.gain), ("offset", m.offset)):
        if values == ((1.0,) if key == "gain" else (0.0,)):
            continue  # identity: keep the samples' bits untouched
        if len(values) not in (1, s.n_channels):
            where.fail(node.path + (key,), f"{len(values)} values for {s.n_channels} channels: "
                                           "give one value, or one per channel")
        v = np.asarray(values)[None, :]
        data = data * v if key == "gain" else data + v
    return s if data is s.data else s.replace(data=data)


def _adopt(s: Stream, unit: str) -> Stream:
    """Label a unitless stream with ``unit``, or convert one that has a unit."""
    if s.unit == DIMENSIONLESS:
        names = s.channels
        if names == default_channels(s.n_channels, DIMENSIONLESS):
            names = default_channels(s.n_channels, unit)  # e.g. "pcm" for a mono microphone
        return s.replace(unit=unit, channels=names)
    return s.to_unit(unit)
