"""Loading models: lazily, once per checkpoint, thread-safe, shared by tabs, evicted LRU by bytes.

`resolve` decides where a task's model comes from (Hub, offline pack, local folder, SageMaker
endpoint) without loading anything; `get` loads it, or returns the copy already in memory.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import socket
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import config
from models import offline, remote
from models.errors import InputError, ModelUnavailable
from models.registry import REGISTRY, TOKENIZERS, spec

log = logging.getLogger(__name__)

ProgressCallback = Callable[[float, str], None]  # (fraction done, what is happening)
SAGEMAKER_PREFIX = remote.SAGEMAKER_PREFIX
LOW_MEMORY_BYTES = 1 << 30  # below 1 GiB available, free the least recently used models first


@dataclass(frozen=True)
class Resolved:
    """Where a task's model comes from, decided without loading it."""

    task: str
    choice: str  # what the user or operator picked: a Hub id, a folder, or sagemaker:NAME
    location: str  # what is loaded: a Hub id, a folder path, or an endpoint name
    source: str  # "hub" | "offline" | "local" | "sagemaker" | "session" (trained in this app)
    model_class: str
    demo_weights: bool = False
    offline_entry: str | None = None
    revision: str | None = None  # the Hub revision loaded (a branch, tag, refs/pr/N or commit); None: main

    @property
    def label(self) -> str:
        """The model's name as the UI shows it."""
        if self.source == "offline":
            return f"offline stand-in for {self.choice}: {offline.ENTRIES[self.offline_entry].description}"
        return self.choice

    @property
    def location_for_code(self) -> str:
        """What `from_pretrained` takes in a snippet: the Hub id, or the folder on this machine."""
        if self.source == "offline":
            return str(offline.entry_path(self.offline_entry))
        return self.location

    @property
    def dtype(self) -> str:
        """The weights' dtype: the task's fast dtype where this CPU computes it natively, else float32."""
        fast = spec(self.task).fast_dtype
        if fast and self.source in ("hub", "local", "offline") and fast in native_dtypes():
            return fast
        return "float32"

    @property
    def cache_key(self) -> tuple[str, str, str, str | None]:
        return (self.location, self.model_class, self.dtype, self.revision)


@dataclass
class Loaded:
    """A model in memory with its tokenizer; pipelines built on it are cached here too."""

    resolved: Resolved
    model: Any
    tokenizer: Any
    nbytes: int
    remote: Any = None  # a models.remote.RemoteModel (a SageMaker endpoint), called like a pipeline
    _pipelines: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def pipeline(self, name: str, **kwargs: Any) -> Callable:
        """A transformers pipeline on this model (or the remote endpoint, which takes the same calls)."""
        if self.remote is not None:  # the endpoint takes pipeline arguments as call parameters
            return functools.partial(self.remote, **kwargs) if kwargs else self.remote
        key = (name, tuple(sorted(kwargs.items())))
        with self._lock:
            if key not in self._pipelines:
                from transformers import pipeline

                self._pipelines[key] = pipeline(
                    name, model=self.model, tokenizer=self.tokenizer, device="cpu", **kwargs
                )
            return self._pipelines[key]


# ---- resolving: which checkpoint, from where --------------------------------------------------

def choices(task: str) -> list[str]:
    """The models a user may pick for a task: the operator's override first, then the registry's."""
    override = config.current().model_overrides.get(task)
    listed = list(spec(task).checkpoints)
    options = [override] + [c for c in listed if c != override] if override else listed
    return options + [MY_MODEL] if task in MY_MODEL_TASKS else options


def resolve(task: str, choice: str | None = None) -> Resolved:
    """Decide where `task`'s model comes from under the current profile; loads nothing."""
    options = choices(task)
    choice = (choice or "").strip() or options[0]
    if choice not in options:
        raise InputError(f"Unknown model {choice!r} for {spec(task).title}. Pick one of: {', '.join(options)}.")
    task_spec = spec(task)
    if choice == MY_MODEL:
        mine = _mine.get(task)
        location = str(mine.resolved.location) if mine else f"session:{task}"
        return Resolved(task, choice, location, "session", task_spec.model_class)
    if choice.startswith(SAGEMAKER_PREFIX):
        return Resolved(task, choice, choice.removeprefix(SAGEMAKER_PREFIX), "sagemaker", task_spec.model_class)
    if _is_local_path(choice):
        return Resolved(task, choice, str(Path(choice).expanduser().resolve()), "local", task_spec.model_class)
    profile = config.current().profile
    if profile == "hub" or (profile == "auto" and _hub_available(choice)):
        return Resolved(task, choice, choice, "hub", task_spec.model_class)
    entry = offline.ENTRIES[task_spec.offline]
    return Resolved(task, choice, f"offline:{task_spec.offline}", "offline", entry.model_class,
                    entry.demo_weights, task_spec.offline)


