"""Emulation speed, measured in one run: each row of the speed table as a figure with its goal.

Rows (``ROWS``):
  startup   whole `tinysim run` process on the hello ELF (seconds)
  sensors   real-time factor of long sensor scenarios (bench/*.yaml): virtual seconds per
            whole-process wall second, startup included
  polling   MIPS of firmware polling a GPIO input register (the poll_gpio app, each board)
  model     whole `tinysim run --model` process on a network with MLPerf Tiny KWS DS-CNN's
            shapes (seconds)
  qemu      tinysim's time over QEMU's on the same compute-bound ELF (the bench app), per
            board; QEMU is Debian's qemu-system-arm/-riscv32, plain TCG, whole process

Timings depend on what else the machine runs: compare figures from one run, and read a
row's ratio to its goal rather than the absolute value. ``--json`` prints the same rows.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import EngineError, TinysimError

QEMU = {"arm": ["qemu-system-arm", "-M", "mps2-an386"],
        "riscv": ["qemu-system-riscv32", "-M", "sifive_e,revb=true", "-bios", "none"]}
ROWS = ("startup", "sensors", "polling", "model", "qemu")
BOARDS = ("nano33ble", "hifive1")
REPO = Path(__file__).resolve().parent.parent
# The long sensor scenarios and the real-time factor each should reach.
SENSOR_SCENARIOS = (("bench/magic_wand_30s_nano33ble.yaml", 20.0),
                    ("bench/vibration_10s_hifive1.yaml", 10.0))
QUICK_SCENARIO_S = 0.5          # --quick: virtual time per sensor scenario


@dataclass(frozen=True)
class Row:
    id: str                     # row kind (one of ROWS)
    name: str                   # what was measured
    value: float
    unit: str
    goal: float
    better: str                 # "lower" or "higher"
    command: str                # what was timed, as a user would type it
    detail: dict = field(default_factory=dict)

    @property
    def meets_goal(self) -> bool:
        return self.value <= self.goal if self.better == "lower" else self.value >= self.goal

    def as_dict(self) -> dict:
        return asdict(self) | {"meets_goal": self.meets_goal}


# -- measuring ---------------------------------------------------------------------------------
def _tinysim(*args: str) -> list[str]:
    return [sys.executable, "-m", "tinysim", *args]


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(cmd: list[str], timeout: float = 600) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall and CPU seconds of a child process (CPU time tells a busy machine apart)."""
    c0, t0 = _child_cpu(), time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                       cwd=REPO)
    return time.perf_counter() - t0, _child_cpu() - c0, p


def _best(cmd: list[str], repeat: int, ok=lambda p: p.returncode == 0):
    """(wall s, CPU s, process) of the fastest of ``repeat`` runs."""
    best = None
    for _ in range(max(1, repeat)):
        dt, cpu, p = _timed(cmd)
        if not ok(p):
            raise EngineError(f"`{' '.join(cmd)}` failed (exit {p.returncode}): "
                              f"{(p.stderr or p.stdout).strip()[-400:]}")
        if best is None or dt < best[0]:
            best = (dt, cpu, p)
    return best


def _elf(board: str, app: str) -> Path:
    p = REPO / "build" / board / f"{app}.elf"
    if not p.is_file():
        raise EngineError(f"{p}: not found", hint="build the firmware with `make -C firmware`")
    return p


def _show(cmd: list[str]) -> str:
    return " ".join(["tinysim", *cmd[3:]] if cmd[:3] == [sys.executable, "-m", "tinysim"] else cmd)


def row_startup(repeat: int = 3) -> Row:
    elf = _elf("nano33ble", "hello")
    cmd = _tinysim("run", "-q", "-p", "nano33ble", "-f", str(elf.relative_to(REPO)))
    dt, cpu, _ = _best(cmd, repeat)
    py, _, _ = _best([sys.executable, "-c", "pass"], repeat)
    return Row("startup", "hello on nano33ble, whole process", round(dt, 3), "s", 0.5, "lower",
               _show(cmd), {"cpu_s": round(cpu, 3), "python_alone_s": round(py, 3)})


