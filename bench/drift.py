"""Count drift: run every ELF in build/<board>/ for a span of virtual time and print, per ELF,
the instructions, cycles, stop reason and a hash of the UART output, as JSON.

Run it under two trees (e.g. a `git worktree` of the old commit and the working tree) and
compare the files to see which programs a change moves, and by how much:

    python bench/drift.py -o new.json            # in this tree
    python bench/drift.py --compare old.json new.json
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

BOARDS = ("nano33ble", "hifive1")
# Measure the tree this script is in, whatever tinysim is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def measure(build: Path, seconds: float) -> dict:
    import tinysim
    from tinysim.api import open_board, run_engine
    from tinysim.errors import TinysimError
    print(f"measuring {Path(tinysim.__file__).parent}", file=sys.stderr)
    out = {}
    for board in BOARDS:
        for elf in sorted((build / board).glob("*.elf")):
            key = f"{board}/{elf.stem}"
            try:
                with open_board(board, elf) as eng:
                    r = run_engine(eng, max_time_s=seconds)
                out[key] = {"instructions": r.instructions, "cycles": r.cycles, "exit": r.exit_reason,
                            "uart_bytes": len(r.uart), "uart_sha": hashlib.sha1(r.uart.encode()).hexdigest()[:12]}
            except TinysimError as e:
                out[key] = {"error": str(e).splitlines()[0]}
    return out


def compare(old: dict, new: dict) -> int:
    moved = 0
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        moved += 1
        diff = {k: (a.get(k) if a else None, b.get(k) if b else None)
                for k in sorted(set(a or {}) | set(b or {})) if (a or {}).get(k) != (b or {}).get(k)}
        print(f"{key}: " + ", ".join(f"{k} {x} -> {y}" for k, (x, y) in diff.items()))
    print(f"{moved} of {len(set(old) | set(new))} programs changed")
    return 1 if moved else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build", help="folder holding <board>/*.elf (default: build)")
    ap.add_argument("--seconds", type=float, default=0.2, help="virtual time per ELF (default 0.2)")
    ap.add_argument("-o", "--output", help="write the JSON here (default: stdout)")
    ap.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="compare two outputs")
    a = ap.parse_args(argv)
    if a.compare:
        return compare(*(json.loads(Path(p).read_text()) for p in a.compare))
    text = json.dumps(measure(Path(a.build), a.seconds), indent=1, sort_keys=True)
    if a.output:
        Path(a.output).write_text(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
