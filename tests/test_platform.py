from __future__ import annotations

import json
from pathlib import Path

import pytest

from tinysim.errors import ConfigError, PlatformError, Problem, TinysimError
from tinysim.platform import (
    PLATFORMS_DIR,
    Platform,
    list_platforms,
    load_platform,
    platform_schema,
    schema_text,
)

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "tinysim" / "schemas" / "platform.schema.json"

# A small valid ARM board. Line numbers matter: tests below refer to them.
GOOD = """\
name: testboard
arch: arm
core: cortex-m4
clock_hz: 64MHz
timing: cortex-m4
renode_platform: platforms/cpus/nrf52840.repl
vector_table: 0x0
memory:
  - name: flash
    kind: flash
    base: 0x0
    size: 1M
  - name: ram
    kind: ram
    base: 0x20000000
    size: 256K
peripherals:
  - {name: gpio, model: nrf52840.gpio, base: 0x50000000, size: 0x300}
leds:
  - {name: led, peripheral: gpio, pin: 13}
"""


def write(tmp_path: Path, text: str, name: str = "board.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems_of(tmp_path: Path, text: str) -> tuple[Problem, ...]:
    path = write(tmp_path, text)
    with pytest.raises(PlatformError) as info:
        load_platform(path)
    assert info.value.problems, str(info.value)
    return info.value.problems


# --------------------------------------------------------------------------- bundled boards


def test_bundled_boards_are_listed():
    assert {"nano33ble", "hifive1"} <= set(list_platforms())
    assert PLATFORMS_DIR.is_dir()


def test_nano33ble_loads():
    p = load_platform("nano33ble")
    assert isinstance(p, Platform)
    assert (p.name, p.arch, p.core, p.clock_hz) == ("nano33ble", "arm", "cortex-m4f", 64_000_000)
    assert p.vector_table == 0 and p.reset_address is None
    assert p.timing == "cortex-m4"
    assert p.renode_platform == "platforms/boards/arduino_nano_33_ble.repl"
    flash, ram = p.memory
    assert (flash.kind, flash.base, flash.size) == ("flash", 0, 1 << 20)
    assert (ram.kind, ram.base, ram.size, ram.end) == ("ram", 0x20000000, 256 << 10, 0x20040000)
    assert [x.name for x in p.peripherals] == ["clock", "twim0", "pdm", "uarte0", "gpio_p0", "gpio_p1"]
    uarte = p.peripheral("uarte0")
    assert (uarte.model, uarte.base, uarte.size, uarte.irq) == ("nrf52840.uarte", 0x40002000, 0x1000, 2)
    assert p.peripheral("gpio_p1").options == {"port": 1}
    assert p.peripheral("gpio_p0").irq is None
    leds = {l.name: (l.peripheral, l.pin, l.active_low) for l in p.leds}
    assert leds == {"led_builtin": ("gpio_p0", 13, False), "led_red": ("gpio_p0", 24, True),
                    "led_green": ("gpio_p0", 16, True), "led_blue": ("gpio_p0", 6, True)}
    assert Path(p.source) == (PLATFORMS_DIR / "nano33ble.yaml").resolve()


def test_hifive1_loads():
    p = load_platform("hifive1")
    assert (p.arch, p.core, p.clock_hz, p.timing) == ("riscv", "e31", 320_000_000, "sifive-e31")
    assert p.reset_address == 0x20010000 and p.vector_table is None
    assert p.region_at(0x20010000).kind == "flash"
    assert p.region_at(0x80000000 + 16 * 1024 - 1).name == "dtim"
    assert p.region_at(0x80000000 + 16 * 1024) is None
    assert p.peripheral("clint").options["timebase_hz"] == 32768
    assert [(p.peripheral(n).base, p.peripheral(n).irq) for n in ("uart0", "uart1")] == \
        [(0x10013000, 3), (0x10023000, 4)]
    assert {(l.name, l.pin, l.active_low) for l in p.leds} == \
        {("led_red", 22, True), ("led_green", 19, True), ("led_blue", 21, True)}


def test_load_by_path_and_defaults(tmp_path):
    text = GOOD.replace("name: testboard\n", "")
    p = load_platform(write(tmp_path, text, "myboard.yaml"))
    assert p.name == "myboard"  # defaults to the file name
    assert p.leds[0].active_low is False
    assert p.region_at(0x1000).name == "flash"
    assert p.peripheral_at(0x50000004).name == "gpio"
    assert p.peripheral_at(0x40000000) is None
    hash(p)  # frozen and hashable despite the options mapping


def test_platform_is_frozen():
    p = load_platform("nano33ble")
    with pytest.raises(AttributeError):
        p.clock_hz = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.peripheral("gpio_p0").options["port"] = 3  # type: ignore[index]


def test_unknown_peripheral_lookup():
    with pytest.raises(PlatformError, match=r"no peripheral 'uart9'.*uarte0"):
        load_platform("nano33ble").peripheral("uart9")


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(("text", "expected"), [
    ("0x20000000", 0x20000000), ("0X1_0000", 0x10000), ("256K", 256 * 1024), ("1M", 1 << 20),
    ("4MiB", 4 << 20), ("16 KB", 16 << 10), ("4096", 4096),
])
def test_size_forms(tmp_path, text, expected):
    p = load_platform(write(tmp_path, GOOD.replace("size: 256K", f"size: {text}")))
    assert p.memory[1].size == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("64MHz", 64_000_000), ("320 MHz", 320_000_000), ("32.768kHz", 32768), ("16000000", 16_000_000),
    ("1Hz", 1),
])
def test_frequency_forms(tmp_path, text, expected):
    p = load_platform(write(tmp_path, GOOD.replace("clock_hz: 64MHz", f"clock_hz: {text}")))
    assert p.clock_hz == expected


