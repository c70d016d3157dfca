"""Fuzz/property tests: a short seeded campaign in every suite run, a longer one on demand.

    TINYSIM_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/fuzz -q --hypothesis-show-statistics

The invariant everywhere: a clear tinysim error or a valid result, never another exception
(a traceback for the user), a crash or a hang.
"""
from __future__ import annotations

import os
import signal
from contextlib import contextmanager

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed (pip install -e '.[dev]')")

EXAMPLES = int(os.environ.get("TINYSIM_FUZZ_EXAMPLES", "60"))
hypothesis.settings.register_profile(
    "tinysim", max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=list(hypothesis.HealthCheck))
hypothesis.settings.load_profile("tinysim")


class Hang(Exception):
    pass


@contextmanager
def no_hang(seconds: int = 10):
    """Fail the example instead of hanging the suite."""
    def on_alarm(signum, frame):
        raise Hang(f"no answer within {seconds} s")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
