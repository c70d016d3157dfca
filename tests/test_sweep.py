"""tinysim sweep: plans, ground truth, scoring, determinism, reports, the CLI and Dask on loopback."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tinysim import streams, sweep
from tinysim.scenario import DetectSpec, load_scenario, run_scenario
from tinysim.streams import Label
from tinysim.sweep._plan import set_path, variant
from tinysim.sweep._score import detection_summary, score_run, stats

ROOT = Path(__file__).resolve().parents[1]
WAND = ROOT / "build/nano33ble/magic_wand.elf"
VIB = ROOT / "build/nano33ble/vibration.elf"
needs_fw = pytest.mark.skipif(not (WAND.is_file() and VIB.is_file()),
                              reason="firmware not built (make -C firmware)")

WAND_YAML = f"""\
name: wand_sweep
platform: nano33ble
firmware: {WAND}
model: {ROOT / 'models/magic_wand.tflite'}
seed: 11
duration: 11s
streams:
  - sensor: imu
    channel: accel
    rate_hz: 200
    generate: {{type: gesture, gesture: [ring, wing, slope], repeat: 3, lead_s: 1.0, gap_s: 2.0, noise: 0.01}}
detect: {{match: "^gesture: (\\\\w+)", label: 1}}
expect:
  lost_samples_max: 0
"""

VIB_YAML = f"""\
name: vib_sweep
platform: nano33ble
firmware: {VIB}
model: {ROOT / 'models/anomaly.tflite'}
seed: 3
duration: 0.8s
streams:
  - sensor: imu
    channel: accel
    rate_hz: 3000
    generate: {{type: vibration, rpm: 2950, imbalance: 0.04, bearing_fault: 0.12, noise: 0.006, offset: [0, 0, 1]}}
detect: {{match: "^ALARM", label: fault, events: [bearing_fault]}}
expect:
  values:
    - {{match: "vibration: score=(\\\\d+)", min: 300}}
