"""serving/'s process state, in one place: the worker pool, the works running, the requests past their budget."""

from __future__ import annotations

import collections
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ServingState:
    """Everything serving/ keeps between requests; `lock` guards the counts and the set."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    jobs: queue.SimpleQueue[Callable[[], None]] = field(default_factory=queue.SimpleQueue)  # waiting for a thread
    idle: int = 0  # pool threads waiting for a job
    running: collections.Counter[str] = field(default_factory=collections.Counter)  # works running, by name
    late: set[Any] = field(default_factory=set)  # bridges of requests past their budget, until their work ends


SERVING = ServingState()