def row_sensor(scenario: str, goal: float, repeat: int = 1, max_time_s: float | None = None) -> Row:
    cmd = _tinysim("run", "--json", scenario)
    if max_time_s is not None:
        cmd += ["--max-time", f"{max_time_s:g}s"]
    dt, cpu, p = _best(cmd, repeat, ok=lambda p: p.returncode in (0, 1) and p.stdout.strip().startswith("{"))
    d = json.loads(p.stdout)
    if d.get("error") or d.get("run") is None:
        raise EngineError(f"{scenario}: {d.get('error') or 'did not run'}")
    run = d["run"]
    virtual = run["virtual_time_s"]
    return Row("sensors", f"{d['name']}: real-time factor", round(virtual / dt, 2), "x", goal, "higher",
               _show(cmd), {"virtual_s": virtual, "wall_s": round(dt, 3), "cpu_s": round(cpu, 3),
                            "virtual_over_cpu": round(virtual / cpu, 2) if cpu else None,
                            "instructions": run["instructions"],
                            "passed": d["passed"]})


def row_polling(board: str, repeat: int = 3) -> Row:
    from . import api
    elf = _elf(board, "poll_gpio")
    best = None
    for _ in range(max(1, repeat)):
        r = api.run(board, elf)
        if r.exit_reason != "exit" or r.exit_code != 0:
            raise EngineError(f"{elf} did not exit cleanly: {r.exit_reason} {r.detail}")
        if best is None or r.wall_time_s < best.wall_time_s:
            best = r
    return Row("polling", f"poll_gpio on {board}: GPIO input polling", round(best.instructions / best.wall_time_s / 1e6, 1),
               "MIPS", 50.0, "higher", f"tinysim run -p {board} -f {elf.relative_to(REPO)}",
               {"instructions": best.instructions, "engine_s": round(best.wall_time_s, 4),
                "output": best.uart.strip()})


def row_model(repeat: int = 1) -> Row:
    from .bench_models import dscnn_kws_shapes
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "dscnn_kws_shapes.tflite"
        model.write_bytes(dscnn_kws_shapes())
        cmd = _tinysim("run", "-q", "--json", "-p", "nano33ble", "-m", str(model))
        dt, cpu, p = _best(cmd, repeat)
    d = json.loads(p.stdout)
    return Row("model", "run --model, KWS DS-CNN shapes on nano33ble, whole process", round(dt, 3), "s", 1.5,
               "lower", "tinysim run -p nano33ble -m dscnn_kws_shapes.tflite",
               {"instructions": d["instructions"], "engine_s": round(d["wall_time_s"], 3), "cpu_s": round(cpu, 3)})


