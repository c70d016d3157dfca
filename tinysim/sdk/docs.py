"""Reference pages generated from the pydantic models (the only declaration of each file format).

    python -m tinysim.sdk.docs            # writes docs/scenario.md, docs/platform.md and
                                          # docs/scenario.schema.json
    python -m tinysim.sdk.docs --check    # exit 1 when the committed pages are out of date

Every key is listed with its type, default and description (from the JSON Schema), and an
example: the value the first shipped file that sets the key gives it.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["key_rows", "scenario_page", "platform_page", "pages", "main"]

REPO = Path(__file__).resolve().parent.parent.parent
DOCS = REPO / "docs"


def _resolve(schema: dict, node: dict) -> dict:
    ref = node.get("$ref")
    return schema["$defs"][ref.split("/")[-1]] if ref else node


def _type(schema: dict, node: dict) -> str:
    node = _resolve(schema, node)
    if "anyOf" in node:
        parts = [_type(schema, n) for n in node["anyOf"]]
        return " or ".join(dict.fromkeys(p for p in parts if p != "null")) + (
            " (or null)" if "null" in parts else "")
    if "enum" in node:
        return " / ".join(json.dumps(v) for v in node["enum"])
    if "const" in node:
        return json.dumps(node["const"])
    t = node.get("type")
    if t == "array":
        return f"list of {_type(schema, node.get('items', {}))}" if node.get("items") else "list"
    if t == "object" and "properties" in node:
        return "mapping (keys below)"
    if t == "object":
        return "mapping"
    return {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean",
            "null": "null"}.get(t, t or "any")


def _children(schema: dict, node: dict) -> dict | None:
    """The properties under a key: of a mapping, or of each item of a list of mappings."""
    node = _resolve(schema, node)
    for n in [node, *node.get("anyOf", [])]:
        n = _resolve(schema, n)
        if n.get("type") == "array" and n.get("items"):
            n = _resolve(schema, n["items"])
        if "properties" in n:
            return n
    return None


def key_rows(schema: dict, node: dict | None = None, prefix: str = "") -> list[tuple[str, str, str, str]]:
    """(key path, type, default, description) for every key, depth first."""
    node = node or schema
    required = set(node.get("required", []))
    rows = []
    for key, sub in node.get("properties", {}).items():
        path = f"{prefix}{key}"
        res = _resolve(schema, sub)
        if key in required:
            default = "required"
        elif "default" in sub or "default" in res:
            default = json.dumps(sub.get("default", res.get("default")))
        else:       # a default_factory: an empty list, or a mapping of the defaults listed below
            default = "[]" if _type(schema, sub).startswith("list") else "{}"
        desc = sub.get("description") or res.get("description") or ""
        rows.append((path, _type(schema, sub), default, " ".join(desc.split())))
        kids = _children(schema, sub)
        if kids is not None:
            is_list = _type(schema, sub).startswith("list")
            rows += key_rows(schema, kids, f"{path}[]." if is_list else f"{path}.")
    return rows


def _examples(files: list[Path]) -> dict[str, Any]:
    """key path -> the first value a shipped file gives it (list items as key[])."""
    import yaml
    out: dict[str, Any] = {}

    def walk(v: Any, path: str) -> None:
        if path and path not in out:
            out[path] = v
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, f"{path}.{k}" if path else str(k))
        elif isinstance(v, list):
            for x in v:
                if isinstance(x, dict):
                    walk(x, f"{path}[]")
    for f in files:
        walk(yaml.safe_load(f.read_text()) or {}, "")
    return out


_ADDRESS_KEYS = ("base", "reset_address", "vector_table")


def _example_text(v: Any, path: str = "") -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return f"`{str(v).lower()}`"
    if isinstance(v, int) and path.rsplit(".", 1)[-1] in _ADDRESS_KEYS:
        return f"`{v:#x}`"          # YAML reads 0x20000000 as a number; show it as written
    if isinstance(v, (dict, list)):
        text = json.dumps(v, separators=(", ", ": "))
        return "" if len(text) > 60 else f"`{text}`"
    return f"`{v}`"


def _table(rows, examples) -> list[str]:
    out = ["| key | type | default | description | example |", "| --- | --- | --- | --- | --- |"]
    for path, typ, default, desc in rows:
        cells = [f"`{path}`", typ, default if default == "required" else f"`{default}`", desc,
                 _example_text(examples.get(path), path)]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return out


def scenario_page() -> str:
    from ..scenario import ScenarioSpec
    schema = ScenarioSpec.model_json_schema()
    files = sorted((REPO / "scenarios").glob("*.yaml"))
    lines = [
        "# Scenario files", "",
        "Generated from `tinysim.scenario.ScenarioSpec` by `python -m tinysim.sdk.docs`; do not edit.",
        "", "A scenario names a board, its firmware (or a model), sensor streams and what must happen. "
        "`tinysim scenario schema` prints the JSON Schema (also in `docs/scenario.schema.json`). "
        "Editors with the YAML language server validate and complete a scenario file that starts with",
        "", "```yaml", "# yaml-language-server: $schema=scenario.schema.json", "```", "",
        "(a path relative to the file, or a URL; `tinysim new app` writes the schema next to the "
        "scenario it scaffolds). Examples come from the shipped scenarios under `scenarios/`.", "",
        "Stream `generate:` values are generator specs (`tinysim.streams`): a mapping with `type:` "
        "(e.g. `{type: gesture, gesture: [ring, wing]}`), `sum:`/`concat:` lists, or a shorthand "
        "string such as `\"sine(freq=2, amp=0.5) + white_noise(std=0.1)\"`.", "",
        "## Keys", ""]
    lines += _table(key_rows(schema), _examples(files))
    return "\n".join(lines) + "\n"


def platform_page() -> str:
    from ..platform import PLATFORMS_DIR, list_platforms, platform_schema
    from .boardinfo import board_rows, render_markdown
    schema = platform_schema()
    files = sorted(PLATFORMS_DIR.glob("*.yaml"))
    lines = [
        "# Platform (board) files", "",
        "Generated from `tinysim.platform.PlatformSpec` and the bundled platform files by "
        "`python -m tinysim.sdk.docs`; do not edit.", "",
        "`tinysim platform schema` prints the JSON Schema (also in `tinysim/schemas/platform.schema.json`); "
        "start a platform file with `# yaml-language-server: $schema=platform.schema.json` for "
        "editor validation. Examples come from `platforms/`.", "", "## Keys", ""]
    lines += _table(key_rows(schema), _examples(files))
    lines += ["", "## What each board models", "",
              "From the platform file and the engine's peripheral models (`tinysim platforms --detail BOARD`). "
              "*Partially modelled* means the model's documentation names registers or behaviour it leaves out.",
              ""]
    for board in list_platforms():
        lines.append(render_markdown(board, board_rows(board)))
    return "\n".join(lines)


def pages() -> dict[str, str]:
    from ..scenario import ScenarioSpec
    return {"scenario.md": scenario_page(), "platform.md": platform_page(),
            "scenario.schema.json": json.dumps(ScenarioSpec.model_json_schema(), indent=2) + "\n"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tinysim.sdk.docs", description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/ is out of date")
    ap.add_argument("--out", type=Path, default=DOCS)
    args = ap.parse_args(argv)
    stale = []
    for name, text in pages().items():
        path = args.out / name
        if args.check:
            if not path.is_file() or path.read_text() != text:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        print(f"docs out of date: {', '.join(stale)}; run python -m tinysim.sdk.docs", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
