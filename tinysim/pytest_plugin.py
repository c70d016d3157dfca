"""pytest plugin: scenario files are collected as tests (`pytest scenarios/`).

A YAML file looks like a scenario when its top level names a ``platform`` (a platform file
names its ``arch`` and ``core`` instead). Every such file becomes a test item, including files
that do not parse or validate: those fail with their ``file:line: key: problem`` messages, so
``pytest`` and ``tinysim test`` agree on what is broken. Registered through the ``pytest11``
entry point.
"""
from __future__ import annotations

import re

import pytest

_TOP_PLATFORM = re.compile(r"^platform\s*:", re.M)


def pytest_collect_file(parent, file_path):
    if file_path.suffix in (".yaml", ".yml") and looks_like_scenario(file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def looks_like_scenario(path) -> bool:
    """Decided on the text, not on a successful parse: a broken scenario is still a scenario."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return False
    return bool(_TOP_PLATFORM.search(text))


class ScenarioFile(pytest.File):
    def collect(self):
        from .errors import TinysimError
        from .scenario import load_scenario
        name = self.path.stem
        try:
            name = load_scenario(self.path).name
        except TinysimError:
            pass                      # the item fails with the file's problems when it runs
        yield ScenarioItem.from_parent(self, name=name)


class ScenarioFailed(Exception):
    pass


class ScenarioItem(pytest.Item):
    def runtest(self):
        from .scenario import run_scenario
        from .testing import summary_table
        r = run_scenario(self.path)
        if not r.passed:
            raise ScenarioFailed(r.error or summary_table([r]))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"scenario: {self.name}"
