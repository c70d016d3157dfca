"""What a sweep runs: one task per seed x combination of varied scenario fields."""
from __future__ import annotations

import copy
import itertools
import re
import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from ..errors import ScenarioError, TinysimError


class SweepError(TinysimError):
    """A sweep cannot start: bad --seeds/--vary, or a cluster that cannot be reached."""


MAX_RUNS = 1_000_000
_SEG = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$")


@dataclass(frozen=True)
class SweepTask:
    """One run: picklable, so it can go to a local process or a Dask worker."""
    index: int
    scenario: str                       # absolute path: workers may run in another directory
    seed: int
    vary: tuple[tuple[str, Any], ...]   # (PATH, value) in --vary order


@dataclass(frozen=True)
class SweepPlan:
    scenario: str                       # as the user gave it (for reproduce commands)
    seeds: tuple[int, ...]
    vary: tuple[tuple[str, tuple[Any, ...]], ...]
    tasks: tuple[SweepTask, ...]


def parse_seeds(text: str) -> tuple[int, ...]:
    """'1-1000', '7', '1,5,9-12' -> seeds in the order given, without repeats."""
    out: dict[int, None] = {}
    for part in str(text).split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if not m:
            raise SweepError(f"--seeds {text!r}: {part!r} is not a seed or a range",
                             hint="write e.g. --seeds 1-1000, --seeds 7 or --seeds 1,5,9-12")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo:
            raise SweepError(f"--seeds {text!r}: range {part} runs backwards", hint=f"write {hi}-{lo}")
        if hi - lo + 1 + len(out) > MAX_RUNS:
            raise SweepError(f"--seeds {text!r}: more than {MAX_RUNS:,} seeds")
        out.update(dict.fromkeys(range(lo, hi + 1)))
    return tuple(out)


