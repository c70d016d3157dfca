"""Bring your own firmware: run --stream (same report as the scenario form) and the whole flow
from a wheel installed in a fresh virtual environment, with no checkout in sight."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tinysim import streams
from tinysim.cli_streams import parse_stream_option, short_spec

REPO = Path(__file__).resolve().parent.parent
TINYSIM = [sys.executable, "-m", "tinysim"]


def _cli(*argv, cwd=None):
    return subprocess.run([*TINYSIM, *argv], capture_output=True, text=True, cwd=cwd)


# ------------------------------------------------------------------ --stream forms


@pytest.mark.parametrize("text, spec", [
    ("gesture:ring,wing", {"type": "gesture", "gesture": ["ring", "wing"]}),
    ("gesture:ring", {"type": "gesture", "gesture": ["ring"]}),
    ("vibration:rpm=2950,fault=bearing", {"type": "vibration", "rpm": 2950, "bearing_fault": 0.12}),
    ("sine:freq=5", {"type": "sine", "freq_hz": 5}),
    ("sine:freq=5,amp=0.5,offset=0/0/1", {"type": "sine", "freq_hz": 5, "amplitude": 0.5, "offset": [0, 0, 1]}),
    ("sine(freq=2) + white_noise(std=0.1)", "sine(freq=2) + white_noise(std=0.1)"),
    ("{type: constant, value: 1}", {"type": "constant", "value": 1}),
])
def test_short_forms(text, spec):
    assert short_spec(text) == spec
    st = streams.generate(spec, seed=1, rate_hz=100.0, duration_s=0.5)
    assert st.n_samples == 50


def test_stream_option_sensor_channel_and_rate():
    assert parse_stream_option("imu:gyro=gesture:ring,output=gyro,rate=200") == {
        "sensor": "imu", "channel": "gyro", "rate_hz": 200.0,
        "generate": {"type": "gesture", "gesture": ["ring"], "output": "gyro"}}
    assert parse_stream_option("mic=sine:440")["channel"] == "pcm"      # the microphone's channel
    e = parse_stream_option(f"accel={REPO / 'scenarios' / 'data' / 'tilt.csv'}")
    assert e == {"sensor": "accel", "channel": "accel", "file": str(REPO / "scenarios" / "data" / "tilt.csv")}


@pytest.mark.parametrize("option, problem", [
    ("imu", "is not SENSOR[:CHANNEL]=SPEC"),
    ("imu=gestur:ring", "unknown generator 'gestur' (did you mean 'gesture'?)"),
    ("imu=missing.csv", "file not found: missing.csv"),
    ("imu=vibration:rpm=2950,fault=rust", "unknown fault 'rust'"),
])
def test_bad_stream_option_is_a_message(build_dir, option, problem, tmp_path):
    out = _cli("run", "-p", "nano33ble", "-f", str(build_dir / "nano33ble" / "imu.elf"), "--stream", option,
               cwd=tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert problem in out.stderr and "Traceback" not in out.stderr
    assert list(tmp_path.iterdir()) == []          # no scenario left behind


def test_stream_run_equals_its_saved_scenario(fw, tmp_path):
    shutil.copy(fw("nano33ble", "imu"), tmp_path / "imu.elf")
    opts = ["run", "-p", "nano33ble", "-f", "imu.elf", "--seed", "3", "--duration", "300ms",
            "--stream", "imu=gesture:ring,lead=0.02,noise=0.01", "--stream", "imu:gyro=gesture:ring,lead=0.02,output=gyro"]
    a = _cli(*opts, "--json", cwd=tmp_path)
    assert a.returncode == 0, a.stderr
    save = _cli(*opts, "--save-scenario", "saved.yaml", "-q", cwd=tmp_path)
    assert save.returncode == 0 and "wrote saved.yaml" in save.stderr
    b = _cli("run", "saved.yaml", "--json", cwd=tmp_path)
    assert b.returncode == 0, b.stderr
    ja, jb = json.loads(a.stdout), json.loads(b.stdout)
    assert ja.pop("file") != jb.pop("file") == "saved.yaml"
    # the same report byte for byte, once the file it came from is left out
    assert json.dumps(ja, sort_keys=True) == json.dumps(jb, sort_keys=True)
    # and the streams reached the firmware: the gesture moves the accelerometer off 1 g
    assert "imu: 9 a=0,0,1000 mg g=0,0,0" not in ja["run"]["uart"]
    assert ja["run"]["sensors"]["imu"]["lost_samples"] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imu.elf", "saved.yaml"]


@pytest.mark.parametrize("scenario, options", [
    # the shipped hand-written scenarios, given as options instead
    ("imu_gesture_nano33ble.yaml",
     ["-p", "nano33ble", "-f", "build/nano33ble/imu.elf", "--seed", "7", "--duration", "500ms",
      "--stream", "imu=gesture:ring,lead=0.02,noise=0.01,rate=1000",
      "--stream", "imu:gyro=gesture:ring,lead=0.02,noise=0.01,output=gyro,rate=1000"]),
    ("accel_csv_hifive1.yaml",
     ["-p", "hifive1", "-f", "build/hifive1/accel.elf", "--duration", "1s",
      "--stream", "accel=scenarios/data/tilt.csv"]),
])
def test_stream_options_reproduce_a_shipped_scenario(build_dir, scenario, options):
    a = _cli("run", *options, "--json", cwd=REPO)
    b = _cli("run", f"scenarios/{scenario}", "--json", cwd=REPO)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    ra, rb = json.loads(a.stdout)["run"], json.loads(b.stdout)["run"]
    assert Path(ra.pop("firmware")).resolve() == Path(rb.pop("firmware")).resolve()
    assert json.dumps(ra, sort_keys=True) == json.dumps(rb, sort_keys=True)


def test_stream_options_do_not_go_with_a_scenario_file():
    out = _cli("run", "scenarios/hello_nano33ble.yaml", "--stream", "imu=sine:5", cwd=REPO)
    assert out.returncode == 2 and "not with a scenario file" in out.stderr


# ------------------------------------------------------------------ the installed package only


def _copy_source(dst: Path) -> None:
    """What a wheel is built from: the checkout's tracked layout, without build output."""
    for f in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(REPO / f, dst / f)
    ignore = shutil.ignore_patterns("__pycache__", "*.so", "*.pyc", "host")
    shutil.copytree(REPO / "tinysim", dst / "tinysim", ignore=ignore)
    shutil.copytree(REPO / "platforms", dst / "platforms", ignore=ignore)
    for d in ("boards", "common", "runtime"):
        shutil.copytree(REPO / "firmware" / d, dst / "firmware" / d, ignore=ignore)


