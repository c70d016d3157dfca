"""What the UI costs unpaced emulation:
`python -m tinysim.tui.overhead [SECONDS] [REPEAT] [DEMO-NAME-PART]`.

For each bundled demo with a sensor: the wall time to emulate SECONDS of virtual time (a) with
one engine.run() and no UI, and (b) in the full app (headless Textual driver at 160x48, the
board screen polling snapshots at 10 Hz and redrawing, the engine in its own process at speed
"max", as `tinysim ui` runs it). Runs alternate and the best of REPEAT is kept, since the machine may be shared.
Wall time says what a user sees; the CPU time of the engine's process (engine, pacing worker,
snapshots) says what the UI design costs the engine, apart from other load on the machine."""
from __future__ import annotations

import asyncio
import sys
import time

from .. import live
from .app import create_app


def plain(target: live.Target, virtual_s: float) -> tuple[float, float]:
    """(wall, CPU) seconds of one engine.run() over ``virtual_s``."""
    s = live.LiveSession(target, speed=None)          # same feeds and model, never started
    s._maybe_extend(virtual_s)      # the live feeds drawn over the whole span, as the UI draws them
    t0, c0 = time.perf_counter(), time.process_time()
    s.eng.run(max_time_s=virtual_s)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    s.close()
    return dt, dc


def in_app(target: live.Target, virtual_s: float) -> tuple[float, float]:
    """(wall, CPU of the engine process) seconds to reach ``virtual_s`` inside the app."""
    async def go() -> tuple[float, float]:
        app = create_app(target, speed=None, until_s=virtual_s)
        async with app.run_test(size=(160, 48)) as pilot:
            while app.session.snapshot().reached_after_s is None and app.session.state not in ("faulted", "exited", "idle"):
                await pilot.pause(0.05)
            # measured by the worker itself: from its start to the virtual time asked for
            snap = app.session.snapshot()
            return snap.reached_after_s, snap.reached_cpu_s
    return asyncio.run(go())


def main(argv: list[str] | None = None) -> int:
    import argparse
    ap = argparse.ArgumentParser(prog="python -m tinysim.tui.overhead",
                                 description="What the UI costs unpaced emulation, per bundled demo.")
    ap.add_argument("seconds", nargs="?", type=float, default=20.0, help="virtual seconds (default 20)")
    ap.add_argument("repeat", nargs="?", type=int, default=3, help="runs of each, best kept (default 3)")
    ap.add_argument("only", nargs="?", default="", help="demos whose name has this, e.g. nano33ble")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    virtual_s, repeat, only = args.seconds, args.repeat, args.only
    for target in (d for d in live.demos() if d.feeds and only in d.name):
        plain(target, 0.1)                              # warm: compile and translate first
        p, a = [], []
        for _ in range(repeat):
            p.append(plain(target, virtual_s))
            a.append(in_app(target, virtual_s))
        (bp, cp), (ba, ca) = min(p), min(a)
        bcp, bca = min(c for _, c in p), min(c for _, c in a)
        print(f"{target.name:<24} {virtual_s:g} s virtual, best of {repeat}: wall no UI {bp:.3f} s, in the UI "
              f"{ba:.3f} s ({100 * (ba / bp - 1):+.1f} %); engine CPU no UI {bcp:.3f} s, in the UI's engine "
              f"process {bca:.3f} s ({100 * (bca / bcp - 1):+.1f} %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
