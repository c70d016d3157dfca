"""Trust for CI: no false greens, no tracebacks, firmware that can never crash the tool.

Each test pins one case that used to pass silently or end in a traceback."""
from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tinysim import testing
from tinysim.errors import ScenarioError
from tinysim.scenario import load_scenario, run_scenario

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"
RAM_END = 0x20040000          # nano33ble: 256 KB of RAM at 0x20000000


def tinysim(*args, timeout=300, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "tinysim", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


# -- tiny Cortex-M programs for the nano33ble memory map ------------------------------------------
_ARM_HEAD = """
    .syntax unified
    .cpu cortex-m4
    .thumb
    .section .vectors, "a"
    .word 0x20040000
    .word Reset_Handler
    .rept 13
    .word 0
    .endr
    .word SysTick_Handler
    .text
    .thumb_func
    .global Reset_Handler
Reset_Handler:
"""
_ARM_TAIL = """
exit_ok:
    movs r0, #0x18
    ldr r1, =0x20026
    bkpt 0xab
1:  b 1b
    .ltorg
    .thumb_func
SysTick_Handler:
    bx lr
"""
_ARM_LD = """
MEMORY { FLASH (rx) : ORIGIN = 0x00000000, LENGTH = 1M
         RAM (rwx)  : ORIGIN = 0x20000000, LENGTH = 256K }
ENTRY(Reset_Handler)
SECTIONS { .text : { KEEP(*(.vectors)) *(.text*) } > FLASH
           .data : { *(.data*) } > RAM AT> FLASH }
"""


@pytest.fixture(scope="session")
def arm_prog(tmp_path_factory):
    """arm_prog(body) -> ELF path: ``body`` (Thumb assembly) runs from reset, then the program
    exits through semihosting SYS_EXIT (code 0) if it falls through to ``exit_ok``."""
    import shutil
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed (./scripts/setup.sh installs it)")
    n = [0]

    def build(body: str, extra: str = "") -> Path:
        n[0] += 1
        d = tmp_path_factory.mktemp(f"prog{n[0]}")
        (d / "p.S").write_text(_ARM_HEAD + body + _ARM_TAIL + extra)
        (d / "link.ld").write_text(_ARM_LD)
        out = d / "p.elf"
        r = subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-nostdlib", "-T", "link.ld",
                            "p.S", "-o", str(out)], cwd=d, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return out
    return build


def _scenario(tmp_path, text: str, name="s.yaml") -> Path:
    f = tmp_path / name
    f.write_text(text)
    return f


# A loop that never sleeps and never exits: 64 M instructions per virtual second.
_SPIN = """
    ldr r1, =0x20000000
2:  adds r0, r0, #1
    str r0, [r1]
    b 2b
"""
# Sleeps in WFI, woken by SysTick every 10 ms: virtual time passes at almost no cost.
_SLEEP = """
    ldr r1, =0xE000E010
    ldr r0, =639999
    str r0, [r1, #4]
    movs r0, #7
    str r0, [r1]
2:  wfi
    b 2b
"""

# == False greens ==================================================================================

def test_a_firmware_fault_fails_a_scenario_without_exit_expectation(fw, tmp_path):
    f = _scenario(tmp_path, f"platform: hifive1\nfirmware: {fw('hifive1', 'fault_unmapped')}\n"
                            "expect:\n  uart: ['']\n")
    r = run_scenario(f)
    assert not r.passed
    run = [c for c in r.checks if c.key == "run"]
    assert len(run) == 1 and run[0].measured == "fault" and "load access fault" in run[0].message


def test_a_fault_passes_when_the_scenario_expects_it(fw, tmp_path):
    f = _scenario(tmp_path, f"platform: hifive1\nfirmware: {fw('hifive1', 'fault_unmapped')}\n"
                            "expect:\n  exit_reason: fault\n")
    assert run_scenario(f).passed


def test_a_non_zero_exit_fails_unless_stated(fw, tmp_path):
    f = _scenario(tmp_path, f"platform: nano33ble\nfirmware: {fw('nano33ble', 'exitcode')}\n")
    r = run_scenario(f)
    assert not r.passed and [c.measured for c in r.deciding_failures()] == ["exit code 3"]
    f.write_text(f.read_text() + "expect: {exit_code: 3}\n")
    assert run_scenario(f).passed


def test_wall_limit_fails_and_says_how_far_it_got(arm_prog, tmp_path):
    f = _scenario(tmp_path, f"platform: nano33ble\nfirmware: {arm_prog(_SPIN)}\nduration: 100s\n"
                            "wall_limit: 0.3s\n")
    r = run_scenario(f)
    assert not r.passed and r.run.exit_reason == "wall-limit"
    (c,) = r.deciding_failures()
    assert c.key == "run" and c.message.startswith("wall limit 0.3 s reached at ")
    assert "of 100 s virtual" in c.message
    # how far it got, in the message, is the run's own virtual time
    assert f"{r.run.virtual_time_s:.3g} s of 100 s" in c.message


