"""Process state in one place: what this process has loaded, probed, cached or trained, and how its requests run.

Everything here lives as long as the process; `reset()` forgets the model layer's part at once (tests). Modules
read and write these containers under `lock`, held only for dictionary work, never while a model loads.
`serving` (the worker pool, the works running, the requests past their budget) is not reset: its threads live as
long as the process, and its counts follow the work that is actually running.
"""

from __future__ import annotations

import collections
import contextvars
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: state imports nothing of the app at run time
    from config import Settings
    from models.loader import Loaded

lock = threading.RLock()
# transformers' lazy module is not safe to touch from two threads on its first imports (a thread can be handed
# a half-imported module): the loader resolves transformers classes under this lock.
import_lock = threading.Lock()
hub_probe_lock = threading.Lock()  # one Hub probe at a time (see loader._hub_available)

settings: Settings | None = None  # config.current(): the settings in force
models: OrderedDict[tuple, Loaded] = OrderedDict()  # loader: cache key -> model in memory, least recent first
load_locks: dict[tuple, threading.Lock] = {}  # loader: cache key -> the lock its one loading thread holds
loading: dict[tuple, int] = {}  # loader: cache key -> bytes reserved for a load in progress
tokenizers: dict[str, Any] = {}  # loader: "source:name" -> a tokenizer of the explorer
# loader: (task, owner) -> a model fine-tuned in this app ("My model"), least recent first
session_models: OrderedDict[tuple[str, str], Loaded] = OrderedDict()
# The session a request comes from (gradio's session_hash, set by serving.budget for each handler and copied into
# its bridge thread); "" outside a request. Keys per-session state such as session_models.
owner: contextvars.ContextVar[str] = contextvars.ContextVar("owner", default="")
hub_answers: dict[tuple[str, str, str], tuple[bool, float]] = {}  # loader: (endpoint, repo, revision) ->
#   (whether the Hub serves it, time.monotonic() of the answer)
hub_down_until: dict[str, float] = {}  # loader: endpoint -> time.monotonic() before which it is not asked
lstm: Any = None  # models.tasks.lstm: the LSTM trained in this process (lstm.Trained), or None
base_tokenizers: dict[str, Any] = {}  # models.tasks.finetune: fine-tuning base tokenizers by location
padders: dict[int, tuple[Any, Any]] = {}  # models.tasks.tokens: id(tokenizer) -> (tokenizer, copy that pads)



@dataclass
class ServingState:
    """What serving/ keeps between requests; `lock` guards the counts and the set."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    jobs: queue.SimpleQueue[Callable[[], None]] = field(default_factory=queue.SimpleQueue)  # waiting for a thread
    idle: int = 0  # pool threads waiting for a job
    running: collections.Counter[str] = field(default_factory=collections.Counter)  # works running, by name
    late: set[Any] = field(default_factory=set)  # bridges of requests past their budget, until their work ends


serving = ServingState()  # serving.bridge (the pool) and serving.budget (late requests)

_CONTAINERS = (models, load_locks, loading, tokenizers, session_models, hub_answers, hub_down_until,
               base_tokenizers, padders)


def reset() -> None:
    """Forget everything above: the next request starts as in a fresh process (settings read again)."""
    global settings, lstm
    with lock:
        settings = None
        lstm = None
        for container in _CONTAINERS:
            container.clear()
