"""Per-core instruction timing tables (data), used to estimate cycles from instructions."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from ..errors import EngineError

TIMING_DIR = Path(__file__).parent
_EXPR = re.compile(r"^\s*(\d+)\s*(?:\+\s*N)?\s*(?:\+\s*P)?\s*$")


@dataclass(frozen=True)
class Cost:
    base: int
    per_register: bool = False     # "+N": one more cycle per register transferred
    refill: bool = False           # "+P": pipeline refill of a taken branch


@dataclass(frozen=True)
class TimingTable:
    core: str
    pipeline_refill: int
    conditional_branch: int
    default: int
    costs: dict[str, Cost]
    source: str
    # Cycles from an instruction's issue until a dependent instruction can issue, for
    # instructions whose result comes later than the next cycle (E31: loads, MUL, CSR reads);
    # an instruction using the result sooner stalls. Decided per block at decode time.
    latency: dict[str, int] = None
    predictor: dict | None = None      # E31 branch predictor: BHT/BTB/RAS sizes, penalty
    taken_penalty: int = 0             # Cortex-M4 conditional branch: P cycles more when taken
    unaligned_target: int = 0          # Cortex-M4: a taken branch to a 32-bit instruction at a
                                       # halfword address adds this
    # Instruction cache in front of slow code memory: size_bytes, ways, line_bytes, cached
    # ([start, end) addresses), enabled_at_reset, miss_cycles (the line fill at reset; the
    # board's memory-system model recomputes it from the registers firmware writes),
    # uncached_line_cycles (a line fetched with the cache disabled), count_at_reset.
    icache: dict | None = None
    # Published silicon measurements and the model's figures for the same workloads:
    # (workload, silicon cycles, model cycles, source). Not part of the costs (repr, compare).
    silicon_checks: tuple = field(default=(), repr=False, compare=False)

    def silicon_summary(self) -> str:
        """How the model compares with silicon where that was measured, for the report."""
        checks = self.silicon_checks
        if not checks:
            return "not checked against silicon"
        errors = sorted((model - silicon) / silicon * 100 for _, silicon, model, _ in checks)
        n = f"{len(checks)} published silicon loop measurement{'s' if len(checks) > 1 else ''}"
        if errors[0] == errors[-1] == 0:
            return f"matches {n} exactly"
        lo, hi = (f"{e:+.1f} %" for e in (errors[0], errors[-1]))
        return f"{lo} to {hi} against {n}"

    def cost(self, name: str, nregs: int = 0, conditional: bool = False) -> int:
        c = self.costs.get(name)
        if c is None:
            return self.default
        if c.refill and conditional:
            return self.conditional_branch
        return c.base + (nregs if c.per_register else 0) + (self.pipeline_refill if c.refill else 0)


def _parse_cost(value, where: str) -> Cost:
    if isinstance(value, int):
        return Cost(value)
    m = _EXPR.match(str(value))
    if not m:
        raise EngineError(f"{where}: cost {value!r} is not an integer or 'K+N', 'K+P', 'K+N+P'")
    s = str(value)
    return Cost(int(m.group(1)), "N" in s, "P" in s)


@lru_cache(maxsize=None)
def load_timing(name: str) -> TimingTable:
    path = TIMING_DIR / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in TIMING_DIR.glob("*.yaml")))
        raise EngineError(f"no timing table named {name!r}", hint=f"known tables: {known}")
    data = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: ~20x faster
    costs: dict[str, Cost] = {}
    latency: dict[str, int] = {}
    for cls, spec in data.get("classes", {}).items():
        cost = _parse_cost(spec["cost"], f"{path.name}: {cls}")
        for insn in spec["insns"]:
            costs[insn] = cost
            if "latency" in spec:
                latency[insn] = int(spec["latency"])
    bp = data.get("branch_predictor")
    if bp is not None:
        need = ("bht_entries", "btb_entries", "ras_entries", "mispredict_penalty")
        missing = [k for k in need if not isinstance(bp.get(k), int)]
        if missing:
            raise EngineError(f"{path.name}: branch_predictor lacks integer {', '.join(missing)}")
        bp = {k: bp[k] for k in need}
    ic = data.get("icache")
    if ic is not None:
        need = ("size_bytes", "ways", "line_bytes", "enabled_at_reset")
        missing = [k for k in need if not isinstance(ic.get(k), (int, bool))]
        cached = ic.get("cached")
        if missing or not (isinstance(cached, list) and len(cached) == 2):
            raise EngineError(f"{path.name}: icache lacks integer {', '.join(missing) or 'cached: [start, end]'}")
        ic = {k: (tuple(v) if isinstance(v, list) else v) for k, v in ic.items() if k != "source"}
    return TimingTable(core=data["core"], pipeline_refill=int(data.get("pipeline_refill", 1)),
                       conditional_branch=int(data.get("conditional_branch", 2)),
                       default=int(data.get("default", 1)), costs=costs, source=str(path),
                       latency=latency, predictor=bp,
                       taken_penalty=int(data.get("taken_penalty", 0)),
                       unaligned_target=int(data.get("unaligned_target", 0)), icache=ic,
                       silicon_checks=_silicon_checks(data.get("silicon_checks", []), path))


def _silicon_checks(items, path: Path) -> tuple:
    out = []
    for i, c in enumerate(items):
        if not (isinstance(c, dict) and isinstance(c.get("silicon"), int) and c["silicon"] > 0
                and isinstance(c.get("model"), int) and c.get("workload") and c.get("source")):
            raise EngineError(f"{path.name}: silicon_checks[{i}] needs workload, source and "
                              "positive integer silicon and model cycles")
        out.append((str(c["workload"]), c["silicon"], c["model"], str(c["source"])))
    return tuple(out)