def test_wall_limit_also_fails_a_must_fail_scenario(arm_prog, tmp_path):
    """A run cut short must not count as "the expected failure happened"."""
    f = _scenario(tmp_path, f"platform: nano33ble\nfirmware: {arm_prog(_SPIN)}\nduration: 100s\n"
                            "wall_limit: 0.3s\nmust_fail: true\nexpect:\n  uart: ['never printed']\n")
    r = run_scenario(f)
    assert not r.passed and [c.key for c in r.deciding_failures()] == ["run"]


def test_max_time_on_the_command_line_applies_to_a_scenario(fw, tmp_path):
    f = _scenario(tmp_path, f"platform: nano33ble\nfirmware: {fw('nano33ble', 'timer')}\nduration: 2s\n")
    p = tinysim("run", f, "--max-time", "5ms", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["run"]["virtual_time_s"] == pytest.approx(0.005, abs=1e-6)


def test_ctrl_c_on_run_scenario_prints_partial_report_and_exits_130(arm_prog, tmp_path):
    body = """
    movs r0, #0x04
    adr r1, msg
    bkpt 0xab
""" + _SPIN + """
    .align 2
msg: .asciz "started\\n"
    .align 2
"""
    f = _scenario(tmp_path, f"platform: nano33ble\nfirmware: {arm_prog(body)}\nduration: 1000s\nwall_limit: null\n")
    out = tmp_path / "out.txt"
    with out.open("w") as o:
        p = subprocess.Popen([sys.executable, "-m", "tinysim", "run", str(f)], cwd=REPO, stdout=o,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(5)                          # a scenario prints its UART at the end: just wait
        p.send_signal(signal.SIGINT)
        _, err = _communicate(p, group=False)
    text = out.read_text()
    assert p.returncode == 130, text + err
    assert "Traceback" not in text + err and "KeyboardInterrupt" not in text + err
    assert "started" in text and "exit            interrupted" in text
    assert "interrupted by the user at " in text and "INTR" in text and "PASS" not in text
    wall = float(text.split("wall time")[1].split()[0])
    assert wall > 0.1                              # the time spent before Ctrl-C, not 0.000


def _communicate(p, group):
    """Wait for an interrupted tinysim; if it does not end, kill it (and its workers) before
    failing, so a failed test leaves no 1000 s scenario running behind it."""
    try:
        return p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        if group:
            os.killpg(p.pid, signal.SIGKILL)
        else:
            p.kill()
        p.communicate()
        raise


def test_ctrl_c_on_test_stops_workers_writes_junit_exits_130(arm_prog, tmp_path):
    elf = arm_prog(_SPIN)
    for i in range(3):
        _scenario(tmp_path, f"platform: nano33ble\nfirmware: {elf}\nduration: 1000s\nwall_limit: null\n",
                  f"long{i}.yaml")
    junit = tmp_path / "reports" / "deep" / "junit.xml"          # folder created by tinysim
    p = subprocess.Popen([sys.executable, "-m", "tinysim", "test", str(tmp_path), "-j", "2", "--junit",
                          str(junit)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    time.sleep(6)
    os.killpg(p.pid, signal.SIGINT)              # as a terminal does: the whole process group
    out, err = _communicate(p, group=True)
    assert p.returncode == 130, out + err
    assert "Traceback" not in out + err and "KeyboardInterrupt" not in out + err
    assert "0 passed, 0 failed, 3 interrupted" in out
    root = ET.parse(junit).getroot()
    assert root.get("tests") == "3" and root.get("errors") == "3"
    assert [e.get("type") for e in root.iter("error")] == ["interrupted"] * 3
    assert all(c.get("time") is not None for c in root.iter("testcase"))
    # no worker left behind
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-g", str(p.pid)], capture_output=True, text=True).stdout.split()
    assert left == []


def test_ctrl_c_reaches_a_run_busy_in_peripheral_callbacks():
    # kws services the PDM and UART through Python callbacks all the time: a KeyboardInterrupt
    # raised inside one is lost by ctypes, so Ctrl-C must stop the run at a block instead
    elf = REPO / "tinysim" / "prebuilt" / "nano33ble" / "kws.elf"
    model = REPO / "tinysim" / "prebuilt" / "models" / "kws.tflite"
    p = subprocess.Popen([sys.executable, "-m", "tinysim", "run", "-p", "nano33ble", "-f", str(elf),
                          "-m", str(model), "--max-time", "1000"], cwd=REPO, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(5)
    p.send_signal(signal.SIGINT)
    out, err = _communicate(p, group=False)
    assert p.returncode == 130, out + err
    assert "Traceback" not in out + err and "KeyboardInterrupt" not in out + err
    assert "exit            interrupted" in out


def test_missing_baseline_is_an_error_before_running(tmp_path):
    p = tinysim("test", SCENARIOS / "hello_nano33ble.yaml", "--baseline", tmp_path / "nope.json")
    assert p.returncode == 2 and "does not exist" in p.stderr and "--update-baseline" in p.stderr
    assert "Traceback" not in p.stderr and p.stdout == ""


@pytest.mark.parametrize("content, says", [("{not json", "not valid JSON"), ("[1, 2]", "not a tinysim baseline"),
                                           ('{"a": {"cycles": "many"}}', "not a tinysim baseline"),
                                           ("\xff\xfe", "not valid JSON")])
def test_corrupt_baseline_is_a_clear_error(tmp_path, content, says):
    b = tmp_path / "b.json"
    b.write_bytes(content.encode("latin-1"))
    p = tinysim("test", SCENARIOS / "hello_nano33ble.yaml", "--baseline", b)
    assert p.returncode == 2 and says in p.stderr and "Traceback" not in p.stderr


# == must_fail =====================================================================================

def test_must_fail_names_the_expectation_that_must_fail(fw, tmp_path):
    hello = fw("nano33ble", "hello")
    base = f"platform: nano33ble\nfirmware: {hello}\nexpect:\n  uart: ['Hello']\n  uart_absent: ['Hello']\n"
    ok = run_scenario(_scenario(tmp_path, base + "must_fail: [uart_absent]\n"))
    assert ok.passed and [c.name for c in ok.expected_failures()] == ["uart absent /Hello/"]
    # naming the wrong one: uart_absent failed without being allowed to, uart passed although it had to fail
    bad = run_scenario(_scenario(tmp_path, base + "must_fail: [uart]\n", "b.yaml"))
    assert not bad.passed
    assert {c.name for c in bad.deciding_failures()} == {"uart absent /Hello/", "must fail: uart"}


def test_must_fail_true_is_refused_when_ambiguous(tmp_path, fw):
    f = _scenario(tmp_path, f"platform: nano33ble\nfirmware: {fw('nano33ble', 'hello')}\nmust_fail: true\n"
                            "expect:\n  uart: ['x']\n  budgets: {flash_bytes: 10}\n")
    with pytest.raises(ScenarioError) as e:
        load_scenario(f)
    assert f"{f}:3: must_fail: must_fail: true but it is ambiguous with 2 expectations (budgets, uart)" \
        in str(e.value)


def test_must_fail_unknown_key_is_a_problem_with_its_line(tmp_path, fw):
    f = _scenario(tmp_path, f"platform: nano33ble\nfirmware: {fw('nano33ble', 'hello')}\n"
                            "expect:\n  uart: ['x']\nmust_fail:\n  - uart\n  - lines\n")
    with pytest.raises(ScenarioError) as e:
        load_scenario(f)
    assert f"{f}:7: must_fail[1]: 'lines' is not an expectation of this scenario; stated: uart" in str(e.value)


def test_must_fail_scenario_cut_short_no_longer_passes(tmp_path):
    """Cut to 10 ms the wrong-order scenario classifies nothing: it must fail, not pass."""
    src = (SCENARIOS / "magic_wand_wrong_order_must_fail.yaml").read_text()
    cut = src.replace("duration: 4s", "duration: 10ms").replace("../", f"{REPO}/")
    assert cut != src
    r = run_scenario(_scenario(tmp_path, cut))
    assert not r.passed and [c.name for c in r.deciding_failures()] == ["uart /gesture: ring p=/"]


# == unclear errors ==================================================================================

def test_scenario_problems_print_on_the_terminal_with_lines(tmp_path):
    f = _scenario(tmp_path, "platform: nano33ble\nfirmware: x.elf\nmodel: nope.tflite\nduraton: 2s\n"
                            "streams:\n  - {sensor: imu, file: gone.csv, rate_hz: 0}\n"
                            "expect:\n  lost_samples_max: -3\n")
    for cmd in (("run", f), ("test", f)):
        p = tinysim(*cmd)
        text = p.stdout + p.stderr
        assert p.returncode == 2, text
        assert f"{f}:4: duraton: unknown key (did you mean 'duration'?)" in text
        assert f"{f}:6: streams[0].rate_hz: must be greater than 0, got 0" in text
        assert f"{f}:8: expect.lost_samples_max: must be greater than or equal to 0, got -3" in text


def test_missing_files_reported_together(tmp_path):
    f = _scenario(tmp_path, "platform: nano33ble\nfirmware: x.elf\nmodel: nope.tflite\n"
                            "streams:\n  - {sensor: imu, file: gone.csv}\n")
    with pytest.raises(ScenarioError) as e:
        load_scenario(f)
    text = str(e.value)
    assert f"{f}:2: firmware: x.elf: no such file" in text
    assert f"{f}:3: model: nope.tflite: no such file" in text
    assert f"{f}:5: streams[0].file: gone.csv: no such file" in text


def test_run_piped_into_head_has_no_broken_pipe_traceback(fw):
    p = subprocess.run(f"{sys.executable} -m tinysim run -p nano33ble -f {fw('nano33ble', 'hello')} | head -1",
                       shell=True, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert p.stdout.strip() and "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr


# == tinysim test: shards, the unit of work =========================================================

def test_shards_are_disjoint_and_cover_everything():
    files = testing.discover([SCENARIOS])
    parts = [testing.shard(files, f"{i}/3") for i in (1, 2, 3)]
    assert sorted(sum(parts, []), key=str) == sorted(files, key=str)
    assert all(set(a).isdisjoint(b) for a in parts for b in parts if a is not b)
    assert parts[0] == testing.shard(list(reversed(files)), "1/3")      # order of discovery is irrelevant
    assert {len(p) for p in parts} <= {len(files) // 3, len(files) // 3 + 1}


@pytest.mark.parametrize("bad", ["0/3", "4/3", "1/0", "a/b", "3"])
def test_bad_shard_is_a_usage_error(bad):
    p = tinysim("test", SCENARIOS, "--shard", bad)
    assert p.returncode == 2 and "--shard" in p.stderr and "Traceback" not in p.stderr


def test_cli_shard_runs_only_its_slice(tmp_path):
    p = tinysim("test", SCENARIOS, "--shard", "2/5", "--junit", tmp_path / "j.xml")
    names = {c.get("name") for c in ET.parse(tmp_path / "j.xml").getroot().iter("testcase")}
    want = {load_scenario(f).name for f in testing.shard(testing.discover([SCENARIOS]), "2/5")}
    assert names == want and p.returncode == 0, p.stdout


def test_unit_of_work_is_picklable_and_deterministic(fw):
    a = run_scenario(SCENARIOS / "hello_nano33ble.yaml")
    b = pickle.loads(pickle.dumps(a))
    assert testing.result_json(a) == testing.result_json(b)


# == pytest plugin ===================================================================================

def test_pytest_plugin_turns_a_broken_scenario_into_a_failing_item(tmp_path, fw):
    from importlib.metadata import entry_points
    (tmp_path / "good.yaml").write_text(f"platform: nano33ble\nfirmware: {fw('nano33ble', 'hello')}\n"
                                        "expect: {uart: ['Hello']}\n")
    (tmp_path / "typo.yaml").write_text(f"platform: nano33ble\nfirmware: {fw('nano33ble', 'hello')}\n"
                                        "expect: {uart: ['Hello']}\nduraton: 1s\n")
    (tmp_path / "unparsable.yaml").write_text("platform: nano33ble\nfirmware: [unclosed\n")
    (tmp_path / "not_a_scenario.yaml").write_text("name: x\narch: arm\ncore: cortex-m4\n")
    installed = any(ep.value == "tinysim.pytest_plugin" for ep in entry_points(group="pytest11"))
    plugin = [] if installed else ["-p", "tinysim.pytest_plugin"]
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", *plugin, "-p", "no:cacheprovider", str(tmp_path)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert p.returncode == 1, p.stdout
    assert "2 failed, 1 passed" in p.stdout
    assert f"{tmp_path / 'typo.yaml'}:4: duraton: unknown key (did you mean 'duration'?)" in p.stdout
    assert f"{tmp_path / 'unparsable.yaml'}:3: YAML syntax error" in p.stdout


# == JUnit that CI servers accept ====================================================================

# The Ant/Jenkins JUnit schema (Jenkins xunit-plugin junit-10.xsd, after Ant's JUnit.xsd), written
# here rather than downloaded, with the testcase additions pytest, GitLab and the Jenkins junit
# plugin read: <properties> first in a testcase, and a `file` attribute.
JUNIT_XSD = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:simpleType name="SUREFIRE_TIME">
    <xs:restriction base="xs:string"><xs:pattern value="(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\\.[0-9]{0,3})?"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="ISO8601_DATETIME_PATTERN">
    <xs:restriction base="xs:dateTime"><xs:pattern value="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"/></xs:restriction>
  </xs:simpleType>
  <xs:element name="failure">
    <xs:complexType mixed="true">
      <xs:attribute name="type" type="xs:string" use="optional"/>
      <xs:attribute name="message" type="xs:string" use="optional"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="error">
    <xs:complexType mixed="true">
      <xs:attribute name="type" type="xs:string" use="optional"/>
      <xs:attribute name="message" type="xs:string" use="optional"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="skipped">
    <xs:complexType mixed="true"><xs:attribute name="message" type="xs:string" use="optional"/></xs:complexType>
  </xs:element>
  <xs:element name="system-out" type="xs:string"/>
  <xs:element name="system-err" type="xs:string"/>
  <xs:element name="property">
    <xs:complexType>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="value" type="xs:string" use="required"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="properties">
    <xs:complexType><xs:sequence><xs:element ref="property" maxOccurs="unbounded"/></xs:sequence></xs:complexType>
  </xs:element>
  <xs:element name="testcase">
    <xs:complexType>
      <xs:sequence>
        <xs:element ref="properties" minOccurs="0" maxOccurs="1"/>
        <xs:element ref="skipped" minOccurs="0" maxOccurs="1"/>
        <xs:element ref="error" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element ref="failure" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element ref="system-out" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element ref="system-err" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="assertions" type="xs:string" use="optional"/>
      <xs:attribute name="time" type="SUREFIRE_TIME" use="required"/>
      <xs:attribute name="classname" type="xs:string" use="required"/>
      <xs:attribute name="status" type="xs:string" use="optional"/>
      <xs:attribute name="file" type="xs:string" use="optional"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testsuite">
    <xs:complexType>
      <xs:sequence>
        <xs:element ref="properties" minOccurs="0" maxOccurs="1"/>
        <xs:element ref="testcase" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element ref="system-out" minOccurs="0" maxOccurs="1"/>
        <xs:element ref="system-err" minOccurs="0" maxOccurs="1"/>
      </xs:sequence>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="failures" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="errors" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="time" type="SUREFIRE_TIME" use="required"/>
      <xs:attribute name="disabled" type="xs:string" use="optional"/>
      <xs:attribute name="skipped" type="xs:nonNegativeInteger" use="optional"/>
      <xs:attribute name="timestamp" type="ISO8601_DATETIME_PATTERN" use="required"/>
      <xs:attribute name="hostname" use="required">
        <xs:simpleType><xs:restriction base="xs:token"><xs:minLength value="1"/></xs:restriction></xs:simpleType>
      </xs:attribute>
      <xs:attribute name="id" type="xs:string" use="optional"/>
      <xs:attribute name="package" type="xs:string" use="optional"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""


def _junit_for(tmp_path, fw, arm_prog):
    """A suite with a pass, a failure, an error (bad file) and a wall-limit cut."""
    d = tmp_path / "suite"
    d.mkdir()
    timer = fw("nano33ble", "timer")
    _scenario(d, f"platform: nano33ble\nfirmware: {arm_prog(_SLEEP)}\nduration: 2s\n", "a_pass.yaml")
    _scenario(d, f"platform: nano33ble\nfirmware: {timer}\nduration: 10ms\nexpect: {{uart: ['nothing like this']}}\n",
              "b_fail.yaml")
    _scenario(d, "platform: nano33ble\nfirmware: nope.elf\n", "c_error.yaml")
    _scenario(d, f"platform: nano33ble\nfirmware: {arm_prog(_SPIN)}\nduration: 100s\nwall_limit: 0.2s\n",
              "d_cut.yaml")
    junit = tmp_path / "out" / "j.xml"
    p = tinysim("test", d, "--junit", junit, "-j", "1")
    assert p.returncode == 2, p.stdout + p.stderr               # c_error is a bad scenario file
    return junit


def test_junit_validates_against_the_ant_jenkins_schema(tmp_path, fw, arm_prog):
    from lxml import etree
    junit = _junit_for(tmp_path, fw, arm_prog)
    schema = etree.XMLSchema(etree.fromstring(JUNIT_XSD.encode()))
    doc = etree.parse(str(junit))
    assert schema.validate(doc), schema.error_log
    # the schema can fail: a suite without timestamp/hostname does not validate
    root = doc.getroot()
    del root.attrib["hostname"]
    assert not schema.validate(doc)


def test_junit_time_is_wall_time_and_virtual_time_is_a_property(tmp_path, fw, arm_prog):
    root = ET.parse(_junit_for(tmp_path, fw, arm_prog)).getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    a = cases["a_pass"]
    props = {p.get("name"): p.get("value") for p in a.find("properties")}
    assert float(props["virtual_time_s"]) == pytest.approx(2.0)
    assert float(a.get("time")) < 2.0                          # 2 s of virtual time takes far less wall
    # errored cases have a time; the suite has timestamp, hostname and its own wall time
    assert cases["c_error"].find("error") is not None and cases["c_error"].get("time") is not None
    assert root.get("hostname") and root.get("timestamp")
    assert float(root.get("time")) >= sum(float(c.get("time")) for c in cases.values()) * 0.5
    # the subset GitLab's and GitHub's JUnit readers use: counts agree with the cases, every
    # failure/error has a message, time parses as seconds
    assert int(root.get("tests")) == len(cases) == 4
    assert int(root.get("failures")) == len(root.findall("testcase/failure")) == 2      # b_fail, d_cut
    assert int(root.get("errors")) == len(root.findall("testcase/error")) == 1
    for c in cases.values():
        float(c.get("time"))
        assert c.get("classname") and c.get("name")
        for bad in c.findall("failure") + c.findall("error"):
            assert bad.get("message") and bad.text
    assert "wall limit 0.2 s reached at" in cases["d_cut"].find("failure").text


# == firmware-controlled input: platform-level ======================================================

def test_access_to_an_unmodelled_peripheral_names_it(arm_prog):
    from tinysim import api
    elf = arm_prog("""
    ldr r1, =0x40008000      @ nRF52840 TIMER0: on the chip, not modelled
    movs r0, #1
    str r0, [r1]
""")
    r = api.run("nano33ble", elf, max_time_s=0.01)
    assert r.exit_reason == "fault" and r.fault.address == 0x40008000
    assert "write to unmapped address 0x40008000" in r.fault.description
    assert "TIMER0 (0x40008000-0x40008fff) is a peripheral of the nrf52840 that tinysim does not model" \
        in r.fault.description


def test_a_real_bad_pointer_is_not_blamed_on_a_peripheral(arm_prog):
    from tinysim import api
    r = api.run("nano33ble", arm_prog("ldr r1, =0x60000000\n movs r0, #1\n str r0, [r1]\n"), max_time_s=0.01)
    assert r.exit_reason == "fault" and "not model" not in r.fault.description


def test_chip_tables_are_sorted_disjoint_and_cover_the_declared_peripherals():
    """The tables are data typed from the manuals: check them against what the boards declare
    (every declared peripheral and memory lies in a chip entry) and for overlaps."""
    from tinysim.platform import load_platform
    for board in ("nano33ble", "hifive1"):
        plat = load_platform(board)
        table = plat.chip_peripherals()
        assert len(table) >= 20
        spans = sorted((c.base, c.base + c.size, c.name) for c in table)
        for (a0, a1, an), (b0, b1, bn) in zip(spans, spans[1:]):
            assert a1 <= b0, f"{an} overlaps {bn}"
        for p in plat.peripherals:
            assert any(c.base <= p.base < c.base + c.size for c in table), p.name


# == firmware-controlled input: semihosting ==========================================================

def _semi(op: int, param_setup: str) -> str:
    return f"""
    {param_setup}
    movs r0, #{op:#x}
    bkpt 0xab
"""


def test_write0_of_a_string_ending_at_the_last_byte_of_ram(arm_prog):
    from tinysim import api
    elf = arm_prog(f"""
    ldr r1, ={RAM_END - 3:#x}
    movs r0, #'h'
    strb r0, [r1]
    movs r0, #'i'
    strb r0, [r1, #1]
    movs r0, #0
    strb r0, [r1, #2]
    movs r0, #4
    bkpt 0xab
""")
    r = api.run("nano33ble", elf, max_time_s=0.01)
    assert r.exit_reason == "exit" and r.exit_code == 0 and r.uart == "hi"


@pytest.mark.parametrize("name, body, address", [
    ("SYS_WRITE0", "ldr r1, =0x60000000", 0x60000000),                       # not mapped at all
    ("SYS_WRITE0", f"ldr r1, ={RAM_END - 1:#x}\n movs r0, #'x'\n strb r0, [r1]", RAM_END - 1),  # no NUL
    ("SYS_WRITEC", "ldr r1, =0xFFFFFFF0", 0xFFFFFFF0),
    ("SYS_WRITE", "ldr r1, =0x20000000\n movs r0, #1\n str r0, [r1]\n str r1, [r1, #4]\n"
                  "ldr r0, =0x7fffffff\n str r0, [r1, #8]", 0x20000000),            # length 0x7fffffff
    ("SYS_WRITE", f"ldr r1, ={RAM_END - 4:#x}", RAM_END),                     # block runs off RAM
    ("SYS_EXIT_EXTENDED", f"ldr r1, ={RAM_END - 4:#x}", RAM_END),
    ("SYS_ELAPSED", "ldr r1, =0x00000100", 0x100),                           # flash is not writable
])
def test_semihosting_bad_pointers_are_firmware_faults(arm_prog, name, body, address):
    from tinysim import api
    from tinysim.engines.builtin._semihost import NAMES
    op = {v: k for k, v in NAMES.items()}[name]
    elf = arm_prog(f"{body}\n movs r0, #{op:#x}\n bkpt 0xab\n")
    r = api.run("nano33ble", elf, max_time_s=0.01)
    assert r.exit_reason == "fault", r
    assert r.fault.kind == "semihosting-bad-pointer" and r.fault.address == address
    assert r.fault.description.startswith(f"semihosting {name} at PC ")
    assert "ram 0x20000000-0x20040000" in r.fault.description


def test_unknown_semihosting_op_returns_minus_one(arm_prog):
    from tinysim import api
    # exit code = (r0 == -1) ? 0 : 7, through SYS_EXIT_EXTENDED
    elf = arm_prog("""
    movs r0, #0x99
    bkpt 0xab
    adds r0, r0, #1
    beq exit_ok
    ldr r1, =0x20000000
    ldr r0, =0x20026
    str r0, [r1]
    movs r0, #7
    str r0, [r1, #4]
    movs r0, #0x20
    bkpt 0xab
""")
    r = api.run("nano33ble", elf, max_time_s=0.01)
    assert (r.exit_reason, r.exit_code) == ("exit", 0)
    assert r.notes == ("semihosting op 0x99 not supported, called 1 time",)


# == Cortex-M state ==================================================================================

def test_bx_to_an_even_address_is_an_invstate_usage_fault(arm_prog):
    """On silicon (and QEMU) BX with bit 0 clear leaves Thumb state: the next instruction raises
    UsageFault INVSTATE, escalated to HardFault when UsageFault is disabled."""
    from tinysim import api
    elf = arm_prog("""
    ldr r0, =target
    bic r0, r0, #1
    bx r0
    .thumb_func
target:
    b exit_ok
""")
    r = api.run("nano33ble", elf, max_time_s=0.01)
    assert r.exit_reason == "fault", (r.exit_reason, r.detail)
    assert "CFSR.INVSTATE" in r.fault.decoded and "HFSR.FORCED" in r.fault.decoded


def test_stack_symbols_outside_ram_are_a_clear_error(arm_prog, tmp_path):
    elf = arm_prog("", extra="""
    .global __StackLimit, __StackTop
    .set __StackLimit, 0x30000000
    .set __StackTop, 0x30001000
""")
    p = tinysim("run", "-p", "nano33ble", "-f", elf)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "stack symbols __StackLimit=0x30000000 and __StackTop=0x30001000 lie outside the RAM of platform " \
           "nano33ble (ram 0x20000000-0x2003ffff)" in p.stderr


@pytest.mark.parametrize("access, kind", [("str r0, [r1]", "write"), ("ldr r0, [r1]", "read")])
def test_ram_past_its_declared_end_faults_despite_page_rounding(arm_prog, tmp_path, access, kind):
    """A 10 KB RAM is mapped as 12 KB of pages: the last 2 KB must still fault."""
    from tinysim import api
    plat = (REPO / "platforms" / "nano33ble.yaml").read_text().replace(
        "{name: ram,   kind: ram,   base: 0x20000000, size: 256K}", "{name: ram,   kind: ram,   base: 0x20000000, size: 10K}")
    assert "size: 10K" in plat
    (tmp_path / "small.yaml").write_text(plat)
    inside = arm_prog(f"ldr r1, ={0x20000000 + 10 * 1024 - 4:#x}\n {access}\n")
    assert api.run(tmp_path / "small.yaml", inside, max_time_s=0.01).exit_reason == "exit"
    past = arm_prog(f"ldr r1, ={0x20000000 + 10 * 1024:#x}\n {access}\n")
    r = api.run(tmp_path / "small.yaml", past, max_time_s=0.01)
    assert r.exit_reason == "fault" and r.fault.address == 0x20002800
    assert f"{kind} of unmapped address 0x20002800" in r.fault.description or \
        f"{kind} to unmapped address 0x20002800" in r.fault.description
    assert r.fault.function == "Reset_Handler+0x2"           # the accessing instruction, not the next


# == streams that do not fit their sensor ===========================================================

def test_csv_missing_a_column_says_which(fw, tmp_path):
    (tmp_path / "a.csv").write_text("t,ax_g,ay_g\n0,0,0\n0.01,0.1,0\n0.02,0.2,0\n")
    f = _scenario(tmp_path, f"platform: nano33ble\nfirmware: {fw('nano33ble', 'imu')}\nduration: 50ms\n"
                            "streams:\n  - {sensor: imu, channel: accel, file: a.csv}\n")
    p = tinysim("run", f)
    assert p.returncode == 2 and "Traceback" not in p.stdout + p.stderr and "IndexError" not in p.stdout
    assert f"{f}:5: streams[0]: accel needs 3 data columns (x, y, z); a.csv has 2: ax, ay" in p.stderr


def test_stereo_wav_into_the_microphone_is_refused_with_a_hint(fw, tmp_path):
    import wave
    with wave.open(str(tmp_path / "st.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 2 * 1600)
    f = _scenario(tmp_path, f"platform: nano33ble\nfirmware: {fw('nano33ble', 'mic')}\nduration: 50ms\n"
                            "streams:\n  - {sensor: mic, channel: pcm, file: st.wav}\n")
    r = run_scenario(f)
    assert r.error_kind == "config"
    assert "pcm needs 1 data column (one); st.wav has 2" in r.error and "columns:" in r.error


def test_model_with_a_firmware_that_does_not_run_models_is_an_error(fw):
    p = tinysim("run", "-p", "nano33ble", "-m", REPO / "models" / "magic_wand.tflite", "-f", fw("nano33ble", "hello"))
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "does not run models: it has no tsrt_results struct and no tsrt runtime" in p.stderr


def test_nan_input_for_an_int8_model_is_refused(tmp_path):
    import numpy as np
    x = np.full((1, 64, 3), np.nan, dtype=np.float32)          # the magic wand model takes int8
    np.save(tmp_path / "x.npy", x)
    p = tinysim("run", "-p", "nano33ble", "-m", REPO / "models" / "magic_wand.tflite", "-i", tmp_path / "x.npy")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "dtype float32, but the model's input is int8" in p.stderr


# == findings of the fuzz campaigns (tests/fuzz), pinned ===========================================

def test_control_character_in_yaml_is_a_problem_with_its_line(tmp_path):
    from tinysim.platform import load_platform
    from tinysim.errors import PlatformError
    f = tmp_path / "b.yaml"
    f.write_bytes(b"name: x\narch: arm\x00\n")
    with pytest.raises(PlatformError) as e:
        load_platform(f)
    assert f"{f}:2: character 0x00 is not allowed in YAML" in str(e.value)


def test_corrupt_wav_and_npy_headers_are_stream_errors(tmp_path):
    from tinysim import streams
    from tinysim.streams.stream import StreamError
    (tmp_path / "z.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x00\x00"
                                     b"\x80\x3e\x00\x00\x00\x7d\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00")
    (tmp_path / "z.npy").write_bytes(b"\x93NUMPY\x01\x00v\x00z'descr': '<f8', }" + b" " * 100 + b"\n")
    for name in ("z.wav", "z.npy"):
        with pytest.raises(StreamError):
            streams.load(tmp_path / name, rate_hz=100.0)


def test_legacy_uart0_polling_txdrdy_prints_instead_of_spinning(arm_prog):
    """nRF52840 UART0 (ENABLE=4) shares UARTE0's instance: TXD then poll EVENTS_TXDRDY."""
    from tinysim import api
    elf = arm_prog("""
    ldr r1, =0x40002000
    movs r0, #4
    str r0, [r1, #0x500]      @ ENABLE = UART
    movs r0, #1
    str r0, [r1, #0x008]      @ TASKS_STARTTX
    adr r2, text
1:  ldrb r0, [r2], #1
    cbz r0, 3f
    str r0, [r1, #0x51C]      @ TXD
2:  ldr r3, [r1, #0x11C]      @ EVENTS_TXDRDY
    cmp r3, #0
    beq 2b
    movs r3, #0
    str r3, [r1, #0x11C]
    b 1b
    .align 2
text: .asciz "legacy\\n"
    .align 1
3:
""")
    r = api.run("nano33ble", elf, max_time_s=0.01)
    assert (r.exit_reason, r.uart) == ("exit", "legacy\n"), (r.exit_reason, r.detail)


# == Python API ======================================================================================

def test_step_after_run_returns_and_counts_exactly(fw):
    """step() after run() used to spin forever at 100 % CPU: run()'s translated blocks ignore
    Unicorn's count=1, so a polling loop never returned."""
    import subprocess as sp
    code = f"""
from tinysim import api
with api.open_board("nano33ble", {str(fw("nano33ble", "timer"))!r}) as b:
    b.run(max_time_s=0.002)
    i0 = b.counters().instructions
    b.step(10)
    print(b.counters().instructions - i0)
    b.run(max_time_s=0.004)
    print(round(b.counters().virtual_time_s, 6))
"""
    p = sp.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["10", "0.004"]


def test_step_while_asleep_in_wfi_returns(arm_prog):
    from tinysim import api
    with api.open_board("nano33ble", arm_prog(_SLEEP)) as b:
        assert b.run(max_time_s=0.005).reason == "time-limit"
        t0 = time.time()
        b.step(4)
        assert time.time() - t0 < 10


def test_nan_input_for_a_float_model_runs_and_the_report_says_so(tmp_path):
    import numpy as np
    from tinysim.model_corpus import CASES
    c = CASES["tanh_f32"](np.random.default_rng(2))
    (tmp_path / "m.tflite").write_bytes(c.model)
    x = np.array(c.inputs[0], dtype=np.float32)
    x.flat[0] = np.nan
    np.save(tmp_path / "x.npy", x)
    p = tinysim("run", "-q", "-p", "nano33ble", "-m", tmp_path / "m.tflite", "-i", tmp_path / "x.npy")
    assert p.returncode in (0, 1) and "Traceback" not in p.stderr, p.stderr
    assert f"input {tmp_path / 'x.npy'} (holds NaN/Inf)" in p.stdout


def test_stepping_over_wfi_sleeps_to_the_next_event(arm_prog):
    """SysTick every 10 ms (639,999 + 1 cycles at 64 MHz) and a WFI loop: stepping over the
    WFI lets virtual time pass to the tick, as the core would sleep; the next steps run the
    SysTick handler. Stepping with nothing that can wake the core ends as idle, at once."""
    from tinysim import api
    with api.open_board("nano33ble", arm_prog(_SLEEP)) as b:
        for _ in range(40):                 # up to the first WFI
            b.step(1)
            if b.counters().virtual_time_s >= 0.009:
                break
        assert b.counters().virtual_time_s >= 0.009, "a step over WFI let no time pass"
    with api.open_board("nano33ble", arm_prog("2:  wfi\n    b 2b\n")) as b:
        t0 = time.time()
        stops = [b.step(1).reason for _ in range(4)]
        assert "idle" in stops and time.time() - t0 < 10