"""


@pytest.fixture
def wand(tmp_path):
    p = tmp_path / "wand.yaml"
    p.write_text(WAND_YAML)
    return p


@pytest.fixture
def vib(tmp_path):
    p = tmp_path / "vib.yaml"
    p.write_text(VIB_YAML)
    return p


# --------------------------------------------------------------------------- plans


def test_seeds_and_vary_parse():
    assert sweep.parse_seeds("1-3,7,2") == (1, 2, 3, 7)
    assert sweep.parse_vary(["streams[0].generate.offset=[0,0,1],[0,1,0]", "duration=1s,2"]) == (
        ("streams[0].generate.offset", ([0, 0, 1], [0, 1, 0])), ("duration", ("1s", 2)))
    for bad, why in (("5-1", "backwards"), ("x", "not a seed")):
        with pytest.raises(sweep.SweepError, match=why):
            sweep.parse_seeds(bad)
    for bad, why in (("speed", "PATH=V1"), ("a..b=1", "cannot read"), ("seed=1,2", "--seeds"), ("a=1,,2", "empty")):
        with pytest.raises(sweep.SweepError, match=why):
            sweep.parse_vary([bad])


def test_set_path_creates_mappings_and_refuses_shorthand():
    data = {"streams": [{"generate": {"type": "gesture"}}, {"generate": "sine(freq=2)"}]}
    set_path(data, "streams[0].generate.jitter.speed", 0.2)
    assert data["streams"][0]["generate"]["jitter"] == {"speed": 0.2}
    with pytest.raises(sweep.SweepError, match="shorthand"):
        set_path(data, "streams[1].generate.freq_hz", 3)
    with pytest.raises(sweep.SweepError, match="no item 5"):
        set_path(data, "streams[5].generate.noise", 3)


@needs_fw
def test_plan_orders_tasks_and_rejects_bad_values_before_running(wand):
    plan = sweep.plan_sweep(wand, "1-2", ["streams[0].generate.speed=0.8,1.2"])
    assert [(t.index, t.seed, t.vary) for t in plan.tasks] == [
        (0, 1, (("streams[0].generate.speed", 0.8),)), (1, 2, (("streams[0].generate.speed", 0.8),)),
        (2, 1, (("streams[0].generate.speed", 1.2),)), (3, 2, (("streams[0].generate.speed", 1.2),))]
    with pytest.raises(sweep.SweepError, match=r"(?s)streams\[0\].generate.speed=-1.*must be > 0"):
        sweep.plan_sweep(wand, "1", ["streams[0].generate.speed=1,-1"])
    with pytest.raises(sweep.SweepError, match="spede"):
        sweep.plan_sweep(wand, "1", ["streams[0].generate.spede=1"])


# --------------------------------------------------------------------------- ground truth


def test_vibration_labels_each_component_with_its_amplitude():
    s = streams.generate({"type": "vibration", "rpm": 1800, "imbalance": 0.03, "bearing_fault": 0.2},
                         seed=1, rate_hz=1000, duration_s=1.5)
    assert s.labels == (Label(0.0, 1.5, "imbalance", 0.03), Label(0.0, 1.5, "bearing_fault", 0.2))
    healthy = streams.generate({"type": "vibration", "rpm": 1800, "imbalance": 0}, seed=1, rate_hz=1000,
                               duration_s=1)
    assert healthy.labels == ()
    # window and concat keep the severity
    assert s.window(0.5, 0.5).labels[1] == Label(0.5, 1.0, "bearing_fault", 0.2)


@needs_fw
def test_ground_truth_is_what_the_run_was_fed(wand):
    sc = variant(load_scenario(wand), 5, (("streams[0].generate.speed", 1.3),))
    want = streams.generate({"type": "gesture", "gesture": ["ring", "wing", "slope"], "repeat": 3, "lead_s": 1.0,
                             "gap_s": 2.0, "noise": 0.01, "speed": 1.3}, seed=5, rate_hz=200, duration_s=11,
                            unit="g").labels
    assert sweep.ground_truth(sc) == list(want)
    assert [lb.name for lb in want] == ["ring", "wing", "slope"] and want[0].start_s == 1.0


# --------------------------------------------------------------------------- scoring


def _det(**kw):
    return DetectSpec.model_validate({"match": r"^g: (\w+)", "label": 1, "within": 1.0} | kw)


def test_score_run_kinds_latency_and_idle_time():
    labels = [Label(1.0, 2.0, "ring"), Label(4.0, 5.0, "wing"), Label(7.0, 8.0, "slope"), Label(9.5, 9.9, "ring")]
    lines = [(0.0, "boot"), (2.5, "g: ring"), (2.7, "g: ring"), (4.5, "g: ring"), (6.5, "g: wing"),
             (6.6, "other")]
    s = score_run(_det(), lines, labels, duration_s=10.0)
    assert [(d["t_s"], d["kind"]) for d in s["detections"]] == [
        (2.5, "hit"), (2.7, "duplicate"), (4.5, "wrong"), (6.5, "false")]
    assert s["detections"][0]["latency_s"] == 1.5
    assert [e["status"] for e in s["events"]] == ["hit", "wrong", "miss", "cut_off"]
    # windows [1,3] [4,6] [7,9] [9.5,10]: 6.5 s busy of 10
    assert s["idle_s"] == pytest.approx(3.5)
    summary = detection_summary([{"score": s}])
    cm = summary["confusion"]
    assert cm["labels"] == ["ring", "slope", "wing", "(none)"]
    assert cm["matrix"] == [[1, 0, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0]]
    assert summary["per_class"]["ring"] | {} == {"events": 1, "detections": 2, "correct": 1, "precision": 0.5,
                                                 "recall": 1.0}
    assert (summary["events"], summary["correct"], summary["misses"], summary["cut_off"]) == (3, 1, 1, 1)
    assert summary["false_per_idle_minute"] == pytest.approx(1 / (3.5 / 60), rel=1e-5)


def test_fixed_label_matches_any_event_and_repeats_are_not_mistakes():
    det = DetectSpec.model_validate({"match": "ALARM", "label": "fault", "events": ["bearing_fault"]})
    labels = [Label(0, 2, "imbalance", 0.04), Label(0, 2, "bearing_fault", 0.1)]
    s = score_run(det, [(0.3, "ALARM"), (0.5, "ALARM")], labels, 2.0)
    assert [(d["kind"], d["label"]) for d in s["detections"]] == [("hit", "bearing_fault"),
                                                                  ("repeat", "bearing_fault")]
    healthy = score_run(det, [(0.3, "ALARM")], labels[:1], 2.0)
    summary = detection_summary([{"score": s}, {"score": healthy}])
    assert (summary["false_alarm_runs"], summary["runs_without_events"], summary["repeats"]) == (1, 1, 1)
    assert summary["by_severity"] == {"bearing_fault": [{"severity": 0.1, "events": 1, "detected": 1,
                                                         "rate": 1.0}]}


def test_stats_nearest_rank():
    assert stats(list(range(1, 101))) == {"n": 100, "min": 1, "median": 50, "p99": 99, "max": 100}
    assert stats([]) is None


def test_detect_key_is_validated():
    with pytest.raises(ValueError, match="no group 2"):
        DetectSpec.model_validate({"match": r"g: (\w+)", "label": 2})


# --------------------------------------------------------------------------- runs


@needs_fw
def test_sweep_scores_match_the_runs_and_do_not_depend_on_workers(wand):
    # speed 3 (gestures drawn in a third of the time) makes mistakes, so there are worst runs
    plan = sweep.plan_sweep(wand, "11,1", ["streams[0].generate.speed=1.0,3.0"])
    one = sweep.run_sweep(plan, jobs=1)
    two = sweep.run_sweep(plan, jobs=2)
    one.pop("_timing"), two.pop("_timing")
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)
    # each detection is a UART line of the same scenario run on its own
    r = run_scenario(variant(load_scenario(wand), 1, ()))
    lines = [(round(t, 6), text.split()[1]) for t, text in r.run.uart_lines if text.startswith("gesture:")]
    got = one["results"][1]["score"]["detections"]
    assert [(d["t_s"], d["label"]) for d in got] == lines
    assert one["runs"] == 4 and one["passed"] + one["failed"] + one["errors"] == 4
    d = one["detection"]
    assert d["events"] == 12 and d["correct"] + d["misses"] + sum(
        1 for res in one["results"] for e in res["score"]["events"] if e["status"] == "wrong") == 12
    assert one["worst"] and {w["vary"]["streams[0].generate.speed"] for w in one["worst"]} == {3.0}
    assert one["worst"][0]["command"].startswith(f"tinysim sweep {wand} --seeds ")


@needs_fw
def test_cli_sweep_report_json_and_errors(vib, tmp_path, capsys):
    from tinysim.cli import main
    out = tmp_path / "r.html"
    code = main(["sweep", str(vib), "--seeds", "1-2", "--vary", "streams[0].generate.bearing_fault=0,0.12",
                 "--jobs", "1", "--json", "--report", str(out)])
    rep = json.loads(capsys.readouterr().out)
    assert code == 0 and rep["runs"] == 4
    # healthy runs score under the threshold: the min:300 expectation fails exactly there
    assert [r["passed"] for r in rep["results"]] == [False, False, True, True]
    assert rep["detection"]["runs_without_events"] == 2 and rep["detection"]["events"] == 2
    pngs = sorted(p.name for p in tmp_path.glob("r-*.png"))
    assert pngs == ["r-by_vary.png", "r-confusion.png", "r-latency.png", "r-severity.png", "r-timeline.png"] or \
        pngs == ["r-by_vary.png", "r-confusion.png", "r-latency.png", "r-severity.png"]
    assert all((tmp_path / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    html = out.read_text()
    assert html.count("data:image/png;base64,") == len(pngs) and "<script" not in html
    assert main(["sweep", str(vib), "--seeds", "1", "--vary", "streams[0].generate.nope=1"]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "Traceback" not in err


# --------------------------------------------------------------------------- Dask on loopback


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs_fw
@pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                    reason="distributed not installed (pip install 'tinysim[sweep]')")
def test_dask_cluster_gives_the_local_json(vib, tmp_path):
    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    if dask is None:
        pytest.skip("the `dask` command is not installed (pip install 'tinysim[sweep]')")
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard", "--no-show"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, cwd=tmp_path, start_new_session=True)]
    try:
        for _ in range(2):
            procs.append(subprocess.Popen([dask, "worker", addr, "--nworkers", "1", "--nthreads", "1",
                                           "--no-dashboard", "--local-directory", str(tmp_path)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          cwd=tmp_path, start_new_session=True))
        from distributed import Client
        with Client(addr, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
            assert len(c.scheduler_info()["workers"]) == 2
        # 0.4 s: one alarm or none per run, enough to tell runs apart; the test is about where they ran
        plan = sweep.plan_sweep(vib, "1-10", ["streams[0].generate.bearing_fault=0,0.12", "duration=0.4s"])
        assert len(plan.tasks) == 20
        remote = sweep.run_sweep(plan, scheduler=addr)
        local = sweep.run_sweep(plan, jobs=1)
        remote.pop("_timing"), local.pop("_timing")
        assert json.dumps(remote, sort_keys=True) == json.dumps(local, sort_keys=True)
    finally:       # each process leads its own group: a worker's nanny and its child go together
        for p in reversed(procs):
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
            for _ in range(100):          # until the whole group (the nanny's worker too) is gone
                try:
                    os.killpg(p.pid, signal.SIGKILL if _ == 99 else 0)
                except ProcessLookupError:
                    break
                time.sleep(0.2)
            p.wait()


def test_workers_inherit_the_engine_and_schema_imported_before_they_fork():
    code = ("import sys; from tinysim.sweep._runner import _preload; _preload(); "
            "print(all(m in sys.modules for m in ('tinysim.engines.builtin', 'tinysim.scenario', "
            "'tflite_micro.python.tflite_micro.runtime', "
            "'tflite_micro.tensorflow.lite.micro.python.schema_py_generated')))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert p.stdout.strip() == "True", p.stderr


def test_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("distributed")
    start = time.perf_counter()
    with pytest.raises(sweep.SweepError, match="cannot reach the Dask scheduler"):
        sweep._runner.run_dask([], f"tcp://127.0.0.1:{_free_port()}", connect_timeout="3s")
    assert time.perf_counter() - start < 60


def test_progress_bar_only_on_a_terminal():
    import io

    class Tty(io.StringIO):
        def isatty(self):
            return True
    quiet, tty = io.StringIO(), Tty()
    for stream in (quiet, tty):
        bar = sweep.ProgressBar(stream, width=10)
        bar(5, 10)
        bar(10, 10)
    assert quiet.getvalue() == ""
    assert "\r[#####.....] 5/10 runs" in tty.getvalue() and tty.getvalue().endswith("\n")
    assert "[##########] 10/10 runs" in tty.getvalue()


@needs_fw
def test_verbose_replays_one_run_with_its_ground_truth(vib, capsys):
    from tinysim.cli import main
    assert main(["sweep", str(vib), "--seeds", "2", "--verbose"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("run 0: seed 2: PASS")
    assert "truth     0.000-0.800 s  bearing_fault severity 0.12: hit" in out
    assert "uart" in out and "ALARM: vibration anomaly" in out


def test_report_files_are_the_same_bytes_for_the_same_report(tmp_path):
    from tinysim.sweep._plan import SweepPlan
    from tinysim.sweep._report import write_html
    from tinysim.sweep._score import summarize
    det = _det()
    labels = [Label(1.0, 2.0, "ring"), Label(4.0, 5.0, "wing")]
    results = []
    for i, (speed, lines) in enumerate([(0.8, [(2.5, "g: ring")]), (1.2, [(2.5, "g: ring"), (5.5, "g: ring")])]):
        results.append({"index": i, "seed": 1, "vary": {"speed": speed}, "passed": i == 0, "error": None,
                        "failed_checks": [] if i == 0 else ["lines"], "virtual_time_s": 10.0,
                        "metrics": {"cycles_per_inference": 1000 + i}, "score": score_run(det, lines, labels, 10.0)})
    plan = SweepPlan("s.yaml", (1,), (("speed", (0.8, 1.2)),), ())
    rep = summarize(plan, results)
    assert rep["by_vary"]["speed"][1] | {} == {"value": 1.2, "runs": 1, "passed": 0, "pass_rate": 0.0, "events": 2,
                                               "correct": 1, "accuracy": 0.5, "misses": 0, "wrong": 1,
                                               "false_detections": 0, "duplicates": 0, "false_alarm_rate": None}
    assert [w["index"] for w in rep["worst"]] == [1, 0]
    a, b = tmp_path / "a", tmp_path / "b"
    files_a = write_html(rep, a / "r.html")
    files_b = write_html(rep, b / "r.html")
    assert [f.name for f in files_a] == ["r.html", "r-confusion.png", "r-by_vary.png", "r-latency.png",
                                         "r-timeline.png"]
    for fa, fb in zip(files_a, files_b):
        assert fa.read_bytes() == fb.read_bytes(), fa.name


@needs_fw
def test_ground_truth_of_a_recording_is_its_labels(tmp_path):
    rec = streams.generate({"type": "gesture", "gesture": "ring", "lead_s": 0.5}, seed=2, rate_hz=200, unit="g")
    streams.save(rec, tmp_path / "ring.npy")
    p = tmp_path / "rec.yaml"
    p.write_text(WAND_YAML.split("streams:")[0] + "streams:\n  - {sensor: imu, channel: accel, file: ring.npy}\n")
    assert sweep.ground_truth(load_scenario(p)) == list(rec.labels) and rec.labels[0].name == "ring"
