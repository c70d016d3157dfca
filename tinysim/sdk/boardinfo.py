"""What tinysim models on a board, generated from the platform data (plain rows; renderers below).

Rows come from the platform file (core, memory, peripherals, the sensors on its buses, LEDs)
and the engine's peripheral models (their documented scope). A chip table under
``platforms/chips/<chip>.yaml`` (every peripheral of the chip's memory map), when the platform
names one, adds the chip's peripherals that the board does not declare as "not modelled".

Status:
  modelled   declared in the platform file and backed by a model
  partial    backed by a model whose documentation names registers or behaviour it leaves out
  not        on the chip, not declared in the platform file (accesses fault)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Row", "board_rows", "render_text", "render_markdown"]


@dataclass(frozen=True)
class Row:
    part: str          # e.g. "twim0", "imu (lsm9ds1 @ 0x6b on twim0)", "flash"
    kind: str          # core, memory, peripheral, sensor, led
    status: str        # modelled, partial, not
    where: str         # address range or bus address
    notes: str


# "..., justify not modelled)" -> "justify": the words before "not modelled" in the same clause
_OMITS = re.compile(r"([^,;:()]{1,60}?)\s+(?:is |are )?not modell?ed", re.IGNORECASE)


def _summary(doc: str | None) -> tuple[str, str]:
    """(the docstring's first paragraph, "not modelled: ..." when it names something left out)."""
    if not doc:
        return "", ""
    first = " ".join(doc.strip().split("\n\n")[0].split())
    if len(first) > 110:
        first = first[:109].rstrip() + "…"
    omitted = [m.group(1).strip() for m in _OMITS.finditer(" ".join(doc.split()))]
    first = first.rstrip(".")
    return first, ("not modelled: " + ", ".join(omitted) if omitted else "")


def _models():
    from ..engines.builtin import riscv  # noqa: F401  (the CLINT model lives with the core)
    from ..engines.builtin.peripherals import MODELS, fe310, nrf52840  # noqa: F401
    from ..engines.builtin.peripherals.sensors import SENSORS
    return MODELS, SENSORS


def _int(v) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    try:
        return int(str(v).replace("_", ""), 0)
    except ValueError:
        return None


def _chip_table(plat) -> list[dict]:
    """Peripherals of the chip's memory map from ``chips/<chip>.yaml`` beside the platform file:
    the chip the platform names (``chip:``), else the table whose name is in its description."""
    import yaml
    chips = Path(plat.source).parent / "chips"
    if not chips.is_dir():
        return []
    raw = yaml.safe_load(Path(plat.source).read_text()) or {}
    chip = getattr(plat, "chip", None) or raw.get("chip")
    squash = lambda t: re.sub(r"[^a-z0-9]", "", str(t).lower())  # noqa: E731
    tables = sorted(chips.glob("*.yaml"))
    found = [t for t in tables if chip and squash(t.stem) == squash(chip)]
    found = found or [t for t in tables if squash(t.stem) in squash(plat.description)]
    if not found:
        return []
    data = yaml.safe_load(found[0].read_text()) or {}
    items = data.get("peripherals", []) if isinstance(data, dict) else data
    return [i for i in items or [] if isinstance(i, dict) and "name" in i]


def board_rows(board: str) -> list[Row]:
    from ..platform import load_platform
    plat = load_platform(board)
    models, sensors = _models()
    rows = [Row(plat.core, "core", "modelled", "",
                "instructions exact; cycles estimated from the core's timing table")]
    for r in plat.memory:
        rows.append(Row(r.name, "memory", "modelled", f"{r.base:#010x}-{r.base + r.size - 1:#010x}",
                        f"{r.kind}, {r.size // 1024} KB"))
    for p in plat.peripherals:
        cls = models.get(p.model)
        first, omit = _summary(cls.__doc__ if cls else None)
        status = "partial" if omit else "modelled"
        if cls is None:
            status, first = "not", f"no model named {p.model!r} in the built-in engine"
        rows.append(Row(f"{p.name} ({p.model})", "peripheral", status, f"{p.base:#010x}-{p.base + p.size - 1:#010x}",
                        "; ".join(x for x in (first, omit) if x)))
        for dev in (p.options or {}).get("devices", []) or []:
            dcls = sensors.get(dev.get("model"))
            first, omit = _summary(dcls.__doc__ if dcls else None)
            addr = dev.get("address")
            where = f"{addr:#04x} on {p.name}" if isinstance(addr, int) else f"on {p.name}"
            rows.append(Row(f"{dev.get('name')} ({dev.get('model')})", "sensor",
                            "partial" if omit else ("modelled" if dcls else "not"), where,
                            "; ".join(x for x in (first, omit) if x)))
    for led in plat.leds:
        rows.append(Row(led.name, "led", "modelled", f"{led.peripheral} pin {led.pin}",
                        "active low" if led.active_low else "active high"))
    spans = [(p.base, p.base + p.size) for p in plat.peripherals]
    for c in _chip_table(plat):
        base, size = _int(c.get("base")), _int(c.get("size"))
        if base is None:
            continue
        end = base + (size or 1)
        if any(b < end and base < e for b, e in spans):     # the board declares (part of) it
            continue
        where = f"{base:#010x}-{end - 1:#010x}" if size else f"{base:#010x}"
        rows.append(Row(str(c["name"]), "peripheral", "not", where,
                        str(c.get("description", "") or "accesses fault")))
    return rows


_LABEL = {"modelled": "modelled", "partial": "partially modelled", "not": "not modelled"}


def render_text(board: str, rows: list[Row]) -> str:
    w = max(len(r.part) for r in rows)
    ww = max(len(r.where) for r in rows)
    out = [f"{board}: what tinysim models (from the platform file and the engine's models)"]
    for status in ("modelled", "partial", "not"):
        sel = [r for r in rows if r.status == status]
        if not sel:
            continue
        out.append(f"\n{_LABEL[status]}:")
        out += [f"  {r.part:<{w}}  {r.kind:<10}  {r.where:<{ww}}  {r.notes}".rstrip() for r in sel]
    if not any(r.status == "not" for r in rows):
        out.append("\nnot modelled: every address the platform file does not declare (accesses fault)")
    return "\n".join(out)


def render_markdown(board: str, rows: list[Row]) -> str:
    out = [f"### {board}", "", "| part | kind | status | where | notes |", "| --- | --- | --- | --- | --- |"]
    for r in rows:
        notes = r.notes.replace("|", "\\|")
        out.append(f"| {r.part} | {r.kind} | {_LABEL[r.status]} | {r.where} | {notes} |")
    if not any(r.status == "not" for r in rows):
        out.append("| everything else | | not modelled | | addresses the platform file does not declare fault |")
    return "\n".join(out) + "\n"
