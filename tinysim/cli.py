"""Command line: a thin layer over tinysim.api. Errors print as messages, not tracebacks
(use --debug for the traceback)."""
from __future__ import annotations

import argparse
import os
import re
import sys

# One emulation per process (per worker with -j): numpy's OpenBLAS would start a thread per
# core that spins after each call, taking a core from the emulator on small machines. A
# user's own setting wins. Set before anything imports numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from . import __version__
from .errors import TinysimError


class UsageError(TinysimError):
    """Options that do not fit together."""
from .report import EXIT_USAGE

_DUR = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)\s*(s|ms|us|µs|ns|min)?\s*$")
_SCALE = {None: 1.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "min": 60.0}


def duration(text: str) -> float:
    """'2s', '250ms', '1.5' (seconds), '10us', '1min' -> seconds."""
    m = _DUR.match(text)
    if not m:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (try 2s, 250ms, 10us)")
    return float(m.group(1)) * _SCALE[m.group(2)]


class _Profiling:
    """--profile: starts the engine's call profile before the first instruction, then writes
    the speedscope JSON and collapsed stacks and gives the report's top-N."""

    def __init__(self, out):
        self.out = out
        self.eng = None

    def prepare(self, eng):
        if not eng.capabilities.call_profile:
            raise UsageError(f"--profile: the {eng.name} engine cannot profile calls",
                             hint="run with --engine builtin")
        eng.start_profile()
        self.eng = eng

    def finish(self) -> dict | None:
        if self.out is None or self.eng is None:
            return None
        from . import profile
        p = profile.build(self.eng.call_profile(), self.eng.firmware)
        try:
            files = profile.write(p, self.out, self.eng.platform.clock_hz)
        except OSError as e:
            raise UsageError(f"--profile: cannot write {self.out}: {e.strerror}",
                             hint="give a path in a writable folder") from None
        print(f"profile: {', '.join(map(str, files))}", file=sys.stderr)
        return profile.summary(p)


def _cmd_run(args) -> int:
    from . import api, render

    stream = None
    if not args.json and not args.quiet:
        def stream(port, data):
            sys.stdout.write(data.decode("utf-8", "replace"))
            sys.stdout.flush()
    if args.stream or args.duration is not None or args.save_scenario:
        if args.scenario is not None:
            raise UsageError("--stream, --duration and --save-scenario go with --platform/--firmware, "
                             "not with a scenario file (put them in the file)")
        from .cli_streams import run_with_streams
        return run_with_streams(args, _cmd_scenario)
    if args.scenario is not None:
        if args.platform or args.firmware or args.model:
            raise UsageError("give a scenario file, or --platform with --firmware/--model, not both")
        return _cmd_scenario(args)
    if args.platform is None:
        raise UsageError("give a scenario file, or --platform with --firmware or --model")
    if args.model is None and args.firmware is None:
        raise UsageError("give --firmware ELF, or --model .tflite to run the prebuilt inference firmware")
    if args.input is not None and args.model is None:
        raise UsageError("--input goes with --model")
    if args.kernels is not None and (args.model is None or args.firmware is not None):
        raise UsageError("--kernels picks the prebuilt inference firmware: give it with --model and "
                         "without --firmware")
    inference = None
    prof = _Profiling(args.profile)
    prepare = prof.prepare if args.profile else None
    if args.model is not None:
        from . import inference as inf
        result, inference = inf.run_model(args.platform, args.model, input_path=args.input,
                                          seed=args.seed, firmware=args.firmware, engine=args.engine,
                                          max_time_s=args.max_time, wall_limit_s=args.wall_limit,
                                          on_uart=stream, kernels=args.kernels or "opt", prepare=prepare)
    else:
        result = api.run(args.platform, args.firmware, engine=args.engine, max_time_s=args.max_time,
                         wall_limit_s=args.wall_limit, on_uart=stream, prepare=prepare)
    summary = prof.finish()
    if args.json:
        print(render.to_json(result, inference, summary))
    else:
        if result.uart and not result.uart.endswith("\n") and not args.quiet:
            print()
        print(render.text(result))
        if inference is not None:
            print(render.inference_text(inference))
        if summary is not None:
            print(render.profile_text(summary))
    code = result.process_exit_code
    if code == 0 and inference is not None and inference.bit_exact is False:
        code = 1
    return code


