"""Scenario files: validation, expectations, JUnit, baselines, determinism, the pytest plugin."""
from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tinysim import testing
from tinysim.errors import ScenarioError
from tinysim.scenario import load_scenario, run_scenario

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"


@pytest.fixture(autouse=True)
def _built(build_dir):
    """Scenarios name ELFs under build/: make sure they exist."""


def test_bundled_scenarios_pass():
    results = testing.run_all([SCENARIOS], jobs=2)
    assert results and all(r.passed for r in results), testing.summary_table(results)


def test_must_fail_scenario_fails_for_the_right_reason():
    r = run_scenario(SCENARIOS / "fault_must_fail_hifive1.yaml")
    assert r.passed
    failed = [c for c in r.checks if not c.passed]
    assert [c.name for c in failed] == ["exit reason"] and failed[0].measured == "fault"


def test_schema_errors_all_at_once_with_lines(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("platform: nano33ble\n"
                 "firmware: x.elf\n"
                 "duraton: 2s\n"
                 "expect:\n"
                 "  exit_code: zero\n"
                 "  uart: ['(unclosed']\n")
    with pytest.raises(ScenarioError) as e:
        load_scenario(f)
    text = str(e.value)
    assert f"{f}:3: duraton: unknown key (did you mean 'duration'?)" in text
    assert f"{f}:5: expect.exit_code" in text
    assert f"{f}:6: expect.uart" in text and "bad regex" in text


def test_stream_needs_a_source(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("platform: nano33ble\nfirmware: x.elf\nstreams:\n  - {sensor: imu, channel: taste}\n")
    with pytest.raises(ScenarioError) as e:
        load_scenario(f)
    assert "give exactly one of generate or file" in str(e.value)
    assert "unknown channel 'taste'" in str(e.value)


def test_failing_expectations_name_measured_and_expected(tmp_path):
    f = tmp_path / "tight.yaml"
    f.write_text(f"platform: nano33ble\nfirmware: {REPO}/build/nano33ble/hello.elf\n"
                 "expect:\n  exit_code: 0\n  uart: ['Goodbye']\n  budgets: {flash_bytes: 100, stack_bytes: 16}\n")
    r = run_scenario(f)
    assert not r.passed
    bad = {c.name: c for c in r.checks if not c.passed}
    assert set(bad) == {"uart /Goodbye/", "flash budget", "stack budget"}
    assert bad["flash budget"].measured > 100 and bad["flash budget"].expected == 100


def test_junit_xml(tmp_path):
    results = testing.run_all([SCENARIOS], jobs=1)
    root = ET.fromstring(testing.junit_xml(results))
    assert root.tag == "testsuite" and int(root.get("tests")) == len(results)
    assert {c.get("name") for c in root.iter("testcase")} == {r.name for r in results}


def test_same_scenario_same_report_byte_for_byte():
    a = testing.result_json(run_scenario(SCENARIOS / "imu_still_nano33ble.yaml"))
    b = testing.result_json(run_scenario(SCENARIOS / "imu_still_nano33ble.yaml"))
    assert a == b


def test_baseline_catches_a_regression():
    results = [run_scenario(SCENARIOS / "hello_nano33ble.yaml")]
    base = testing.baseline_of(results)
    assert testing.apply_baseline(results, base, 0.0)[0].passed
    shrunk = {k: {m: int(v * 0.9) for m, v in d.items()} for k, d in base.items()}
    r = testing.apply_baseline(results, shrunk, 0.05)[0]
    assert not r.passed and any(c.name == "baseline cycles" and not c.passed for c in r.checks)


def test_cli_test_command_writes_junit_and_baseline(tmp_path):
    junit, base = tmp_path / "r.xml", tmp_path / "base.json"
    p = subprocess.run([sys.executable, "-m", "tinysim", "test", str(SCENARIOS), "--junit", str(junit),
                        "--baseline", str(base), "--update-baseline"], capture_output=True, text=True, cwd=REPO)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "passed, 0 failed" in p.stdout and junit.is_file()
    assert "hello_nano33ble" in json.loads(base.read_text())
    p = subprocess.run([sys.executable, "-m", "tinysim", "test", str(SCENARIOS), "--baseline", str(base)],
                       capture_output=True, text=True, cwd=REPO)
    assert p.returncode == 0, p.stdout


def test_pytest_plugin_collects_scenarios():
    from importlib.metadata import entry_points
    installed = any(ep.value == "tinysim.pytest_plugin" for ep in entry_points(group="pytest11"))
    plugin = [] if installed else ["-p", "tinysim.pytest_plugin"]     # not pip-installed: load it
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", *plugin, "-p", "no:cacheprovider",
                        str(SCENARIOS)], capture_output=True, text=True, cwd=REPO)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"{len(list(SCENARIOS.glob('*.yaml')))} passed" in p.stdout
