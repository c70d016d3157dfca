"""CLI verbs for a developer's own firmware: `sdk path`, `sdk flags`, `new app`,
`scenario schema`, `platform schema` and `platforms --detail`. tinysim.cli wires them in."""
from __future__ import annotations

import argparse
import json
import shlex
import sys

__all__ = ["add_parsers", "platforms_detail"]


def _cmd_sdk_path(args) -> int:
    from . import cmake_dir, firmware_dir
    print(cmake_dir() if args.cmake else firmware_dir())
    return 0


def _cmd_sdk_flags(args) -> int:
    from . import board_flags
    f = board_flags(args.board, runtime=args.runtime, ticker=args.ticker)
    parts = {"cc": [f.cc], "cflags": list(f.cflags), "ldflags": list(f.ldflags), "libs": list(f.libs),
             "sources": [str(s) for s in f.sources]}
    if args.make:
        # an includable Make fragment (the scaffolded Makefile writes it to build/sdk.mk)
        print(f"# tinysim sdk flags --board {args.board}{' --runtime' if args.runtime else ''}"
              f"{' --ticker' if args.ticker else ''}")
        print(f"CC := {f.cc}")
        for key in ("cflags", "ldflags", "libs", "sources"):
            print(f"TINYSIM_{key.upper()} := {shlex.join(parts[key])}")
        return 0
    if not args.what:
        print(shlex.join(parts["cflags"] + parts["ldflags"] + parts["libs"]))
        return 0
    out = []
    for key in args.what:
        out += parts[key]
    print(shlex.join(out))
    return 0


def _cmd_new_app(args) -> int:
    from ..scaffold import new_app
    dest = new_app(args.name, args.board, sensor=args.sensor, model=args.model, parent=args.dir)
    files = sorted(p.name for p in dest.iterdir())
    print(f"created {dest}/: {', '.join(files)}")
    print(f"next:\n  cd {shlex.quote(str(dest))} && make && tinysim run {args.name}.yaml")
    return 0


def _cmd_scenario_schema(args) -> int:
    from ..scenario import ScenarioSpec
    print(json.dumps(ScenarioSpec.model_json_schema(), indent=2))
    return 0


def _cmd_platform_schema(args) -> int:
    from ..platform import platform_schema
    print(json.dumps(platform_schema(), indent=2))
    return 0


def platforms_detail(board: str) -> int:
    """`tinysim platforms --detail BOARD`: the modelled / partially / not modelled table."""
    from .boardinfo import board_rows, render_text
    print(render_text(board, board_rows(board)))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("sdk", help="board support for building your own firmware (paths and flags)")
    s_sub = s.add_subparsers(dest="sdk_command", required=True)
    p = s_sub.add_parser("path", help="where the board support files are (boards/, common/, runtime/)")
    p.add_argument("--cmake", action="store_true", help="the folder with tinysim-toolchain.cmake instead")
    p.set_defaults(func=_cmd_sdk_path)
    f = s_sub.add_parser("flags", help="compiler, flags and board sources for one board, like pkg-config",
                         description="Without a selector: cflags, ldflags and libs on one line. "
                         "Selectors print in the order given.")
    f.add_argument("--board", "-b", required=True, help="board name (see `tinysim platforms`)")
    for opt, help_ in (("cc", "the cross compiler"), ("cflags", "compile flags (includes, defines, arch)"),
                       ("ldflags", "link flags (arch, linker script)"), ("libs", "libraries, after the objects"),
                       ("sources", "board support sources to compile with the app")):
        f.add_argument(f"--{opt}", dest="what", action="append_const", const=opt, help=help_)
    f.add_argument("--runtime", action="store_true", help="add the inference runtime (tsrt)")
    f.add_argument("--ticker", action="store_true", help="add the periodic timer interrupt (ticker_start)")
    f.add_argument("--make", action="store_true", help="print an includable Make fragment")
    f.set_defaults(func=_cmd_sdk_flags)

    n = sub.add_parser("new", help="scaffold something new")
    n_sub = n.add_subparsers(dest="new_command", required=True)
    a = n_sub.add_parser("app", help="a buildable app folder: main.c, Makefile, CMakeLists.txt, a scenario")
    a.add_argument("name", help="folder and ELF name")
    a.add_argument("--board", "-b", required=True, help="board name (see `tinysim platforms`)")
    a.add_argument("--sensor", choices=("imu", "mic", "accel"), default=None, help="a sensor the app reads")
    a.add_argument("--model", metavar="M.tflite", default=None, help="a model the app runs (copied in)")
    a.add_argument("--dir", default=".", help="where to create the folder (default: here)")
    a.set_defaults(func=_cmd_new_app)

    sc = sub.add_parser("scenario", help="scenario files")
    sc_sub = sc.add_subparsers(dest="scenario_command", required=True)
    sc_sub.add_parser("schema", help="print the JSON Schema of scenario files").set_defaults(func=_cmd_scenario_schema)
    pl = sub.add_parser("platform", help="platform (board) files")
    pl_sub = pl.add_subparsers(dest="platform_command", required=True)
    pl_sub.add_parser("schema", help="print the JSON Schema of platform files").set_defaults(func=_cmd_platform_schema)