def test_bad_hex_points_at_line(tmp_path):
    (problem,) = problems_of(tmp_path, GOOD.replace("base: 0x20000000", "base: 0x2000000G"))
    assert (problem.line, problem.key) == (15, "memory[1].base")
    assert "0x2000000G" in problem.message and "hex" in problem.message


@pytest.mark.parametrize(("old", "new", "key"), [
    ("size: 1M", "size: 1Q", "memory[0].size"),
    ("size: 1M", "size: -1", "memory[0].size"),
    ("clock_hz: 64MHz", "clock_hz: fast", "clock_hz"),
    ("clock_hz: 64MHz", "clock_hz: true", "clock_hz"),
    ("clock_hz: 64MHz", "clock_hz: 6.4e+7", "clock_hz"),  # floats: not in the schema either
    ("pin: 13", "pin: '13'", "leds[0].pin"),  # strict: no silent str -> int
    ("pin: 13", "pin: 40", "leds[0].pin"),
    ("pin: 13}", "pin: 13, active_low: 'yes'}", "leds[0].active_low"),
    ("kind: ram", "kind: sram", "memory[1].kind"),
    ("model: nrf52840.gpio", "model: gpio", "peripherals[0].model"),
    ("name: ram", "name: 2ram", "memory[1].name"),
])
def test_bad_values(tmp_path, old, new, key):
    assert old in GOOD
    problems = problems_of(tmp_path, GOOD.replace(old, new))
    assert [p.key for p in problems] == [key], problems


# --------------------------------------------------------------------------- shape errors


def test_misspelt_key_reports_file_line_and_key(tmp_path):
    path = write(tmp_path, GOOD.replace("clock_hz:", "clok_hz:"))
    with pytest.raises(PlatformError) as info:
        load_platform(path)
    err = info.value
    assert isinstance(err, ConfigError) and isinstance(err, TinysimError)
    keys = {p.key: p for p in err.problems}
    assert set(keys) == {"clok_hz", "clock_hz"}  # unknown one, and the required one now missing
    typo = keys["clok_hz"]
    assert (typo.file, typo.line) == (str(path), 4)
    assert "unknown key" in typo.message and "did you mean 'clock_hz'" in typo.message
    assert str(typo) == f"{path}:4: clok_hz: {typo.message}"
    assert str(err).startswith(f"{path}: 2 problems\n")
    assert f"{path}:4: clok_hz: unknown key" in str(err)


def test_nested_unknown_key_lists_allowed(tmp_path):
    (problem,) = problems_of(tmp_path, GOOD.replace("    kind: ram\n", "    kind: ram\n    speed: 1\n"))
    assert (problem.key, problem.line) == ("memory[1].speed", 15)
    assert "allowed here: name, kind, base, size" in problem.message


