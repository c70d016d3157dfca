"""What the UI costs unpaced emulation: `python -m tinysim.tui.overhead [SECONDS] [REPEAT]`.

For each bundled demo with a sensor: the wall time to emulate SECONDS of virtual time (a) with
one engine.run() and no UI, and (b) in the full app (headless Textual driver at 160x48, the
board screen polling snapshots at 10 Hz and redrawing, the engine in its own process at speed
"max", as `tinysim ui` runs it). Runs alternate and the best of REPEAT is kept, since the machine may be shared."""
from __future__ import annotations

import asyncio
import sys
import time

from .. import live
from .app import create_app


def plain(target: live.Target, virtual_s: float) -> float:
    s = live.LiveSession(target, speed=None)          # same feeds and model, never started
    t0 = time.perf_counter()
    s.eng.run(max_time_s=virtual_s)
    dt = time.perf_counter() - t0
    s.close()
    return dt


def in_app(target: live.Target, virtual_s: float) -> float:
    async def go() -> float:
        app = create_app(target, speed=None, until_s=virtual_s)
        async with app.run_test(size=(160, 48)) as pilot:
            while app.session.snapshot().reached_after_s is None and app.session.state not in ("faulted", "exited", "idle"):
                await pilot.pause(0.05)
            # measured by the worker itself: from its start to the virtual time asked for
            return app.session.snapshot().reached_after_s
    return asyncio.run(go())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    virtual_s = float(argv[0]) if argv else 20.0
    repeat = int(argv[1]) if len(argv) > 1 else 3
    for target in (d for d in live.demos() if d.feeds):
        plain(target, 0.1)                              # warm: compile and translate first
        p, a = [], []
        for _ in range(repeat):
            p.append(plain(target, virtual_s))
            a.append(in_app(target, virtual_s))
        bp, ba = min(p), min(a)
        print(f"{target.name:<24} {virtual_s:g} s virtual: no UI {bp:.3f} s, in the UI {ba:.3f} s wall "
              f"(best of {repeat}): overhead {100 * (ba / bp - 1):+.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
