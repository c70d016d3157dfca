"""Call profiles as plain data: per-function self and total (inclusive) instructions and
cycles, from the calling-context tree an engine kept (``Engine.call_profile()``).

Writers for the formats flame graph tools read: speedscope JSON
(https://www.speedscope.app/file-format-schema.json, sampled profiles over shared frames),
collapsed stacks ("a;b;c count", as flamegraph.pl and inferno read them) and the Chrome trace
event JSON that Perfetto's UI opens (the tree laid out as nested slices, not a timeline).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

SPEEDSCOPE_SCHEMA = "https://www.speedscope.app/file-format-schema.json"
SLEEP = -2          # the address the engine gives the frame of cycles spent asleep (WFI)


@dataclass(frozen=True)
class CallNode:
    """One calling context: a function reached through the path of its ancestors."""
    name: str
    self_instructions: int
    self_cycles: int
    total_instructions: int
    total_cycles: int
    calls: int                       # times this context was entered
    children: tuple["CallNode", ...]


@dataclass(frozen=True)
class FunctionRow:
    """A function over all its contexts. ``total`` counts each run of it once, also when it
    recurses (only contexts without the same function above them are summed)."""
    name: str
    self_instructions: int
    self_cycles: int
    total_instructions: int
    total_cycles: int
    calls: int


@dataclass(frozen=True)
class CallProfile:
    firmware: str
    instructions: int                # the run's totals: the sum of self over every context
    cycles: int
    roots: tuple[CallNode, ...]
    functions: tuple[FunctionRow, ...]   # by self cycles, highest first
    max_depth: int                   # deepest call stack seen
    truncated: dict                  # what did not fit; all zero when the tree is complete

    def top(self, n: int = 10, by: str = "self_cycles") -> tuple[FunctionRow, ...]:
        return tuple(sorted(self.functions, key=lambda f: (-getattr(f, by), f.name))[:n])

    def walk(self):
        """(stack of names, node) for every context, depth first."""
        todo = [((r.name,), r) for r in reversed(self.roots)]
        while todo:
            stack, node = todo.pop()
            yield stack, node
            todo += [(stack + (c.name,), c) for c in reversed(node.children)]


def _names(firmware, addrs) -> dict[int, str]:
    out = {}
    for a in addrs:
        hit = firmware.function_at(a) if a >= 0 else None
        if a == SLEEP:
            out[a] = "(sleep)"
        elif hit is None:
            out[a] = f"{a:#010x}" if a >= 0 else "(root)"
        else:
            name, off = hit
            out[a] = name if off == 0 else f"{name}+{off:#x}"
    return out


def build(raw: dict, firmware) -> CallProfile:
    """The engine's tree (parent index, function address, self instructions, self cycles,
    calls per node; node 0 the root) with function names from the ELF's symbols. Contexts
    whose functions share a name (an address inside the same function) are merged."""
    nodes = raw["nodes"]
    names = _names(firmware, {n[1] for n in nodes})
    kids: dict[int, list[int]] = {}
    for i, n in enumerate(nodes[1:], start=1):
        kids.setdefault(n[0], []).append(i)

    def make(idxs: list[int]) -> tuple[CallNode, ...]:
        # Merge siblings of the same name, then build children bottom-up.
        groups: dict[str, list[int]] = {}
        for i in idxs:
            groups.setdefault(names[nodes[i][1]], []).append(i)
        out = []
        for name, members in groups.items():
            children = make([c for i in members for c in kids.get(i, [])])
            si = sum(nodes[i][2] for i in members)
            sc = sum(nodes[i][3] for i in members)
            calls = sum(nodes[i][4] for i in members)
            out.append(CallNode(name, si, sc, si + sum(c.total_instructions for c in children),
                                sc + sum(c.total_cycles for c in children), calls, children))
        return tuple(sorted(out, key=lambda c: (-c.total_cycles, c.name)))

    roots = make(kids.get(0, []))
    # Counts attributed at the root itself (before the first block) are kept as a frame.
    if nodes and (nodes[0][2] or nodes[0][3]):
        roots = roots + (CallNode("(before the first block)", nodes[0][2], nodes[0][3], nodes[0][2],
                                  nodes[0][3], 0, ()),)
    prof = CallProfile(firmware=str(firmware.path), instructions=sum(n[2] for n in nodes),
                       cycles=sum(n[3] for n in nodes), roots=roots, functions=(),
                       max_depth=raw.get("max_depth", 0),
                       truncated={k: raw.get(k, 0) for k in ("folded_calls_depth", "folded_calls_nodes",
                                                             "lost_frames", "unmatched_returns")})
    fn: dict[str, list[int]] = {}

    def visit(node: CallNode, above: frozenset):
        d = fn.setdefault(node.name, [0, 0, 0, 0, 0])
        d[0] += node.self_instructions
        d[1] += node.self_cycles
        d[4] += node.calls
        if node.name not in above:
            d[2] += node.total_instructions
            d[3] += node.total_cycles
        for c in node.children:
            visit(c, above | {node.name})
    for r in roots:
        visit(r, frozenset())
    rows = tuple(FunctionRow(k, *v) for k, v in fn.items())
    rows = tuple(sorted(rows, key=lambda f: (-f.self_cycles, f.name)))
    return replace(prof, functions=rows)


# -- writers ------------------------------------------------------------------------------------
def speedscope(p: CallProfile) -> dict:
    """Two sampled profiles over shared frames: cycles and instructions. Each context with
    self counts is one sample (its stack), weighted by them."""
    frames: list[dict] = []
    index: dict[str, int] = {}
    samples, w_cyc, w_ins = [], [], []
    for stack, node in p.walk():
        if not (node.self_cycles or node.self_instructions):
            continue
        ids = []
        for name in stack:
            if name not in index:
                index[name] = len(frames)
                frames.append({"name": name})
            ids.append(index[name])
        samples.append(ids)
        w_cyc.append(node.self_cycles)
        w_ins.append(node.self_instructions)

    def prof(name, weights, total):
        return {"type": "sampled", "name": name, "unit": "none", "startValue": 0, "endValue": total,
                "samples": samples, "weights": weights}
    return {"$schema": SPEEDSCOPE_SCHEMA, "shared": {"frames": frames},
            "profiles": [prof("cycles (estimated)", w_cyc, p.cycles),
                         prof("instructions", w_ins, p.instructions)],
            "name": Path(p.firmware).name, "activeProfileIndex": 0, "exporter": "tinysim"}


def collapsed(p: CallProfile, weight: str = "cycles") -> str:
    """One line per context with self counts: "root;caller;callee count"."""
    key = "self_cycles" if weight == "cycles" else "self_instructions"
    lines = []
    for stack, node in p.walk():
        n = getattr(node, key)
        if n:
            lines.append(";".join(s.replace(";", ":").replace(" ", "_") for s in stack) + f" {n}")
    return "\n".join(lines) + ("\n" if lines else "")


def chrome_trace(p: CallProfile, clock_hz: float) -> dict:
    """Each context as a complete ("X") slice lasting its total cycles at ``clock_hz``, its
    callees inside it one after another, heaviest first: the aggregate, drawn the way
    Perfetto and chrome://tracing draw a trace."""
    events: list[dict] = []
    us = 1e6 / clock_hz

    def lay(node: CallNode, t: int):
        events.append({"name": node.name, "cat": "call", "ph": "X", "ts": round(t * us, 6),
                       "dur": round(node.total_cycles * us, 6), "pid": 1, "tid": 1,
                       "args": {"self_cycles": node.self_cycles, "total_cycles": node.total_cycles,
                                "self_instructions": node.self_instructions,
                                "total_instructions": node.total_instructions, "calls": node.calls}})
        t += node.self_cycles
        for c in node.children:
            lay(c, t)
            t += c.total_cycles
    t = 0
    for r in p.roots:
        lay(r, t)
        t += r.total_cycles
    return {"traceEvents": events, "displayTimeUnit": "ns",
            "otherData": {"firmware": p.firmware, "cycles": p.cycles, "instructions": p.instructions,
                          "clock_hz": clock_hz, "layout": "aggregated calling contexts, not a timeline"}}


def write(p: CallProfile, out: str | Path, clock_hz: float | None = None) -> list[Path]:
    """``out`` (speedscope JSON), the collapsed stacks beside it (``.folded``, cycles) and,
    given the clock, the Perfetto / Chrome trace (``.perfetto.json``)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    folded = out.with_suffix(".folded")
    if folded == out:                     # asked for out.folded: keep the JSON beside it
        out = out.with_suffix(".json")
    out.write_text(json.dumps(speedscope(p), separators=(",", ":")) + "\n")
    folded.write_text(collapsed(p))
    files = [out, folded]
    if clock_hz:
        trace = out.with_name(out.stem + ".perfetto.json")
        trace.write_text(json.dumps(chrome_trace(p, clock_hz), separators=(",", ":")) + "\n")
        files.append(trace)
    return files


def summary(p: CallProfile, n: int = 10) -> dict:
    """The report's part: the run's totals, the top ``n`` by self and by total cycles, truncation."""
    return {"instructions": p.instructions, "cycles": p.cycles, "max_depth": p.max_depth,
            "truncated": dict(p.truncated),
            "top_self": [asdict(f) for f in p.top(n, "self_cycles")],
            "top_total": [asdict(f) for f in p.top(n, "total_cycles")]}