def test_several_problems_at_once(tmp_path):
    text = (GOOD.replace("core: cortex-m4", "cpu: cortex-m4")
                .replace("kind: flash", "kind: eeprom")
                .replace("    base: 0x20000000\n", "")
                .replace("pin: 13", "pin: thirteen"))
    problems = problems_of(tmp_path, text)
    got = {(p.key, p.line) for p in problems}
    assert got == {("cpu", 3), ("core", 1), ("memory[0].kind", 10), ("memory[1].base", 13),
                   ("leds[0].pin", 19)}, problems
    missing = next(p for p in problems if p.key == "memory[1].base")
    assert "missing" in missing.message


def test_duplicate_key(tmp_path):
    (problem,) = problems_of(tmp_path, GOOD + "arch: riscv\n")
    assert (problem.key, problem.line, problem.message) == ("arch", 21, "duplicate key")


def test_yaml_syntax_error_has_line(tmp_path):
    text = GOOD.replace("  - {name: gpio, model", "  - {name: gpio model: [")
    path = write(tmp_path, text)
    with pytest.raises(PlatformError) as info:
        load_platform(path)
    (problem,) = info.value.problems
    assert problem.file == str(path) and problem.line is not None and 18 <= problem.line <= 19
    assert "YAML syntax error" in problem.message
    assert "invalid YAML" in str(info.value)


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "required key is missing"),
    ("- a\n- b\n", "expected a mapping"),
    ("memory: {name: ram}\n", "expected a list"),
])
def test_wrong_document_shape(tmp_path, text, fragment):
    problems = problems_of(tmp_path, text)
    assert any(fragment in p.message for p in problems), problems


# --------------------------------------------------------------------------- cross-field rules


def test_overlapping_regions(tmp_path):
    (problem,) = problems_of(tmp_path, GOOD.replace("base: 0x20000000", "base: 0x80000"))
    assert (problem.key, problem.line) == ("memory[1].base", 15)
    assert "overlaps memory[0] flash" in problem.message


def test_peripheral_overlapping_memory(tmp_path):
    (problem,) = problems_of(tmp_path, GOOD.replace("base: 0x50000000", "base: 0x20000100"))
    assert problem.key == "peripherals[0].base" and "overlaps memory[1] ram" in problem.message


def test_duplicate_names_and_zero_size(tmp_path):
    text = GOOD.replace("- name: ram", "- name: flash").replace("size: 0x300", "size: 0")
    problems = problems_of(tmp_path, text)
    assert {p.key for p in problems} == {"memory[1].name", "peripherals[0].size"}


def test_region_past_address_space(tmp_path):
    (problem,) = problems_of(tmp_path, GOOD.replace("base: 0x20000000", "base: 0xFFFF0000"))
    assert problem.key == "memory[1].size" and "32-bit" in problem.message


def test_arch_must_match_core(tmp_path):
    (problem,) = problems_of(tmp_path, GOOD.replace("core: cortex-m4", "core: e31"))
    assert problem.key == "arch" and "RISC-V core" in problem.message


def test_unknown_core(tmp_path):
    (problem,) = problems_of(tmp_path, GOOD.replace("core: cortex-m4", "core: pentium"))
    assert problem.key == "core" and "unknown core" in problem.message


def test_arm_needs_vector_table(tmp_path):
    text = GOOD.replace("vector_table: 0x0", "reset_address: 0x100")
    problems = problems_of(tmp_path, text)
    assert {p.key for p in problems} == {"vector_table", "reset_address"}


def test_vector_table_must_be_in_memory_and_aligned(tmp_path):
    assert problems_of(tmp_path, GOOD.replace("vector_table: 0x0", "vector_table: 0x10000000"))[0].key \
        == "vector_table"
    (problem,) = problems_of(tmp_path, GOOD.replace("vector_table: 0x0", "vector_table: 0x40"))
    assert "aligned" in problem.message


def test_riscv_reset_address_must_be_in_memory(tmp_path):
    text = (GOOD.replace("arch: arm", "arch: riscv").replace("core: cortex-m4", "core: rv32imac")
                .replace("vector_table: 0x0", "reset_address: 0x30000000"))
    (problem,) = problems_of(tmp_path, text)
    assert (problem.key, problem.line) == ("reset_address", 7)
    assert "not inside any memory region" in problem.message


def test_riscv_rejects_vector_table(tmp_path):
    text = GOOD.replace("arch: arm", "arch: riscv").replace("core: cortex-m4", "core: e31")
    problems = problems_of(tmp_path, text)
    assert {p.key for p in problems} == {"vector_table", "reset_address"}


