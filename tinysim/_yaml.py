"""Load YAML while remembering where every key came from.

Validation errors are only useful if they point at a line, so we compose the
document into PyYAML nodes (which carry marks), build the plain data from
those same nodes, and keep a map from key path -- e.g. ``("memory", 1,
"base")`` -- to its 1-based line number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from .errors import ConfigError, Problem

__all__ = ["YamlDocument", "load_yaml", "parse_yaml", "dotted_path"]

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    """Plain data of one YAML file plus the line of every key path in it."""

    file: str
    data: Any
    lines: Mapping[KeyPath, int] = field(repr=False)

    def line(self, path: KeyPath) -> int | None:
        """Line of ``path``, or of its nearest existing ancestor.

        A missing key (pydantic's "field required") has no line of its own;
        the mapping that should have held it is the next best place to point.
        """
        path = tuple(path)
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


def load_yaml(path: str | Path, *, display: str | None = None,
              error: type[ConfigError] = ConfigError) -> YamlDocument:
    """Read and parse a YAML file. ``display`` is the name used in messages.

    Raises ``error`` (a ConfigError subclass) if the file cannot be read or
    is not valid YAML.
    """
    path = Path(path)
    name = display or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{name}: file not found",
                    hint="check the path (it is relative to the current directory)") from None
    except IsADirectoryError:
        raise error(f"{name}: is a directory, not a YAML file",
                    hint="pass the path of a .yaml file") from None
    except OSError as e:
        raise error(f"{name}: cannot read file ({e.strerror or e})",
                    hint="check the file's permissions") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise error(f"{name}: not UTF-8 text (bad byte at offset {e.start})",
                    hint="save the file as UTF-8") from None
    return parse_yaml(text, name, error=error)


def parse_yaml(text: str, file: str = "<string>", *,
               error: type[ConfigError] = ConfigError) -> YamlDocument:
    """Parse YAML text; ``file`` names it in messages."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as e:   # a control character: refused before any parsing
        line = text.count("\n", 0, e.position) + 1
        raise error(f"{file}: invalid YAML", [Problem(file, line, "", f"character {e.character:#04x} is not "
                                                      "allowed in YAML (printable text only)")],
                    hint="remove the character; was a binary file given where YAML was expected?") from None
    try:
        node = loader.get_single_node()
        lines: dict[KeyPath, int] = {}
        problems: list[Problem] = []
        if node is not None:
            _map_lines(loader, node, (), lines, problems, file)
        if problems:
            raise error(f"{file}: {_count(problems)}", problems,
                        hint="each key may appear only once in a mapping")
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        what = e.problem or "invalid YAML"
        if e.context:
            ctx = e.context
            if e.context_mark is not None and e.context_mark.line != getattr(mark, "line", None):
                ctx += f" started at line {e.context_mark.line + 1}"
            what = f"{what} ({ctx})"
        problem = Problem(file, line, "", f"YAML syntax error: {what}")
        raise error(f"{file}: invalid YAML", [problem],
                    hint="fix the syntax at that line (check indentation, quotes and colons)") from None
    except yaml.YAMLError as e:  # e.g. a non-printable character: no mark
        raise error(f"{file}: invalid YAML: {e}", hint="fix the file's syntax") from None
    finally:
        loader.dispose()
    return YamlDocument(file, data, lines)


def _count(problems: list[Problem]) -> str:
    return "1 problem" if len(problems) == 1 else f"{len(problems)} problems"


def _map_lines(loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath,
               lines: dict[KeyPath, int], problems: list[Problem], file: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # complex keys: nothing sensible to point at
            if key_node.tag == "tag:yaml.org,2002:merge":
                # ``<<: *anchor`` -- the merged keys live where the anchor is.
                _map_merge(loader, value_node, path, lines, problems, file)
                continue
            key = loader.construct_object(key_node)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                key = key_node.value
            if key in seen:
                problems.append(Problem(file, key_node.start_mark.line + 1,
                                        dotted_path(path + (key,)), "duplicate key"))
                continue
            seen.add(key)
            # The key's own line, not the value's: a value may start on the next line.
            lines[path + (key,)] = key_node.start_mark.line + 1
            _map_lines(loader, value_node, path + (key,), lines, problems, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            _map_lines(loader, item, path + (i,), lines, problems, file)


def _map_merge(loader, value_node, path, lines, problems, file) -> None:
    sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
    for src in sources:
        if isinstance(src, yaml.MappingNode):
            sub: dict[KeyPath, int] = {}
            _map_lines(loader, src, path, sub, [], file)
            for k, v in sub.items():
                lines.setdefault(k, v)  # explicit keys win over merged ones


def dotted_path(path: KeyPath) -> str:
    """``("memory", 1, "base")`` -> ``memory[1].base``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
