"""The offline pack: building each registry stand-in on first need into the cache folder."""

from __future__ import annotations

import fcntl
import importlib
import os
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import config
from models.registry import OfflineEntry, offline_entries

PACK_VERSION = "1"  # bump when a builder changes, so old caches are rebuilt
_DONE_MARKER = ".complete"


# Derived from the registry: each task's entry declares its stand-in (models/registry.py).
ENTRIES: dict[str, OfflineEntry] = offline_entries()


def _function(reference: str) -> Callable:
    """The function a "module:function" reference of an OfflineEntry names (imported on first use)."""
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


def pack_dir() -> Path:
    """The folder that holds this version of the pack."""
    return config.current().cache_dir / f"offline-pack-v{PACK_VERSION}"


@contextmanager
def _locked(name: str):
    # flock works across processes (tests, app, CI build) and across threads opening their own fd.
    pack_dir().mkdir(parents=True, exist_ok=True)
    with open(pack_dir() / f".{name}.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def entry_path(name: str) -> Path:
    """The folder of an offline entry, built first if this cache has not got it yet."""
    entry = ENTRIES[name]
    if entry.shipped:
        return _function(entry.shipped)()
    target = pack_dir() / name
    if (target / _DONE_MARKER).exists():
        return target
    with _locked(name):
        if not (target / _DONE_MARKER).exists():
            _build_into(target, _function(entry.build))
    return target


def _build_into(target: Path, build: Callable[[Path], None]) -> None:
    # Build beside the target and rename, so a crash never leaves a half-written folder in use.
    scratch = target.with_name(f".{target.name}.building-{os.getpid()}")
    shutil.rmtree(scratch, ignore_errors=True)
    build(scratch)
    (scratch / _DONE_MARKER).write_text(PACK_VERSION)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(scratch, target)


def build_all() -> dict[str, Path]:
    """Build every entry (the CI and Docker step); returns entry name -> folder."""
    return {name: entry_path(name) for name in ENTRIES}
