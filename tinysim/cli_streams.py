"""`tinysim run ... --stream SENSOR[:CHANNEL]=SPEC --duration T --save-scenario out.yaml`.

The options become a scenario (the same StreamSpec entries a scenario file holds), and the run
is that scenario's run: so `--save-scenario out.yaml` followed by `tinysim run out.yaml` gives
the same report. SPEC is a file (.csv .wav .npy .resd), a short generator form
(``gesture:ring,wing``, ``vibration:rpm=2950,fault=bearing``, ``sine:freq=5``), a stream
shorthand (``sine(freq=2) + white_noise(std=0.1)``) or a YAML mapping (``{type: sine, freq_hz: 2}``).
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from .errors import TinysimError

__all__ = ["StreamOptionError", "parse_stream_option", "short_spec", "scenario_data", "run_with_streams"]

_FILES = (".csv", ".wav", ".npy", ".resd")
# the first bare value of a short form fills this key: gesture:ring,wing  sine:5  vibration:2950
_POSITIONAL = {"gesture": "gesture", "sine": "freq_hz", "square": "freq_hz", "vibration": "rpm",
               "constant": "value", "white_noise": "std"}
# vibration:fault=bearing -> the defect at the severity the shipped fault scenarios use
_FAULTS = {"bearing": ("bearing_fault", 0.12), "imbalance": ("imbalance", 0.3),
           "misalignment": ("misalignment", 0.1)}
_OPTION = re.compile(r"^(?P<sensor>[A-Za-z_][\w-]*)(?::(?P<channel>[A-Za-z_]\w*))?=(?P<spec>.+)$", re.S)


class StreamOptionError(TinysimError):
    """A --stream option that cannot be read."""


def _value(text: str) -> Any:
    if "/" in text:                                  # offset=0/0/1 -> [0, 0, 1]
        return [_value(t) for t in text.split("/")]
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return {"true": True, "false": False}.get(text.lower(), text)


def short_spec(text: str) -> dict | str:
    """``gesture:ring,wing`` -> {type: gesture, gesture: [ring, wing]}; other forms pass through."""
    from .streams.spec import _ALIASES
    text = text.strip()
    if text.startswith("{") or "(" in text:
        return yaml.safe_load(text) if text.startswith("{") else text
    name, _, rest = text.partition(":")
    spec: dict[str, Any] = {"type": name}
    positional = []
    for item in filter(None, (s.strip() for s in rest.split(","))):
        if "=" not in item:
            positional.append(_value(item))
            continue
        key, _, val = item.partition("=")
        key = key.strip()
        if name == "vibration" and key == "fault":
            if val not in _FAULTS:
                raise StreamOptionError(f"--stream {text!r}: unknown fault {val!r}",
                                        hint=f"one of {', '.join(_FAULTS)}, or give its severity, "
                                        "e.g. bearing_fault=0.2")
            k, v = _FAULTS[val]
            spec[k] = v
            continue
        spec[_ALIASES.get(key, key)] = _value(val.strip())
    if positional:
        from .streams import known_generators
        key = _POSITIONAL.get(name)
        if key is None and name not in known_generators():
            return spec             # validation names the unknown generator (and the closest one)
        if key is None:
            raise StreamOptionError(f"--stream {text!r}: {name} takes key=value settings only",
                                    hint=f"e.g. {name}:freq=5 (see `tinysim scenario schema` and tinysim.streams)")
        spec[key] = positional if (len(positional) > 1 or key == "gesture") else positional[0]
    return spec


def parse_stream_option(text: str) -> dict:
    """``imu:gyro=gesture:ring`` -> a scenario ``streams:`` entry (plain data)."""
    m = _OPTION.match(text.strip())
    if not m:
        raise StreamOptionError(f"--stream {text!r} is not SENSOR[:CHANNEL]=SPEC",
                                hint="e.g. --stream imu=gesture:ring,wing or --stream mic=speech.wav "
                                "or --stream accel:accel=rec.csv")
    sensor, channel, spec = m["sensor"], m["channel"], m["spec"].strip()
    channel = channel or ("pcm" if sensor == "mic" else "accel")
    entry: dict[str, Any] = {"sensor": sensor, "channel": channel}
    if Path(spec).suffix.lower() in _FILES:
        entry["file"] = str(Path(spec).resolve())
        if not Path(spec).is_file():
            raise StreamOptionError(f"--stream {text!r}: file not found: {spec}",
                                    hint="give the path of a .csv, .wav, .npy or .resd recording")
        return entry
    gen = short_spec(spec)
    if isinstance(gen, dict):
        rate = gen.pop("rate_hz", gen.pop("rate", None))
        if rate is not None:
            entry["rate_hz"] = float(rate)
    entry["generate"] = gen
    return entry


def scenario_data(args, cwd: Path) -> dict:
    """The scenario the run options describe; paths relative to ``cwd`` (the file's folder)."""
    def rel(p: str | None) -> str | None:
        if p is None:
            return None
        try:
            return os.path.relpath(Path(p).resolve(), cwd)
        except ValueError:                     # another drive (Windows)
            return str(Path(p).resolve())
    streams = [parse_stream_option(s) for s in (args.stream or [])]
    for s in streams:
        if "file" in s:
            s["file"] = rel(s["file"])
    fw = args.firmware
    name = Path(fw).stem if fw else Path(args.model).stem
    data: dict[str, Any] = {"name": name, "platform": args.platform}
    if fw:
        data["firmware"] = rel(fw)
    if args.model:
        data["model"] = rel(args.model)
    if args.input:
        data["input"] = rel(args.input)
    data["seed"] = args.seed
    duration = args.duration if args.duration is not None else args.max_time
    data["duration"] = f"{duration:g}s" if duration is not None else "1s"
    if args.wall_limit is not None:
        data["wall_limit"] = f"{args.wall_limit:g}s"
    if streams:
        data["streams"] = streams
    data["expect"] = {}
    return data


def _check(data: dict, where: str) -> None:
    """Validate the stream entries now, so a bad --stream is named as such."""
    from . import streams as st
    from .scenario import StreamSpec
    for i, s in enumerate(data.get("streams", [])):
        StreamSpec.model_validate(s)
        if "generate" in s:
            try:
                st.parse_spec(s["generate"])
            except TinysimError as e:
                raise StreamOptionError(f"--stream {where[i]}: {e.message}", hint=e.hint) from None


def run_with_streams(args, run_scenario_file) -> int:
    """Write the scenario (to --save-scenario, else a temporary file) and run it as one."""
    if args.platform is None or (args.firmware is None and args.model is None):
        raise StreamOptionError("--stream, --duration and --save-scenario go with --platform and "
                                "--firmware (or --model)",
                                hint="or give them in a scenario file instead")
    target = Path(args.save_scenario) if args.save_scenario else None
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        return _write_and_run(args, target, run_scenario_file, announce=True)
    # Unsaved, the scenario still sits in the working directory, so its paths (and the report's)
    # are the ones a saved copy there would have: same report, byte for byte, but the file name.
    try:
        fd, name = tempfile.mkstemp(prefix=".tinysim-run-", suffix=".yaml", dir=".")
    except OSError:
        fd, name = tempfile.mkstemp(prefix="tinysim-run-", suffix=".yaml")
    os.close(fd)
    try:
        return _write_and_run(args, Path(os.path.relpath(name)), run_scenario_file, announce=False)
    finally:
        os.unlink(name)


def _write_and_run(args, path: Path, run_scenario_file, *, announce: bool) -> int:
    from pydantic import ValidationError
    data = scenario_data(args, path.resolve().parent)
    try:
        _check(data, args.stream or [])
    except ValidationError as e:
        raise StreamOptionError(f"--stream: {e.errors()[0]['msg']}") from None
    text = "# written by tinysim run --save-scenario: add what must happen under expect:\n"
    text += yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)
    path.write_text(text)
    if announce:
        print(f"tinysim: wrote {path}", file=sys.stderr, flush=True)
    args.scenario = str(path)
    return run_scenario_file(args)
