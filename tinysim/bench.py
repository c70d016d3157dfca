"""Emulation speed: the built-in engine against QEMU on the same ELF, measured in one run.

QEMU (Debian's qemu-system-arm, `-M mps2-an386`, plain TCG, no instruction counting) is the
reference. Both run the peripheral-free `bench` app, which prints through semihosting only,
so the same ELF runs unchanged on both machines.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

from .errors import EngineError

QEMU = {"arm": ["qemu-system-arm", "-M", "mps2-an386"],
        "riscv": ["qemu-system-riscv32", "-M", "sifive_e,revb=true", "-bios", "none"]}


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


def main(args) -> int:
    elf = Path(args.firmware or f"build/{args.platform}/bench.elf")
    if not elf.is_file():
        raise EngineError(f"{elf}: not found", hint="build it with `make -C firmware`")
    r = measure(args.platform, elf, args.repeat)
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
