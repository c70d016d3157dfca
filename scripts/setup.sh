#!/usr/bin/env bash
# Install what is missing (Debian cross toolchains, QEMU for the speed reference, a Python
# virtual environment with tinysim), then build the firmware. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(make cmake gcc python3-dev gcc-arm-none-eabi libnewlib-arm-none-eabi gcc-riscv64-unknown-elf
      picolibc-riscv64-unknown-elf qemu-system-arm qemu-system-misc
      chromium    # chromium: the browser the `tinysim ui --serve` test drives (no browser download)
      espeak-ng)  # espeak-ng: speech for the keyword-spotting data, speech streams and the TUI's say
missing=()
for p in "${debs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    "$PY" -m venv .venv
fi
stamp=.venv/.tinysim-installed
newer_c=
if [ -f "$stamp" ]; then
    newer_c=$(find tinysim/engines/builtin -name '*.c' -newer "$stamp" -print -quit)
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ] ||
   [ -n "$newer_c" ]; then
    echo "setup: installing tinysim into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[dev]'
    touch "$stamp"
fi
# Bytecode ahead of time, as pip does for a wheel (an editable install does not): every tinysim
# process then starts without compiling its modules, also where PYTHONDONTWRITEBYTECODE is set.
.venv/bin/python -m compileall -q tinysim >/dev/null

make -s -C firmware