def _split_values(text: str) -> list[str]:
    """Split on commas outside brackets/braces, so list values like [0,0,1] stay whole."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts]


def parse_vary(items: list[str]) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """['streams[0].generate.speed=0.8,1.0'] -> (('streams[0].generate.speed', (0.8, 1.0)),)."""
    out = []
    for item in items or ():
        path, eq, values = item.partition("=")
        path = path.strip()
        if not eq or not path or not values.strip():
            raise SweepError(f"--vary {item!r}: expected PATH=V1,V2,...",
                             hint="e.g. --vary streams[0].generate.speed=0.8,1.0,1.2")
        _path_keys(path, item)
        vals = []
        for v in _split_values(values):
            if v == "":
                raise SweepError(f"--vary {item!r}: an empty value", hint="separate values with single commas")
            try:
                vals.append(yaml.safe_load(v))
            except yaml.YAMLError:
                vals.append(v)
        if any(p == path for p, _ in out):
            raise SweepError(f"--vary {path} is given twice", hint="list all its values in one --vary")
        out.append((path, tuple(vals)))
    return tuple(out)


def _path_keys(path: str, item: str) -> list[str | int]:
    keys: list[str | int] = []
    for seg in path.split("."):
        m = _SEG.match(seg)
        if not m:
            raise SweepError(f"--vary {item!r}: cannot read {seg!r} in {path!r}",
                             hint="a path is keys joined by dots, with [N] for list items: "
                                  "streams[0].generate.noise")
        keys.append(m.group(1))
        keys += [int(i) for i in re.findall(r"\d+", m.group(2))]
    if keys[0] == "seed":
        raise SweepError(f"--vary {item!r}: the seed is swept by --seeds")
    return keys


_SHORTHAND = "a generator given as a shorthand string cannot be varied: write it as a mapping in the scenario"


def set_path(data: dict, path: str, value: Any) -> None:
    """Set a dotted scenario path in raw scenario data; missing mappings are created."""
    keys = _path_keys(path, path)
    node: Any = data
    for i, k in enumerate(keys[:-1]):
        nxt = keys[i + 1]
        if isinstance(k, int):
            if not isinstance(node, list) or k >= len(node):
                raise SweepError(f"--vary {path}: {_where(keys, i)} has no item {k}")
            node = node[k]
            continue
        if not isinstance(node, dict):
            raise SweepError(f"--vary {path}: {_where(keys, i)} is not a mapping", hint=_SHORTHAND)
        if k not in node or node[k] is None:
            if isinstance(nxt, int):
                raise SweepError(f"--vary {path}: the scenario has no {_where(keys, i + 1)}")
            node[k] = {}
        node = node[k]
    last = keys[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise SweepError(f"--vary {path}: {_where(keys, len(keys) - 1)} has no item {last}")
    elif not isinstance(node, dict):
        raise SweepError(f"--vary {path}: {_where(keys, len(keys) - 1)} is not a mapping", hint=_SHORTHAND)
    node[last] = value


def _where(keys, n) -> str:
    text = ""
    for k in keys[:n]:
        text += f"[{k}]" if isinstance(k, int) else (f".{k}" if text else k)
    return text or "the scenario"


def plan_sweep(scenario: str | Path, seeds: str | tuple[int, ...], vary: list[str] | tuple = ()) -> SweepPlan:
    """Validate everything a run would trip over (file, each varied value) before any run starts."""
    from ..scenario import load_scenario
    seeds = parse_seeds(seeds) if isinstance(seeds, str) else tuple(seeds)
    if not seeds:
        raise SweepError("no seeds to run", hint="give --seeds, e.g. --seeds 1-100")
    axes = parse_vary(list(vary)) if vary and isinstance(vary[0], str) else tuple(vary)
    base = load_scenario(scenario)
    combos = list(itertools.product(*[[(p, v) for v in vals] for p, vals in axes]))
    if len(combos) * len(seeds) > MAX_RUNS:
        raise SweepError(f"{len(combos) * len(seeds):,} runs is more than {MAX_RUNS:,}")
    for combo in combos:   # each combination once, with the first seed: bad values fail here, not in every run
        variant(base, seeds[0], combo, check_streams=True)
    path = str(Path(scenario).resolve())
    tasks = tuple(SweepTask(i, path, s, tuple(c))
                  for i, (c, s) in enumerate(itertools.product(combos, seeds)))
    return SweepPlan(str(scenario), seeds, axes, tasks)


def variant(base, seed: int, combo, check_streams: bool = False):
    """The loaded scenario with its seed and varied fields replaced (a tinysim.scenario.Scenario)."""
    from ..platform import _problem_from_pydantic
    from ..scenario import ScenarioSpec
    from pydantic import ValidationError
    data = copy.deepcopy(base.doc.data) or {}
    data["seed"] = seed
    for path, value in combo:
        set_path(data, path, value)
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as e:
        problems = [_problem_from_pydantic(base.doc, err, ScenarioSpec) for err in e.errors(include_url=False)]
        raise SweepError(f"{base.path}: with {_combo_text(combo)}: " + "; ".join(
            f"{p.key}: {p.message}" for p in problems)) from None
    sc = replace(base, spec=spec)
    if check_streams:
        from .. import streams as st
        for i, s in enumerate(spec.streams):
            if s.generate is not None:
                try:
                    st.parse_spec(s.generate, doc=base.doc, at=("streams", i, "generate"),
                                  base_dir=base.path.parent, error=ScenarioError)
                except TinysimError as e:
                    raise SweepError(f"with {_combo_text(combo)}: {e}") from None
    return sc


def _combo_text(combo) -> str:
    return ", ".join(f"{p}={_value_text(v)}" for p, v in combo) or "no varied fields"


def _value_text(v: Any) -> str:
    if isinstance(v, str):
        return v
    return yaml.safe_dump(v, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()


def reproduce_command(scenario: str, seed: int, combo) -> str:
    """The one command that replays a run with its detections and ground truth."""
    parts = ["tinysim", "sweep", scenario, "--seeds", str(seed)]
    for p, v in combo:
        parts += ["--vary", f"{p}={_value_text(v)}"]
    return " ".join(shlex.quote(p) for p in parts) + " --verbose"
