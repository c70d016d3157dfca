"""Sweeps: one scenario run once per seed x combination of varied fields, scored and summarised.

    from tinysim import sweep
    plan = sweep.plan_sweep("scenarios/magic_wand_ring.yaml", "1-100",
                            ["streams[0].generate.speed=0.8,1.0,1.2"])
    report = sweep.run_sweep(plan, jobs=2)            # or scheduler="tcp://host:8786"
    report["detection"]["accuracy"], report["worst"][0]["command"]

The report is plain data with stable keys and no wall-clock figures: the same plan gives the
same report whatever the number of workers and the order they finish in. Renderers:
``render_text`` (terminal) and ``tinysim.sweep._report.write_html`` (HTML + PNG plots).
"""
from __future__ import annotations

from ._plan import SweepError, SweepPlan, SweepTask, parse_seeds, parse_vary, plan_sweep, reproduce_command
from ._render import render_text, render_verbose
from ._runner import ProgressBar, ground_truth, run_task, run_tasks
from ._score import score_run, summarize


def run_sweep(plan: SweepPlan, *, jobs: int | None = None, scheduler: str | None = None,
              progress=None, worst: int = 5) -> dict:
    """Run every task of the plan and summarise; the throughput is in report['_timing']
    (wall-clock figures, left out of the JSON)."""
    results, wall = run_tasks(plan.tasks, jobs=jobs, scheduler=scheduler, progress=progress)
    report = summarize(plan, results, worst=worst)
    report["_timing"] = {"wall_s": wall, "runs_per_min": len(results) / wall * 60 if wall > 0 else None,
                         "virtual_s_per_wall_s": report["virtual_time_s"] / wall if wall > 0 else None}
    return report


__all__ = ["SweepError", "SweepPlan", "SweepTask", "plan_sweep", "parse_seeds", "parse_vary", "run_sweep",
           "run_task", "run_tasks", "summarize", "score_run", "ground_truth", "render_text", "render_verbose",
           "reproduce_command", "ProgressBar"]
