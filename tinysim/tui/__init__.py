"""`tinysim ui`: the terminal UI (Textual). The only package that imports textual; it reads
plain-data snapshots from tinysim.live and renders them."""
from __future__ import annotations

from .app import TinysimApp, create_app

__all__ = ["TinysimApp", "create_app", "main"]


def main(target=None, *, speed: float | None = 1.0) -> int:
    app = create_app(target, speed=speed)
    app.run()
    return app.return_code or 0