def _is_local_path(choice: str) -> bool:
    return choice.startswith((".", "/", "~")) or os.path.isdir(os.path.expanduser(choice))


_reachable: dict[str, bool] = {}
_reachable_lock = threading.Lock()


def _hub_available(hub_id: str) -> bool:
    """A checkpoint is usable from the Hub when it is cached, or when the Hub answers at all."""
    from huggingface_hub import constants, try_to_load_from_cache

    if isinstance(try_to_load_from_cache(hub_id, "config.json"), str):
        return True
    if config.current().hub_offline:
        return False
    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    with _reachable_lock:
        if host not in _reachable:
            try:
                socket.create_connection((host, 443), timeout=2).close()
                _reachable[host] = True
            except OSError:
                _reachable[host] = False
        return _reachable[host]


# ---- loading: once per checkpoint, LRU by bytes ---------------------------------------------

_cache: OrderedDict[tuple[str, str], Loaded] = OrderedDict()
_cache_lock = threading.Lock()
_load_locks: dict[tuple[str, str], threading.Lock] = {}


def get(task: str, choice: str | None = None, on_progress: ProgressCallback | None = None) -> Loaded:
    """The model for `task`, loaded on first use and shared with every task that uses it."""
    resolved = resolve(task, choice)
    if resolved.source == "session":
        return _session_model(task)
    key = resolved.cache_key
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        load_lock = _load_locks.setdefault(key, threading.Lock())
    with load_lock:  # one thread loads; the others wait and then share its result
        with _cache_lock:
            if key in _cache:
                return _cache[key]
        if on_progress:
            on_progress(0.0, f"Loading {resolved.label} (first use)")
        loaded = _load(resolved, on_progress)
        with _cache_lock:
            _cache[key] = loaded
            _evict(keep=key)
        if on_progress:
            on_progress(1.0, "Model ready")
        return loaded


def _load(resolved: Resolved, on_progress: ProgressCallback | None = None) -> Loaded:
    try:
        if resolved.source == "sagemaker":
            return Loaded(resolved, None, None, 0, remote=remote.connect(resolved.choice))
        path = local_folder(resolved, on_progress)
        model = _load_model(resolved.model_class, path, wants_eager(resolved), resolved.dtype)
        tokenizer = _load_tokenizer(path)
    except (InputError, ModelUnavailable):
        raise
    except Exception as exc:  # any loading failure is this model's alone: say so, keep serving
        log.exception("loading %s failed", resolved.choice)
        raise ModelUnavailable(
            f"The model {resolved.label} could not be loaded ({_short(exc)}). "
            "The other tabs are unaffected; try again, or pick another model."
        ) from exc
    return Loaded(resolved, model, tokenizer, _nbytes(model))


def local_folder(resolved: Resolved, on_progress: ProgressCallback | None = None, weights: bool = True) -> str:
    """The folder on this machine that `resolved` loads from; a Hub checkpoint is downloaded first, with progress
    (weights=False: config and tokenizer only)."""
    if resolved.source == "offline":
        return str(offline.entry_path(resolved.offline_entry))
    if resolved.source == "hub":
        from models import download

        return str(download.fetch(resolved.location, resolved.revision, on_progress, weights=weights))
    if resolved.source == "local" and not (Path(resolved.location) / "config.json").is_file():
        raise ModelUnavailable(
            f"{resolved.location} is not a model folder (no config.json). "
            "Pass a folder written by save_pretrained, or a Hub id."
        )
    return resolved.location


def wants_eager(resolved: Resolved) -> bool:
    """Eager attention for every checkpoint that some task shows attentions of (SDPA returns none).

    Decided per checkpoint, not per task, so that the attention tab and the zero-shot tab share
    one copy of the same encoder.
    """
    for task_spec in REGISTRY.values():
        if task_spec.eager_attention and task_spec.model_class == resolved.model_class:
            if resolved.source == "offline" and task_spec.offline == resolved.offline_entry:
                return True
            if resolved.source != "offline" and (
                resolved.task == task_spec.key or resolved.location in task_spec.checkpoints
            ):
                return True
    return False