def test_wheel_in_a_fresh_venv_builds_and_runs_a_scaffolded_app(tmp_path):
    for tool in ("make", "cmake", "arm-none-eabi-gcc", "riscv64-unknown-elf-gcc", "cc"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (./scripts/setup.sh installs it)")
    src, wheels, venv, work = (tmp_path / n for n in ("src", "wheels", "venv", "work"))
    for d in (src, wheels, work):
        d.mkdir()
    _copy_source(src)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    b = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(src)],
                       capture_output=True, text=True, env=env)
    assert b.returncode == 0, b.stdout[-3000:] + b.stderr[-3000:]
    (wheel,) = wheels.glob("tinysim-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    i = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheel)],
                       capture_output=True, text=True, env=env)
    assert i.returncode == 0, i.stderr[-3000:]
    # The dependencies (numpy, unicorn, ...) come from this environment's site-packages, as a
    # plain path entry: its .pth files (the checkout's editable install) are not run.
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "host-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"

    def run(*argv, cwd=work):
        r = subprocess.run(list(argv), capture_output=True, text=True, cwd=cwd, env=env)
        assert r.returncode == 0, f"{argv}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
        return r.stdout

    where = run(str(py), "-c", "import tinysim; print(tinysim.__file__)")
    assert Path(where.strip()).is_relative_to(venv), where       # the wheel's, not the checkout's
    sdk_path = Path(run("tinysim", "sdk", "path").strip())
    assert sdk_path.is_relative_to(venv) and (sdk_path / "boards" / "nano33ble" / "linker.ld").is_file()
    assert "nano33ble" in run("tinysim", "platforms")

    # Make, on the Nano 33 BLE Sense with its IMU
    run("tinysim", "new", "app", "wand", "--board", "nano33ble", "--sensor", "imu")
    run("make", cwd=work / "wand")
    r = json.loads(run("tinysim", "run", "wand.yaml", "--json", cwd=work / "wand"))
    assert r["passed"] and r["run"]["exit_reason"] == "exit" and len(r["checks"]) == 7
    assert "wand: WHO_AM_I=0x68" in r["run"]["uart"]
    # CMake, on the HiFive1 with its ADXL345
    run("tinysim", "new", "app", "tilt", "--board", "hifive1", "--sensor", "accel")
    tc = Path(run("tinysim", "sdk", "path", "--cmake").strip()) / "tinysim-toolchain.cmake"
    assert tc.is_relative_to(venv)
    run("cmake", "-S", ".", "-B", "build", f"-DCMAKE_TOOLCHAIN_FILE={tc}", "-DTINYSIM_BOARD=hifive1",
        cwd=work / "tilt")
    run("cmake", "--build", "build", cwd=work / "tilt")
    r = json.loads(run("tinysim", "run", "tilt.yaml", "--json", cwd=work / "tilt"))
    assert r["passed"] and "tilt: DEVID=0xe5" in r["run"]["uart"]