def _cmd_scenario(args) -> int:
    from . import testing
    from .report import EXIT_INTERRUPTED
    from .scenario import run_scenario
    # --max-time / --wall-limit override the scenario's duration / wall_limit.
    prof = _Profiling(getattr(args, "profile", None))
    r = run_scenario(args.scenario, max_time_s=args.max_time, wall_limit_s=args.wall_limit,
                     prepare=prof.prepare if prof.out else None)
    if r.error_kind == "config":
        raise _ScenarioProblems(r.error)
    summary = prof.finish() if r.run is not None else None
    if args.json:
        if summary is None:
            print(testing.result_json(r))
        else:
            import json
            print(json.dumps({**json.loads(testing.result_json(r)), "profile": summary}, indent=2,
                             sort_keys=True, default=str))
    else:
        if r.run is not None and r.run.uart and not args.quiet:
            sys.stdout.write(r.run.uart if r.run.uart.endswith("\n") else r.run.uart + "\n")
        if r.run is not None:
            from . import render
            print(render.text(r.run))
        print(testing.summary_table([r]))
        if summary is not None:
            print(render.profile_text(summary))
    if r.interrupted:
        return EXIT_INTERRUPTED
    return 0 if r.passed else 1


class _ScenarioProblems(TinysimError):
    """A scenario file that cannot run: its message already lists every problem."""


def _cmd_test(args) -> int:
    from . import testing
    return testing.main(args)


def _cmd_stream_show(args) -> int:
    """Inspect what would be injected: a recording, or a generator spec (YAML/JSON text)."""
    import json as _json
    from pathlib import Path

    import yaml

    from . import streams
    src = args.source
    if Path(src).suffix.lower() in (".csv", ".wav", ".npy", ".resd") or Path(src).is_file():
        st = streams.load(src, rate_hz=args.rate)
    else:
        try:
            spec = yaml.safe_load(src)
        except yaml.YAMLError:
            spec = src
        st = streams.generate(spec, seed=args.seed, rate_hz=args.rate or 1000.0, duration_s=args.duration)
    if args.json:
        print(_json.dumps(streams.describe(st), indent=2, sort_keys=True, default=float))
        return 0
    d = streams.describe(st)
    print(f"{src}: {d.get('n_samples', st.n_samples)} samples x {len(st.channels)} channels at "
          f"{st.rate_hz:g} Hz = {st.duration_s:g} s, unit {st.unit}")
    for line in streams.sparkline(st, width=args.width):
        print(line)
    return 0


def _cmd_platforms(args) -> int:
    from .platform import list_platforms, load_platform
    if getattr(args, "detail", None):
        from .sdk.commands import platforms_detail
        return platforms_detail(args.detail)
    for name in list_platforms():
        p = load_platform(name)
        print(f"{name:<12} {p.core:<11} {p.clock_hz / 1e6:>5g} MHz  {p.description}")
    return 0