@functools.cache
def native_dtypes() -> frozenset[str]:
    """Reduced-precision dtypes this CPU computes natively (from /proc/cpuinfo; none known elsewhere)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next((line.split(":", 1)[1].split() for line in cpuinfo if line.startswith("flags")), [])
    except OSError:
        return frozenset()
    return frozenset({"bfloat16"} if {"amx_bf16", "avx512_bf16"} & set(flags) else set())


def _load_model(model_class: str, path: str, eager: bool, dtype: str = "float32"):
    import torch
    import transformers

    auto_class = getattr(transformers, model_class)
    extra = {"attn_implementation": "eager"} if eager else {}
    if dtype != "float32":  # cast once at load: the weights take half the memory and bandwidth
        extra["dtype"] = getattr(torch, dtype)
    # safetensors only and no remote code: a checkpoint cannot run code on this machine.
    model = auto_class.from_pretrained(path, use_safetensors=True, trust_remote_code=False, **extra)
    return model.eval()


def _load_tokenizer(path: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path, trust_remote_code=False)


def _nbytes(model) -> int:
    tensors = list(model.parameters()) + list(model.buffers())
    return sum(t.numel() * t.element_size() for t in tensors)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def _available_memory() -> int:
    import psutil

    return psutil.virtual_memory().available


def _evict(keep: tuple[str, str]) -> None:
    """Free least recently used models while over the byte budget or short of memory (lock held)."""
    budget = config.current().memory_budget_mb << 20
    while len(_cache) > 1:
        total = sum(item.nbytes for item in _cache.values())
        if total <= budget and _available_memory() > LOW_MEMORY_BYTES:
            return
        oldest = next(k for k in _cache if k != keep)
        log.info("freeing %s (%d MB)", oldest[0], _cache[oldest].nbytes >> 20)
        del _cache[oldest]
        gc.collect()


_tokenizers: dict[str, Any] = {}


def tokenizer_source(name: str) -> tuple[str, str]:
    """Where an explorer tokenizer comes from, decided without loading: (Hub id or folder, "hub"|"offline")."""
    if name not in TOKENIZERS:
        raise InputError(f"Unknown tokenizer {name!r}. Pick one of: {', '.join(TOKENIZERS)}.")
    tokenizer_spec = TOKENIZERS[name]
    profile = config.current().profile
    if profile == "hub" or (profile == "auto" and _hub_available(tokenizer_spec.hub_id)):
        return tokenizer_spec.hub_id, "hub"
    return str(offline.entry_path(tokenizer_spec.offline)), "offline"


def tokenizer(name: str) -> tuple[Any, str]:
    """A tokenizer the explorer offers, and where it came from ("hub" or "offline"); cached."""
    location, source = tokenizer_source(name)
    key = f"{source}:{name}"
    with _cache_lock:
        if key in _tokenizers:
            return _tokenizers[key], source
    try:
        if source == "hub":
            from models import download

            location = str(download.fetch(location, weights=False))
        loaded = _load_tokenizer(location)
    except Exception as exc:
        raise ModelUnavailable(f"The {name} tokenizer could not be loaded ({_short(exc)}).") from exc
    with _cache_lock:
        _tokenizers[key] = loaded
    return loaded, source


def in_memory() -> list[tuple[str, int]]:
    """(location, bytes) of every model in memory, least recently used first."""
    with _cache_lock:
        return [(key[0], item.nbytes) for key, item in _cache.items()]


def clear() -> None:
    """Forget every loaded model (tests, and after the offline pack is rebuilt)."""
    with _cache_lock:
        _cache.clear()
        _tokenizers.clear()
        _mine.clear()
    gc.collect()


# ---- models trained in this app (the fine-tuning lab) -----------------------------------------

MY_MODEL = "My model (fine-tuning lab)"
# Pickers that list MY_MODEL from start-up: a dropdown only accepts choices it was built with,
# so a choice that appeared later would be refused to API callers and to pages already open.
MY_MODEL_TASKS = ("sentiment",)
_mine: dict[str, Loaded] = {}


def register_session_model(task: str, model: Any, tokenizer: Any, folder: Path) -> None:
    """Serve `model` as the MY_MODEL choice of `task` from now on; `folder` holds its save_pretrained copy."""
    if task not in MY_MODEL_TASKS:
        raise KeyError(f"{task!r} offers no {MY_MODEL!r} choice; known: {', '.join(MY_MODEL_TASKS)}")
    resolved = Resolved(task, MY_MODEL, str(folder), "session", spec(task).model_class)
    with _cache_lock:
        _mine[task] = Loaded(resolved, model.eval(), tokenizer, _nbytes(model))


def _session_model(task: str) -> Loaded:
    with _cache_lock:
        if task in _mine:
            return _mine[task]
    raise InputError(f"No model has been fine-tuned in this app yet. Train one in the Fine-tuning lab tab, "
                     f"then pick {MY_MODEL!r} again (or pick another model).")