def test_led_needs_existing_gpio(tmp_path):
    (problem,) = problems_of(tmp_path, GOOD.replace("peripheral: gpio", "peripheral: gpio9"))
    assert problem.key == "leds[0].peripheral" and "GPIO peripherals: gpio" in problem.message
    text = GOOD.replace("model: nrf52840.gpio", "model: nrf52840.uarte")
    (problem,) = problems_of(tmp_path, text)
    assert "not a GPIO peripheral" in problem.message


def test_needs_ram(tmp_path):
    (problem,) = problems_of(tmp_path, GOOD.replace("kind: ram", "kind: rom"))
    assert problem.key == "memory" and "ram" in problem.message


# --------------------------------------------------------------------------- lookup errors


def test_unknown_board_lists_available():
    with pytest.raises(PlatformError) as info:
        load_platform("nano33")
    msg = str(info.value)
    assert "unknown platform 'nano33'" in msg
    assert "hifive1" in msg and "nano33ble" in msg
    assert "did you mean 'nano33ble'" in msg


def test_missing_file(tmp_path):
    with pytest.raises(PlatformError, match="file not found"):
        load_platform(tmp_path / "nope.yaml")


def test_directory_is_not_a_file(tmp_path):
    (tmp_path / "d.yaml").mkdir()
    with pytest.raises(PlatformError, match="is a directory"):
        load_platform(tmp_path / "d.yaml")


def test_not_utf8(tmp_path):
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(PlatformError, match="not UTF-8"):
        load_platform(path)


# --------------------------------------------------------------------------- schema and errors


def test_schema_file_is_up_to_date():
    assert SCHEMA_FILE.read_text() == schema_text(), (
        "tinysim/schemas/platform.schema.json is stale: regenerate it with "
        "`python -m tinysim.platform --schema > tinysim/schemas/platform.schema.json`")


def test_schema_describes_the_model():
    schema = platform_schema()
    assert schema["additionalProperties"] is False
    assert {"arch", "core", "clock_hz", "memory"} <= set(schema["required"])
    assert json.loads(SCHEMA_FILE.read_text())["$defs"]["MemorySpec"]["additionalProperties"] is False


def test_error_strings():
    e = TinysimError("engine stopped", hint="raise the limit")
    assert (e.message, e.hint, str(e)) == ("engine stopped", "raise the limit",
                                           "engine stopped\n  hint: raise the limit")
    assert str(TinysimError("x")) == "x"
    p = Problem("f.yaml", None, "a.b", "bad")
    assert str(p) == "f.yaml: a.b: bad"
    c = ConfigError("f.yaml: 1 problem", [p])
    assert c.problems == (p,) and str(c) == "f.yaml: 1 problem\n  f.yaml: a.b: bad"


# --------------------------------------------------------------------------- what the engine can run

def test_unaligned_memory_base_is_a_problem_not_a_unicorn_error(tmp_path):
    (problem,) = problems_of(tmp_path, GOOD.replace("base: 0x20000000", "base: 0x20000001"))
    assert (problem.key, problem.line) == ("memory[1].base", 15)
    assert "0x20000001 is not aligned to 4 KB" in problem.message


def test_known_core_the_engine_does_not_emulate_is_refused(tmp_path):
    (problem,) = problems_of(tmp_path, GOOD.replace("core: cortex-m4", "core: cortex-m55"))
    assert (problem.key, problem.line) == ("core", 3)
    assert "'cortex-m55' is not emulated by tinysim" in problem.message and "cortex-m4f" in problem.message


def test_irq_beyond_the_nvic_is_refused(tmp_path):
    text = GOOD.replace("size: 0x300}", "size: 0x300, irq: 64}")
    (problem,) = problems_of(tmp_path, text)
    assert (problem.key, problem.line) == ("peripherals[0].irq", 18)
    assert "IRQ 64 is beyond the 64 interrupt lines" in problem.message
    load_platform(write(tmp_path, GOOD.replace("size: 0x300}", "size: 0x300, irq: 63}"), "ok.yaml"))


def test_plic_source_out_of_range_is_refused(tmp_path):
    text = (Path(__file__).resolve().parent.parent / "platforms" / "hifive1.yaml").read_text().replace("irq: 3}", "irq: 53}")
    problems = problems_of(tmp_path, text)
    assert [p.key for p in problems] == ["peripherals[4].irq"]
    assert "PLIC source 53 is outside 1-52" in problems[0].message
