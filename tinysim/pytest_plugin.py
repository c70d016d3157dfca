"""pytest plugin: scenario files are collected as tests (`pytest scenarios/`).

A YAML file is a scenario when its top level names a ``platform`` and a ``firmware`` or a
``model``. Registered through the ``pytest11`` entry point.
"""
from __future__ import annotations

import pytest
import yaml


def pytest_collect_file(parent, file_path):
    if file_path.suffix in (".yaml", ".yml") and _is_scenario(file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def _is_scenario(path) -> bool:
    try:
        data = yaml.safe_load(path.read_text())
    except Exception:
        return False
    return isinstance(data, dict) and "platform" in data and ("firmware" in data or "model" in data)


class ScenarioFile(pytest.File):
    def collect(self):
        from .scenario import load_scenario
        name = self.path.stem
        try:
            name = load_scenario(self.path).name
        except Exception:
            pass                      # reported when the item runs
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
