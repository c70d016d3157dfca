"""The tinysim exception tree.

Every error tinysim raises on purpose derives from :class:`TinysimError`, so a
caller (the CLI, an IDE plugin) can catch one type and show ``str(err)``::

    TinysimError               base; .message, .hint (optional "what to do")
     ├─ ConfigError            a data file is wrong; .problems lists ALL problems
     │   ├─ PlatformError      a platform (board) file
     │   └─ ScenarioError      a scenario file
     ├─ FirmwareError          the ELF is missing / not an ELF / truncated /
     │                         wrong architecture / has nothing to load
     ├─ ModelError             a TinyML model file
     └─ EngineError            the emulator cannot do what was asked

Messages say what failed and why; ``hint`` says what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

__all__ = [
    "Problem",
    "TinysimError",
    "ConfigError",
    "PlatformError",
    "ScenarioError",
    "FirmwareError",
    "ModelError",
    "EngineError",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a data file, located as precisely as we can."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class TinysimError(Exception):
    """Base of every error tinysim raises deliberately."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class ConfigError(TinysimError):
    """A data file (YAML) is wrong; ``problems`` lists every problem found."""

    def __init__(
        self,
        message: str,
        problems: Iterable[Problem] = (),
        hint: str | None = None,
    ) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        # Fold the problems into the message so str(err) alone is a full report.
        if self.problems:
            message = message + "".join(f"\n  {p}" for p in self.problems)
        super().__init__(message, hint)


class PlatformError(ConfigError):
    """A platform (board) description is wrong or cannot be found."""


class ScenarioError(ConfigError):
    """A scenario description is wrong."""


class FirmwareError(TinysimError):
    """The firmware image cannot be used."""


class ModelError(TinysimError):
    """A TinyML model file cannot be used."""


class EngineError(TinysimError):
    """The emulator cannot do what was asked."""
