"""Board support as a product: sdk path/flags, `new app`, APP= builds, schemas, docs, --detail."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tinysim import sdk
from tinysim.cli import main

REPO = Path(__file__).resolve().parent.parent
TINYSIM = [sys.executable, "-m", "tinysim"]


def _cli(*argv, cwd=None):
    return subprocess.run([*TINYSIM, *argv], capture_output=True, text=True, cwd=cwd)


def _need(*tools):
    for t in tools:
        if shutil.which(t) is None:
            pytest.skip(f"{t} is not installed (./scripts/setup.sh installs it)")


# ------------------------------------------------------------------ sdk path / flags


def test_sdk_path_holds_the_board_support():
    out = _cli("sdk", "path")
    assert out.returncode == 0, out.stderr
    root = Path(out.stdout.strip())
    for rel in ("common/tinysim.h", "boards/nano33ble/linker.ld", "boards/hifive1/start.S", "runtime/tsrt.h"):
        assert (root / rel).is_file(), rel
    cmake = Path(_cli("sdk", "path", "--cmake").stdout.strip())
    assert (cmake / "tinysim-toolchain.cmake").is_file()


@pytest.mark.parametrize("board, cc, arch", [
    # the toolchain table in firmware/README.md
    ("nano33ble", "arm-none-eabi-gcc", "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"),
    ("hifive1", "riscv64-unknown-elf-gcc", "-march=rv32imac -mabi=ilp32"),
])
def test_flags_match_the_board(board, cc, arch):
    f = sdk.board_flags(board)
    assert f.cc == cc
    line = " ".join(f.cflags)
    assert arch in line and f"-DBOARD_{board.upper()}=1" in line
    assert arch in " ".join(f.ldflags)
    ld = f.ldflags[f.ldflags.index("-T") + 1]
    assert Path(ld) == sdk.firmware_dir() / "boards" / board / "linker.ld"
    assert all(Path(s).is_file() for s in f.sources)
    names = {Path(s).name for s in f.sources}
    assert {"console.c", "semihost.c", "fmt.c", "string.c", "i2c.c"} <= names and "ticker.c" not in names
    assert "ticker.c" in {Path(s).name for s in sdk.board_flags(board, ticker=True).sources}
    rt = sdk.board_flags(board, runtime=True)
    assert "tsrt_core.c" in {Path(s).name for s in rt.sources} and "-ffp-contract=off" in rt.cflags


def test_flags_cli_prints_selectors_in_order(capsys):
    assert main(["sdk", "flags", "--board", "hifive1", "--cc", "--libs"]) == 0
    assert capsys.readouterr().out.split() == ["riscv64-unknown-elf-gcc", "-lgcc"]
    assert main(["sdk", "flags", "--board", "nano33ble", "--make"]) == 0
    frag = capsys.readouterr().out
    assert "CC := arm-none-eabi-gcc" in frag and "TINYSIM_SOURCES := " in frag


def test_unknown_board_is_a_message_not_a_traceback():
    out = _cli("sdk", "flags", "--board", "uno")
    assert out.returncode == 2
    assert "unknown board 'uno'" in out.stderr and "hifive1, nano33ble" in out.stderr
    assert "Traceback" not in out.stderr


# ------------------------------------------------------------------ new app


@pytest.mark.parametrize("argv, problem", [
    (["new", "app", "x", "--board", "hifive1", "--sensor", "mic"], "hifive1 has no mic sensor modelled"),
    (["new", "app", "9lives", "--board", "nano33ble"], "not a usable app name"),
    (["new", "app", "x", "--board", "uno"], "unknown board 'uno'"),
    (["new", "app", "x", "--board", "nano33ble", "--model", "nope.tflite"], "nope.tflite: model file not found"),
])
def test_new_app_bad_input(tmp_path, argv, problem):
    out = _cli(*argv, "--dir", str(tmp_path))
    assert out.returncode == 2 and problem in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "x").exists()


def test_new_app_refuses_to_overwrite(tmp_path):
    assert _cli("new", "app", "a", "--board", "nano33ble", "--dir", str(tmp_path)).returncode == 0
    (tmp_path / "a" / "main.c").write_text("/* mine */")
    out = _cli("new", "app", "a", "--board", "nano33ble", "--dir", str(tmp_path))
    assert out.returncode == 2 and "already exists" in out.stderr
    assert (tmp_path / "a" / "main.c").read_text() == "/* mine */"


def _run_json(scenario: Path) -> dict:
    out = _cli("run", scenario.name, "--json", cwd=scenario.parent)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr
    return json.loads(out.stdout)


# Each scaffold builds with `make` and its own scenario passes; the UART lines it checks are
# the ones the template prints (e.g. the sensor's ID register the model returns).
@pytest.mark.parametrize("board, extra, checks", [
    ("nano33ble", [], 4),
    ("nano33ble", ["--sensor", "imu"], 7),
    ("nano33ble", ["--sensor", "mic"], 6),
    ("hifive1", ["--sensor", "accel"], 7),
    ("hifive1", ["--model", str(REPO / "models" / "magic_wand.tflite")], 5),
])
def test_scaffold_builds_and_its_scenario_passes(tmp_path, board, extra, checks):
    _need("make", "arm-none-eabi-gcc", "riscv64-unknown-elf-gcc")
    out = _cli("new", "app", "demo", "--board", board, *extra, "--dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    app = tmp_path / "demo"
    env_path = f"{Path(sys.executable).parent}:{__import__('os').environ['PATH']}"
    b = subprocess.run(["make", "-s", f"TINYSIM={sys.executable} -m tinysim"], cwd=app, capture_output=True,
                       text=True, env={**__import__("os").environ, "PATH": env_path})
    assert b.returncode == 0, b.stdout + b.stderr
    r = _run_json(app / "demo.yaml")
    assert r["passed"] and len(r["checks"]) == checks, r["checks"]
    assert r["run"]["platform"] == board and r["run"]["exit_reason"] == "exit"


def test_cmake_build_equals_make_build(tmp_path):
    """The toolchain file takes the same flags as the Makefile: same ELF code, same counts."""
    _need("make", "cmake", "arm-none-eabi-gcc")
    assert _cli("new", "app", "w", "--board", "nano33ble", "--sensor", "imu", "--dir", str(tmp_path)).returncode == 0
    app = tmp_path / "w"
    tool = tmp_path / "bin" / "tinysim"            # the toolchain file runs `tinysim`: this one
    tool.parent.mkdir()
    tool.write_text(f"#!/bin/sh\nexec {sys.executable} -m tinysim \"$@\"\n")
    tool.chmod(0o755)
    subprocess.run(["make", "-s", f"TINYSIM={tool}"], cwd=app, check=True, capture_output=True)
    made = _run_json(app / "w.yaml")["run"]
    shutil.rmtree(app / "build")
    tc = Path(_cli("sdk", "path", "--cmake").stdout.strip()) / "tinysim-toolchain.cmake"
    cfg = subprocess.run(["cmake", "-S", ".", "-B", "build", f"-DCMAKE_TOOLCHAIN_FILE={tc}",
                          "-DTINYSIM_BOARD=nano33ble", f"-DTINYSIM={tool}"], cwd=app, capture_output=True, text=True)
    assert cfg.returncode == 0, cfg.stdout + cfg.stderr
    subprocess.run(["cmake", "--build", "build"], cwd=app, check=True, capture_output=True)
    cm = _run_json(app / "w.yaml")["run"]
    for key in ("instructions", "cycles", "flash_bytes", "uart", "stack_peak_bytes"):
        assert cm[key] == made[key], key


def test_firmware_makefile_builds_an_app_folder_from_anywhere(tmp_path):
    _need("make", "arm-none-eabi-gcc")
    app = tmp_path / "spin"
    app.mkdir()
    # two sources, the ticker from the board support: exits with the tick count
    (app / "main.c").write_text('#include "tinysim.h"\nint ticks_wanted(void);\n'
                                "int main(void) { board_init(); ticker_start(1);\n"
                                "  while (ticker_ms() < (uint32_t)ticks_wanted()) cpu_wfi();\n"
                                '  console_printf("spin: %u ms\\n", (unsigned)ticker_ms()); return 7; }\n')
    (app / "more.c").write_text("int ticks_wanted(void);\nint ticks_wanted(void) { return 5; }\n")
    out = tmp_path / "out"
    b = subprocess.run(["make", "-s", "-C", str(REPO / "firmware"), f"APP={app}", "BOARD=nano33ble",
                        f"BUILD_DIR={out}"], capture_output=True, text=True)
    assert b.returncode == 0, b.stdout + b.stderr
    from tinysim import api
    r = api.run("nano33ble", out / "nano33ble" / "spin.elf", max_time_s=1.0)
    assert (r.exit_reason, r.exit_code, r.uart) == ("exit", 7, "spin: 5 ms\n")


def test_firmware_makefile_app_without_sources_is_a_clear_error(tmp_path):
    _need("make")
    b = subprocess.run(["make", "-s", "-C", str(REPO / "firmware"), f"APP={tmp_path}", "BOARD=hifive1",
                        f"BUILD_DIR={tmp_path / 'out'}"], capture_output=True, text=True)
    assert b.returncode != 0 and "no .c or .S files" in b.stderr


# ------------------------------------------------------------------ schemas and docs


def _validator(kind: str):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the dev extra")
    out = _cli(kind, "schema")
    assert out.returncode == 0, out.stderr
    schema = json.loads(out.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_scenario_schema_accepts_every_shipped_scenario():
    v = _validator("scenario")
    files = sorted((REPO / "scenarios").rglob("*.yaml"))
    assert len(files) >= 10
    for f in files:
        errors = [e.message for e in v.iter_errors(yaml.safe_load(f.read_text()))]
        assert errors == [], f"{f.name}: {errors}"


def test_scenario_schema_rejects_the_broken_scenario():
    v = _validator("scenario")
    # the file tests/test_scenarios.py::test_schema_errors_all_at_once_with_lines uses
    bad = yaml.safe_load("platform: nano33ble\nfirmware: x.elf\nduraton: 2s\nexpect:\n  exit_code: zero\n")
    paths = sorted(".".join(map(str, e.absolute_path)) or e.validator for e in v.iter_errors(bad))
    assert paths == ["additionalProperties", "expect.exit_code"]
    assert list(v.iter_errors({"firmware": "x.elf"}))[0].validator == "required"      # no platform


def test_platform_schema_accepts_the_bundled_boards():
    v = _validator("platform")
    for f in sorted((REPO / "platforms").glob("*.yaml")):
        assert [e.message for e in v.iter_errors(yaml.safe_load(f.read_text()))] == [], f.name
    assert list(v.iter_errors({"name": "x", "arch": "mips"}))


def test_reference_pages_list_every_key(tmp_path):
    from tinysim.sdk import docs
    assert docs.main(["--out", str(tmp_path)]) == 0
    page = (tmp_path / "scenario.md").read_text()
    from tinysim.scenario import ScenarioSpec
    for key in ScenarioSpec.model_fields:
        assert f"| `{key}` |" in page, key
    for key in ("streams[].sensor", "expect.lines[].match", "expect.budgets.flash_bytes"):
        assert f"| `{key}` |" in page, key
    # an example taken from the first shipped scenario that sets the key
    first = next(d for f in sorted((REPO / "scenarios").glob("*.yaml"))
                 if "lines_only" in ((d := yaml.safe_load(f.read_text())).get("expect") or {}))
    row = next(line for line in page.splitlines() if line.startswith("| `expect.lines_only` |"))
    assert row.endswith(f"| `{first['expect']['lines_only']}` |"), row
    assert json.loads((tmp_path / "scenario.schema.json").read_text()) == ScenarioSpec.model_json_schema()


# ------------------------------------------------------------------ platforms --detail


@pytest.mark.parametrize("board", ["nano33ble", "hifive1"])
def test_detail_lists_every_declared_peripheral(board):
    data = yaml.safe_load((REPO / "platforms" / f"{board}.yaml").read_text())
    out = _cli("platforms", "--detail", board)
    assert out.returncode == 0, out.stderr
    for p in data["peripherals"]:
        base = p["base"] if isinstance(p["base"], int) else int(p["base"], 16)
        line = next(ln for ln in out.stdout.splitlines() if ln.strip().startswith(f"{p['name']} ({p['model']})"))
        assert f"{base:#010x}-" in line
    for m in data["memory"]:
        assert any(ln.strip().startswith(m["name"] + " ") for ln in out.stdout.splitlines())


def test_detail_marks_documented_gaps_as_partial():
    from tinysim.sdk.boardinfo import board_rows
    rows = {r.part: r for r in board_rows("hifive1")}
    # the ADXL345 model documents that DATA_FORMAT's justify bit is not modelled
    accel = rows["accel (adxl345)"]
    assert accel.status == "partial" and "not modelled: justify" in accel.notes
    assert rows["uart0 (sifive.uart)"].status == "modelled"


def test_detail_unknown_board():
    out = _cli("platforms", "--detail", "uno")
    assert out.returncode == 2 and "uno" in out.stderr and "Traceback" not in out.stderr


def test_detail_names_chip_peripherals_the_board_does_not_declare(tmp_path):
    """With a chip table beside the platform file, its undeclared peripherals are 'not modelled'."""
    from tinysim.sdk.boardinfo import board_rows
    shutil.copy(REPO / "platforms" / "nano33ble.yaml", tmp_path / "nano33ble.yaml")
    (tmp_path / "chips").mkdir()
    (tmp_path / "chips" / "nrf52840.yaml").write_text(
        "peripherals:\n"
        "  - {name: TWIM0, base: 0x40003000, size: 0x1000}\n"        # declared: twim0
        "  - {name: SAADC, base: 0x40007000, size: 0x1000, description: ADC}\n"
        "  - {name: RADIO, base: 0x40001000, size: 0x1000}\n")
    rows = board_rows(str(tmp_path / "nano33ble.yaml"))
    missing = {r.part: r for r in rows if r.status == "not"}
    assert set(missing) == {"SAADC", "RADIO"}
    assert missing["SAADC"].where == "0x40007000-0x40007fff" and missing["SAADC"].notes == "ADC"
