"""Where tinysim keeps what it derived from inputs and can derive again (decoded blocks, model
graphs): a cache, never a store; any file may be deleted."""
from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path


def cache_dir() -> Path | None:
    """$TINYSIM_CACHE, else $XDG_CACHE_HOME/tinysim, else ~/.cache/tinysim; TINYSIM_CACHE=off
    disables the cache."""
    env = os.environ.get("TINYSIM_CACHE")
    if env == "off":
        return None
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tinysim"


def load(path: Path):
    """What ``store`` wrote at ``path``; None if absent, damaged or foreign."""
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except Exception:
        return None


def store(path: Path, value) -> bool:
    """Write ``value`` atomically (parallel runs may race); False if the directory is not writable."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        return True
    except OSError:
        return False


def derived(kind: str, key: bytes, make):
    """``make()``'s result, kept under ``kind`` by the hash of ``key`` (which must hold all that
    the result depends on, code included). Unreadable or absent: made again, and written
    atomically (parallel runs may race); a read-only cache directory only costs the saving."""
    d = cache_dir()
    path = None if d is None else d / kind / f"{hashlib.sha256(key).hexdigest()[:32]}.pickle"
    if path is not None and path.is_file():
        value = load(path)
        if value is not None:        # else damaged or foreign: made again
            return value
    value = make()
    if path is not None:
        store(path, value)
    return value
