"""Every parser of a user file gets mutated inputs: a TinysimError (a clear message) or a valid
result, never another exception, a crash or a hang."""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tinysim.errors import TinysimError

sys.path.insert(0, str(Path(__file__).parent))
from conftest import no_hang  # noqa: E402
from strategies import NASTY, mutated_bytes, mutated_tree  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
TMP = Path(tempfile.mkdtemp(prefix="tinysim-fuzz-"))


def _write(name: str, data: bytes) -> Path:
    p = TMP / name
    p.write_bytes(data)
    return p


def clean(fn, *args, **kw):
    """Run a parser: a TinysimError or a value is fine; anything else fails the example."""
    with no_hang():
        try:
            return fn(*args, **kw)
        except TinysimError as e:
            assert str(e).strip(), "an error without a message"
            return None


# -- ELF loader --------------------------------------------------------------------------------------
def _elf_seed() -> bytes:
    p = REPO / "build" / "nano33ble" / "hello.elf"
    if not p.is_file():
        pytest.skip(f"{p} not built (make -C firmware)")
    return p.read_bytes()


@pytest.fixture(scope="module")
def elf_seed():
    return _elf_seed()


def test_elf_loader(elf_seed):
    from tinysim.elf import load_elf

    @given(mutated_bytes(elf_seed, head=4096))
    def run(data):
        fw = clean(load_elf, _write("fw.elf", data), "arm")
        if fw is not None:                                 # a valid result is usable
            fw.symbol("main")
            fw.function_at(0x100)
    run()


# -- platform and scenario YAML -----------------------------------------------------------------------
PLATFORM_TEXT = (REPO / "platforms" / "nano33ble.yaml").read_text()
SCENARIO_TEXT = (REPO / "scenarios" / "magic_wand_wrong_order_must_fail.yaml").read_text().replace(
    "../", f"{REPO}/")


@given(st.one_of(mutated_bytes(PLATFORM_TEXT.encode()),
                 mutated_tree(yaml.safe_load(PLATFORM_TEXT)).map(lambda t: yaml.safe_dump(t).encode())))
def test_platform_yaml(data):
    from tinysim.platform import load_platform
    p = clean(load_platform, _write("board.yaml", data))
    if p is not None:
        assert p.memory and all(r.size > 0 for r in p.memory)


@given(st.one_of(mutated_bytes(SCENARIO_TEXT.encode()),
                 mutated_tree(yaml.safe_load(SCENARIO_TEXT)).map(lambda t: yaml.safe_dump(t).encode())))
def test_scenario_yaml(data):
    from tinysim.scenario import load_scenario
    s = clean(load_scenario, _write("s.yaml", data))
    if s is not None:
        assert s.spec.platform


# -- stream readers ------------------------------------------------------------------------------------
def _stream_seeds() -> dict[str, bytes]:
    from tinysim import streams
    out = {".csv": (REPO / "scenarios" / "data" / "tilt.csv").read_bytes()}
    st_ = streams.generate({"type": "gesture", "gesture": "ring"}, seed=1, rate_hz=100.0, duration_s=0.3)
    for ext in (".npy", ".resd"):
        streams.save(st_, TMP / f"seed{ext}")
        out[ext] = (TMP / f"seed{ext}").read_bytes()
    if (TMP / "seed.npy.json").exists():
        out[".npy.json"] = (TMP / "seed.npy.json").read_bytes()
    import wave
    with wave.open(str(TMP / "seed.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.arange(-400, 400, dtype=np.int16).tobytes())
    out[".wav"] = (TMP / "seed.wav").read_bytes()
    return out


SEEDS = _stream_seeds()


@pytest.mark.parametrize("ext", [".csv", ".wav", ".npy", ".resd"])
def test_stream_readers(ext):
    from tinysim import streams

    @given(mutated_bytes(SEEDS[ext], head=64), st.sampled_from([None, 100.0]))
    def run(data, rate):
        p = _write(f"in{ext}", data)
        if ext == ".npy" and ".npy.json" in SEEDS:
            (TMP / "in.npy.json").write_bytes(SEEDS[".npy.json"])
        s = clean(streams.load, p, rate_hz=rate)
        if s is not None:
            assert s.data.ndim == 2 and s.rate_hz > 0
    run()


# -- baseline JSON ------------------------------------------------------------------------------------
def _fake_result():
    from tinysim.scenario import ScenarioResult
    return ScenarioResult("hello", "hello.yaml", True, (), metrics={"cycles": 1000, "flash_bytes": 2000})


JSON = st.recursive(NASTY, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                  st.dictionaries(st.text(max_size=6), kids, max_size=3)),
                    max_leaves=8)


@given(st.one_of(JSON.map(lambda v: json.dumps(v).encode()),
                 mutated_bytes(json.dumps({"hello": {"cycles": 1000, "flash_bytes": 2000}}).encode()),
                 st.dictionaries(st.sampled_from(["hello", "x"]),
                                 st.dictionaries(st.sampled_from(["cycles", "flash_bytes", "ram_bytes"]),
                                                 NASTY, max_size=3), max_size=2)
                 .map(lambda v: json.dumps(v).encode())))
def test_baseline_json(data):
    from tinysim import testing
    base = clean(testing.load_baseline, _write("base.json", data))
    if base is not None:
        with no_hang():
            (r,) = testing.apply_baseline([_fake_result()], base, 0.05)
        assert isinstance(r.passed, bool)