def _cmd_ui(args) -> int:
    """The terminal UI (tinysim.tui; Textual is imported only there), or --serve: the same
    app in a browser through textual-serve, one app process per browser tab."""
    from . import live
    if args.scenario and (args.platform or args.firmware):
        raise UsageError("give a scenario file, or --platform with --firmware, not both")
    if (args.platform is None) != (args.firmware is None):
        raise UsageError("--platform and --firmware go together (or give a scenario, or nothing for the launcher)")
    if args.model and not args.firmware:
        raise UsageError("--model goes with --platform and --firmware")
    speed = None if args.speed == "max" else float(args.speed)
    if args.scenario:
        target = live.target_from_scenario(args.scenario)
    elif args.firmware:
        target = live.target_from_files(args.platform, args.firmware, args.model)
    else:
        target = None
    if args.serve:
        import shlex

        from textual_serve.server import Server
        argv = [sys.executable, "-m", "tinysim", "ui", "--speed", args.speed]
        if args.scenario:
            argv.append(str(__import__("pathlib").Path(args.scenario).resolve()))
        elif args.firmware:
            argv += ["-p", args.platform, "-f", str(__import__("pathlib").Path(args.firmware).resolve())]
            if args.model:
                argv += ["--model", str(__import__("pathlib").Path(args.model).resolve())]
        print(f"tinysim ui: serving on http://{args.host}:{args.port} (Ctrl-C stops)", flush=True)
        Server(shlex.join(argv), host=args.host, port=args.port, title="tinysim").serve()
        return 0
    # textual-serve runs the app over pipes with its web driver: that is a screen too.
    if not (sys.stdin.isatty() and sys.stdout.isatty()) and "TEXTUAL_DRIVER" not in os.environ:
        # A live screen needs a terminal; piped or in CI, a scenario still runs (headless),
        # so the same command works in a README, a script and a job log.
        if args.scenario:
            print(f"tinysim ui: no terminal here; running {args.scenario} headless "
                  "(as `tinysim run`)", file=sys.stderr)
            return main((["--debug"] if args.debug else []) + ["run", args.scenario])
        raise UsageError("tinysim ui needs a terminal (stdin and stdout are not one)",
                         hint="run it in a terminal, serve it with --serve, or use `tinysim run`")
    from .tui import main as tui_main
    return tui_main(target, speed=speed)


def _cmd_bench(args) -> int:
    from . import bench
    return bench.main(args)


