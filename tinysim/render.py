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
    est = f" (estimated, timing table {r.timing_model}" + \
        (f"; {r.timing_checked})" if r.timing_checked else ")") if r.cycles_estimated else ""
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
    for name, st in r.sensors.items():
        lines.append(f"sensor {name:<8} {st['lost_samples']} samples lost (read too slowly)")
    for name, st in r.leds.items():
        lines.append(f"led {name:<11} {'on' if st['on'] else 'off'}, {st['toggles']} toggles")
    lines += [f"note            {n}" for n in r.notes]
    return "\n".join(lines)


def inference_text(inf) -> str:
    lines = [f"── inference: {inf.model} · input {inf.inputs_source}"]
    for i, (out, deq, ref) in enumerate(zip(inf.outputs, inf.outputs_dequantized, inf.reference)):
        lines.append(f"output {i}        {_short(out)}")
        if deq is not None:
            lines.append(f"  dequantized   {_short(deq)}")
        lines.append(f"  TFLM          {_short(ref)}")
    verdict = ("not published by this firmware" if inf.bit_exact is None else
               "bit-exact with TFLM" if inf.bit_exact else f"DIFFERS from TFLM in {inf.mismatched_bytes} bytes")
    lines += [f"match           {verdict}"] + [f"  {p}" for p in inf.output_problems]
    lines += [
        f"per inference   {inf.instructions_per_inference:,} instructions, "
        f"{inf.cycles_per_inference:,} cycles (estimated"
        + (f"; {inf.cycles_checked}" if inf.cycles_checked else "") + f"), {inf.latency_ms:.3f} ms"
        + (f", {inf.kernels} kernels" if inf.kernels else ""),
        f"arena           planned "
        + (f"{inf.arena_planned_bytes:,} bytes" if inf.arena_planned_bytes is not None else "n/a")
        + "; TFLM arena_used_bytes "
        + (f"{inf.arena_tflm_bytes:,}" if inf.arena_tflm_bytes is not None else "n/a")
        + (f"; peak written {inf.arena_peak_bytes:,}" if inf.arena_peak_bytes is not None else ""),
        f"flash           model {inf.model_flash_bytes:,} bytes, code {inf.code_flash_bytes:,} bytes",
    ]
    if inf.ops:
        lines.append(f"{'op':>4}  {'type':<20}{'instructions':>14}{'cycles':>14}")
        for op in inf.ops:
            lines.append(f"{op.index:>4}  {op.op:<20}{op.instructions:>14,}{op.cycles:>14,}")
        lines.append("per type")
        for name, d in sorted(inf.op_types.items(), key=lambda kv: -kv[1]["cycles"]):
            lines.append(f"      {name:<20}{d['instructions']:>14,}{d['cycles']:>14,}  x{d['count']}")
    return "\n".join(lines)


def _short(values, n: int = 10) -> str:
    import numpy as np
    flat = np.asarray(values).ravel().tolist()
    body = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in flat[:n])
    return f"[{body}{', …' if len(flat) > n else ''}] ({len(flat)} values)"


def profile_text(summary: dict, n: int = 10) -> str:
    """The call profile's top functions (tinysim.profile.summary) by self and by total cycles."""
    tot_c = summary["cycles"] or 1
    lines = [f"── profile: top {n} functions of {summary['cycles']:,} cycles (estimated), "
             f"{summary['instructions']:,} instructions · deepest stack {summary['max_depth']}"]
    # counts widen their columns on long runs (tens of billions of cycles) rather than run together
    shown = summary["top_self"][:n] + summary["top_total"][:n]
    w = {k: max([len(f"{f[k]:,}") + 1 for f in shown] + [m])
         for k, m in (("self_cycles", 13), ("total_cycles", 14), ("self_instructions", 13), ("calls", 9))}
    for title, key in (("by self cycles", "top_self"), ("by total cycles (with callees)", "top_total")):
        lines.append(f"{title:<32}{'self cyc':>{w['self_cycles']}}{'self %':>8}{'total cyc':>{w['total_cycles']}}"
                     f"{'total %':>8}{'self insns':>{w['self_instructions']}}{'calls':>{w['calls']}}")
        for f in summary[key][:n]:
            lines.append(f"  {f['name'][:30]:<30}{f['self_cycles']:>{w['self_cycles']},}"
                         f"{100 * f['self_cycles'] / tot_c:>7.1f}%{f['total_cycles']:>{w['total_cycles']},}"
                         f"{100 * f['total_cycles'] / tot_c:>7.1f}%{f['self_instructions']:>{w['self_instructions']},}"
                         f"{f['calls']:>{w['calls']},}")
    t = summary["truncated"]
    if t.get("folded_calls_depth") or t.get("folded_calls_nodes"):
        lines.append(f"note            {t['folded_calls_depth'] + t['folded_calls_nodes']:,} calls were counted "
                     "in their caller: the call tree was too deep or too large to keep every context")
    if t.get("lost_frames"):
        lines.append(f"note            {t['lost_frames']:,} frames were deeper than the profile's stack "
                     "(runaway recursion?): their counts went to the deepest frame kept")
    if t.get("unmatched_returns"):
        lines.append(f"note            {t['unmatched_returns']:,} returns went to an address no call on the "
                     "profile's stack expected (longjmp, a context switch, hand-written stack code): "
                     "the stack was kept as it was")
    return "\n".join(lines)


def to_json(r: RunResult, inference=None, profile=None) -> str:
    d = r.to_dict()
    if inference is not None:
        from dataclasses import asdict
        d["inference"] = asdict(inference)
    if profile is not None:
        d["profile"] = profile
    return json.dumps(d, indent=2, sort_keys=True)
