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


def is_built(name: str) -> bool:
    """Whether an entry is ready to use without building (shipped in a package, or built into this cache)."""
    return bool(ENTRIES[name].shipped) or (pack_dir() / name / _DONE_MARKER).exists()


def build_all(progress: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Build every entry not built yet (set-up, CI, the app's start offline); returns entry name -> folder.
    `progress` is told before each entry that has to be built, so a long build (the sentiment head trains for
    about 20 s on two cores) is never silent."""
    todo = [name for name in ENTRIES if not is_built(name)]
    for number, name in enumerate(todo, 1):
        if progress:
            progress(f"building the offline pack ({number}/{len(todo)}): {name}")
        entry_path(name)
    return {name: entry_path(name) for name in ENTRIES}