def _cmd_sweep(args) -> int:
    """One scenario over many seeds and varied fields: scores, aggregates, report."""
    import json as _json

    from . import sweep
    plan = sweep.plan_sweep(args.scenario, args.seeds, args.vary or [])
    if args.verbose:        # each run in detail, here: the reproduce command of a worst run
        for t in plan.tasks:
            print(sweep.render_verbose(sweep.run_task(t, keep_uart=True)))
        return 0
    rep = sweep.run_sweep(plan, jobs=args.jobs, scheduler=args.scheduler, progress=sweep.ProgressBar(),
                          worst=args.worst)
    timing = rep.pop("_timing")
    if args.report:
        from .sweep._report import write_html
        files = write_html(rep, args.report)
        print(f"report: {', '.join(map(str, files))}", file=sys.stderr)
    through = (f"{rep['runs']} runs in {timing['wall_s']:.1f} s wall: {timing['runs_per_min']:.1f} runs/min, "
               f"{timing['virtual_s_per_wall_s']:.2f} virtual s per wall s")
    if args.json:
        print(_json.dumps(rep, indent=2, sort_keys=True))
        print(through, file=sys.stderr)    # wall-clock figures stay out of the (deterministic) JSON
    else:
        print(sweep.render_text(rep))
        print(through)
    if rep["errors"]:
        return 1
    acc = (rep["detection"] or {}).get("accuracy")
    if args.min_pass_rate is not None and (rep["pass_rate"] or 0) < args.min_pass_rate:
        return 1
    if args.min_accuracy is not None and (acc is None or acc < args.min_accuracy):
        return 1
    return 0


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="tinysim", description="Emulate TinyML boards running real firmware.")
    ap.add_argument("--version", action="version", version=f"tinysim {__version__}")
    ap.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = ap.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="boot a firmware ELF on a board and report what happened",
                       description="Exit status: the firmware's own exit code when it exits; "
                       "70 when it faults; 124 when --wall-limit passes; 5 on a breakpoint; "
                       "2 for bad input; 130 on Ctrl-C; 0 when it idles or --max-time passes. "
                       "With a scenario file: 0 when it passes, 1 when it fails.")
    r.add_argument("scenario", nargs="?", help="a scenario .yaml (instead of --platform/--firmware)")
    r.add_argument("--platform", "-p", default=None, help="board name (see `tinysim platforms`) or platform file")
    r.add_argument("--firmware", "-f", default=None,
                   help="firmware ELF built for the board (default with --model: the prebuilt "
                   "inference firmware)")
    r.add_argument("--model", "-m", default=None, help=".tflite model to run on the board")
    r.add_argument("--input", "-i", default=None, help=".npy input for --model (default: seeded random)")
    r.add_argument("--seed", type=int, default=0, help="seed for the random input (default 0)")
    r.add_argument("--kernels", choices=["opt", "ref"], default=None,
                   help="with --model: the prebuilt firmware's inference kernels, optimized (default) "
                   "or TFLM-style reference")
    r.add_argument("--engine", default="builtin", help="emulation engine (default: builtin)")
    r.add_argument("--max-time", type=duration, default=None, metavar="T",
                   help="stop after T of virtual time (e.g. 2s, 500ms)")
    r.add_argument("--wall-limit", type=duration, default=None, metavar="T",
                   help="stop after T of wall-clock time")
    r.add_argument("--json", action="store_true", help="print the report as one JSON object")
    r.add_argument("--quiet", "-q", action="store_true", help="do not stream UART output")
    r.add_argument("--stream", action="append", metavar="SENSOR[:CHANNEL]=SPEC",
                   help="feed a sensor (repeatable): a generator such as gesture:ring,wing, "
                   "vibration:rpm=2950,fault=bearing or sine:freq=5, or a .csv/.wav/.npy/.resd file; "
                   "the run becomes a scenario run")
    r.add_argument("--duration", type=duration, default=None, metavar="T",
                   help="virtual time to run (with --stream; default 1s)")
    r.add_argument("--profile", metavar="OUT.json", default=None,
                   help="profile calls: per-function self and total cycles as speedscope JSON "
                   "(OUT.json), collapsed stacks for flame graphs (OUT.folded) and a Perfetto / Chrome "
                   "trace (OUT.perfetto.json); the top 10 in the report")
    r.add_argument("--save-scenario", metavar="OUT.yaml", default=None,
                   help="write the equivalent scenario file, then run it")
    r.set_defaults(func=_cmd_run)

    t = sub.add_parser("test", help="run scenario files: summary table, JUnit XML, exit 1 on failure")
    t.add_argument("paths", nargs="+", help="scenario files or folders of them")
    t.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    t.add_argument("--jobs", "-j", type=int, default=None, help="parallel scenarios (default: cores)")
    t.add_argument("--baseline", metavar="FILE", help="fail when cycles or memory exceed this baseline")
    t.add_argument("--update-baseline", action="store_true", help="write the baseline instead")
    t.add_argument("--tolerance", type=float, default=0.05, help="allowed growth over the baseline (0.05 = 5%%)")
    t.add_argument("--shard", metavar="I/N", default=None,
                   help="run only the I-th of N deterministic slices of the scenarios (CI matrices)")
    t.set_defaults(func=_cmd_test)

    st = sub.add_parser("stream", help="sensor streams")
    st_sub = st.add_subparsers(dest="stream_command", required=True)
    show = st_sub.add_parser("show", help="summarise a recording or a generator spec")
    show.add_argument("source", help="a .csv/.wav/.npy/.resd file, or a generator spec such as "
                      "'{type: gesture, gesture: ring}'")
    show.add_argument("--rate", type=float, default=None, help="sample rate (generators; CSV/NPY without one)")
    show.add_argument("--duration", type=duration, default=2.0, help="generator duration (default 2s)")
    show.add_argument("--seed", type=int, default=0)
    show.add_argument("--width", type=int, default=60)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_cmd_stream_show)

    p = sub.add_parser("platforms", help="list the bundled boards")
    p.add_argument("--detail", metavar="BOARD", default=None,
                   help="what is modelled, partially modelled and not modelled on BOARD")
    p.set_defaults(func=_cmd_platforms)

    ui = sub.add_parser("ui", help="the terminal UI: a board running live, injections, scenarios",
                        description="With no argument: a launcher (bundled demos and ./scenarios/). "
                        "Press ? inside for the keys.")
    ui.add_argument("scenario", nargs="?", help="a scenario .yaml to open live")
    ui.add_argument("--platform", "-p", default=None, help="board name (with --firmware)")
    ui.add_argument("--firmware", "-f", default=None, help="firmware ELF to open live")
    ui.add_argument("--model", "-m", default=None, help=".tflite for the firmware's model partition")
    ui.add_argument("--speed", default="1", choices=["0.1", "0.25", "0.5", "1", "2", "5", "10", "max"],
                    help="virtual seconds per wall second (default 1: real time)")
    ui.add_argument("--serve", action="store_true", help="serve the app to browsers (textual-serve)")
    ui.add_argument("--host", default="127.0.0.1", help="with --serve (default 127.0.0.1)")
    ui.add_argument("--port", type=int, default=8000, help="with --serve (default 8000)")
    ui.set_defaults(func=_cmd_ui)

    b = sub.add_parser("bench", help="emulation speed: startup, sensor scenarios against real time, "
                       "polling, --model, QEMU on the same ELF",
                       description="Without --firmware: the speed suite, each row with its goal. With "
                       "--firmware: that ELF against QEMU.")
    b.add_argument("--firmware", default=None, help="one ELF to time against QEMU instead of the suite")
    b.add_argument("--platform", default=None, help="only this board's rows (with --firmware: default nano33ble)")
    b.add_argument("--only", default=None, help="comma-separated rows: startup,sensors,polling,model,qemu")
    b.add_argument("--quick", action="store_true", help="short sensor runs, no repeats (a smoke check)")
    b.add_argument("--repeat", type=int, default=3, help="runs of each, best time kept")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=_cmd_bench)

    sw = sub.add_parser("sweep", help="run a scenario over many seeds and varied fields: accuracy, "
                        "latency, memory; local processes or a Dask cluster",
                        description="Exit status: 0 when every run ran (and the --min-* gates hold); "
                        "1 when a run could not run or a gate fails; 2 for bad input.")
    sw.add_argument("scenario", help="a scenario .yaml (with `detect:` to score detections)")
    sw.add_argument("--seeds", default="1-10", help="seeds: 1-1000, 7 or 1,5,9-12 (default 1-10)")
    sw.add_argument("--vary", action="append", metavar="PATH=V1,V2",
                    help="a scenario field and its values, e.g. streams[0].generate.speed=0.8,1.0,1.2 "
                    "(repeatable: every combination runs)")
    sw.add_argument("--jobs", "-j", type=int, default=None, help="local worker processes (default: cores)")
    sw.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=None,
                    help="run on this Dask distributed cluster instead of local processes")
    sw.add_argument("--report", metavar="FILE.html", help="write a self-contained HTML report; "
                    "its plots also as FILE-<plot>.png")
    sw.add_argument("--json", action="store_true", help="print the report as JSON (no wall-clock figures)")
    sw.add_argument("--worst", type=int, default=5, help="worst runs to list with their commands")
    sw.add_argument("--min-pass-rate", type=float, default=None, metavar="X",
                    help="exit 1 when fewer than this fraction of runs pass the expectations")
    sw.add_argument("--min-accuracy", type=float, default=None, metavar="X",
                    help="exit 1 when detection accuracy is below this fraction")
    sw.add_argument("--verbose", "-v", action="store_true",
                    help="run here one by one and print each run's detections, ground truth and UART")
    sw.set_defaults(func=_cmd_sweep)

    from .sdk.commands import add_parsers as _add_sdk_parsers   # sdk, new app, scenario/platform schema
    _add_sdk_parsers(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    from . import _gc
    _gc.pause_for_startup()
    try:
        return _main(argv)
    finally:
        _gc.end_of_startup()


def _main(argv: list[str] | None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except TinysimError as e:
        if args.debug:
            raise
        print(f"tinysim: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("tinysim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`tinysim run ... | head -1`): stop quietly, as cat does. Point
        # stdout at /dev/null so the interpreter's final flush does not fail again.
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
