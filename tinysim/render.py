"""Renderers: the same RunResult as terminal text or JSON."""
from __future__ import annotations

import json

from .report import RunResult


def _si(n: float) -> str:
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= div:
            return f"{n / div:.2f} {unit}"
    return f"{n:g} "


def text(r: RunResult) -> str:
    est = " (estimated, timing table " + r.timing_model + ")" if r.cycles_estimated else ""
    lines = [f"── tinysim: {r.platform} · {r.engine} engine · {r.firmware}"]
    end = r.exit_reason
    if r.exit_reason == "exit":
        end += f", code {r.exit_code}"
    if r.detail:
        end += f" ({r.detail})"
    lines.append(f"exit            {end}")
    if r.fault:
        f = r.fault
        lines.append(f"fault           {f.description}")
        if f.call_site:
            lines.append(f"  LR / ra       {f.call_site}")
        if f.decoded:
            lines.append(f"  status        {' '.join(f.decoded)}")
        regs = " ".join(f"{k}={v:#010x}" for k, v in f.registers.items())
        lines.append(f"  registers     {regs}")
    lines += [
        f"instructions    {r.instructions:,}",
        f"cycles          {r.cycles:,}{est}",
        f"virtual time    {r.virtual_time_s * 1e3:.3f} ms at {r.clock_hz / 1e6:g} MHz",
        f"wall time       {r.wall_time_s:.3f} s ({r.mips:.1f} MIPS)",
        f"flash           {r.flash_bytes:,} bytes",
        f"static RAM      {r.ram_static_bytes:,} bytes",
    ]
    if r.stack_peak_bytes is not None:
        size = f" of {r.stack_size_bytes:,}" if r.stack_size_bytes else ""
        lines.append(f"stack peak      {r.stack_peak_bytes:,}{size} bytes")
    else:
        lines.append("stack peak      unknown (no __stack_bottom/__stack_top symbols)")
    for name, st in r.leds.items():
        lines.append(f"led {name:<11} {'on' if st['on'] else 'off'}, {st['toggles']} toggles")
    return "\n".join(lines)


def to_json(r: RunResult) -> str:
    return json.dumps(r.to_dict(), indent=2, sort_keys=True)