def time_qemu(arch: str, elf: Path, timeout: float = 600) -> tuple[float, str]:
    cmd = QEMU[arch]
    if shutil.which(cmd[0]) is None:
        raise EngineError(f"{cmd[0]} is not installed", hint="./scripts/setup.sh installs it")
    full = cmd + ["-semihosting", "-nographic", "-monitor", "none", "-serial", "null",
                  "-kernel", str(elf)]
    t0 = time.perf_counter()
    p = subprocess.run(full, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise EngineError(f"QEMU exited {p.returncode}: {p.stderr.strip()[:300]}")
    return dt, (p.stdout + p.stderr).strip()


def measure(platform: str, elf: Path, repeat: int = 3) -> dict:
    """tinysim (engine time, counting on) against QEMU (whole process) on the same ELF."""
    from . import api
    from .platform import load_platform
    plat = load_platform(platform)
    best_ts, res = None, None
    for _ in range(repeat):
        r = api.run(plat, elf)
        if r.exit_reason != "exit" or r.exit_code != 0:
            raise EngineError(f"{elf} did not exit cleanly under tinysim: {r.exit_reason} {r.detail}")
        if best_ts is None or r.wall_time_s < best_ts:
            best_ts, res = r.wall_time_s, r
    best_q, qout = None, ""
    for _ in range(repeat):
        dt, qout = time_qemu(plat.arch, elf)
        best_q = dt if best_q is None else min(best_q, dt)
    if res.uart.strip() != qout.strip():
        raise EngineError(f"outputs differ: tinysim {res.uart.strip()!r}, QEMU {qout.strip()!r}")
    return {
        "elf": str(elf), "platform": platform, "qemu": " ".join(QEMU[plat.arch]),
        "instructions": res.instructions, "cycles_estimated": res.cycles,
        "tinysim_s": round(best_ts, 4), "tinysim_mips": round(res.instructions / best_ts / 1e6, 1),
        "qemu_s": round(best_q, 4), "qemu_mips": round(res.instructions / best_q / 1e6, 1),
        "ratio_tinysim_over_qemu": round(best_ts / best_q, 3), "output": res.uart.strip(),
    }


def row_qemu(board: str, repeat: int = 3, elf: Path | None = None) -> Row:
    elf = elf or _elf(board, "bench")
    r = measure(board, elf, repeat)
    return Row("qemu", f"bench on {board}: tinysim time / QEMU time", r["ratio_tinysim_over_qemu"], "x", 2.0,
               "lower", f"tinysim bench --platform {board} --firmware {Path(elf).relative_to(REPO) if Path(elf).is_relative_to(REPO) else elf}", r)


def suite(rows=ROWS, *, boards=BOARDS, repeat: int = 3, quick: bool = False) -> dict:
    """Measure the selected rows in this process (and its children); plain data out.
    ``quick`` shortens the sensor scenarios and repeats nothing (a smoke check)."""
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        raise TinysimError(f"unknown bench row(s) {', '.join(unknown)}: choose from {', '.join(ROWS)}")
    if quick:
        repeat = 1
    out: list[Row] = []
    if "startup" in rows:
        out.append(row_startup(repeat))
    if "sensors" in rows:
        for sc, goal in SENSOR_SCENARIOS:
            if not (REPO / sc).is_file():
                raise EngineError(f"{REPO / sc}: not found", hint="the sensor rows run from a source checkout")
            # best of `repeat`, as the other rows: one run on a shared machine is mostly noise
            out.append(row_sensor(sc, goal, repeat, QUICK_SCENARIO_S if quick else None))
    if "polling" in rows:
        out += [row_polling(b, repeat) for b in boards]
    if "model" in rows:
        out.append(row_model(1 if quick else min(repeat, 2)))
    if "qemu" in rows:
        out += [row_qemu(b, 1 if quick else min(repeat, 2)) for b in boards]
    return {"rows": [r.as_dict() for r in out], "quick": quick, "repeat": repeat,
            "machine": {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}}


# -- rendering ------------------------------------------------------------------------------------
def render_text(result: dict) -> str:
    m = result["machine"]
    lines = [f"tinysim bench ({m['cpus']} cpus, load average {m['load_average'][0]:g} at the start"
             f"{'; quick' if result['quick'] else ''})",
             f"  {'row':<58} {'value':>9}  {'goal':>9}  ok"]
    for r in result["rows"]:
        op = "<=" if r["better"] == "lower" else ">="
        lines.append(f"  {r['name']:<58} {r['value']:>7g} {r['unit']:<4} {op}{r['goal']:>5g} {r['unit']:<4} "
                     f"{'yes' if r['meets_goal'] else 'NO'}")
    cpu = [f"{r['name'].split(':')[0]} {r['detail']['cpu_s']:g} s" for r in result["rows"] if "cpu_s" in r["detail"]]
    if cpu:
        lines.append("  CPU time of those processes: " + "; ".join(cpu))
    lines.append("  commands: " + "; ".join(dict.fromkeys(r["command"] for r in result["rows"])))
    return "\n".join(lines)


def main(args) -> int:
    if args.firmware:                      # one ELF against QEMU, as before the suite existed
        elf = Path(args.firmware)
        if not elf.is_file():
            raise EngineError(f"{elf}: not found", hint="build it with `make -C firmware`")
        r = measure(args.platform or "nano33ble", elf, args.repeat)
        if args.json:
            print(json.dumps(r, indent=2))
            return 0
        print(f"bench: {r['elf']} ({r['output']})")
        print(f"  instructions      {r['instructions']:,} (exact, tinysim)")
        print(f"  tinysim builtin   {r['tinysim_s']:.3f} s  {r['tinysim_mips']:.0f} MIPS  (counting on, "
              f"{r['cycles_estimated']:,} estimated cycles)")
        print(f"  {r['qemu']:<17} {r['qemu_s']:.3f} s  {r['qemu_mips']:.0f} MIPS  (plain TCG, whole process)")
        print(f"  ratio             tinysim takes {r['ratio_tinysim_over_qemu']:.2f}x QEMU's time "
              f"(best of {args.repeat})")
        return 0
    rows = tuple(x.strip() for x in args.only.split(",")) if getattr(args, "only", None) else ROWS
    boards = (args.platform,) if args.platform else BOARDS
    result = suite(rows, boards=boards, repeat=args.repeat, quick=getattr(args, "quick", False))
    print(json.dumps(result, indent=2) if args.json else render_text(result))
    return 0
