"""Micro-batching: calls that arrive together on the same model run as one batch, on one pool thread at a time.

Each caller gets its own result or its own exception: a batch that fails is re-run one item at a time,
so one request's problem never fails its neighbours' (gradio's `batch=True` hands a batch's exception
to every request in it). A batch is whatever is waiting when the worker is free, up to `max_batch`:
nobody waits for a batch to fill, so a lone request pays only a thread hand-off.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from serving import bridge

RunBatch = Callable[[Any, list], list]  # (model, items) -> one result per item, in order


@dataclass
class _Job:
    model: Any
    item: Any
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class Batcher:
    """Runs `run(model, items)` on batches of concurrent `submit(model, item)` calls for the same model.

    Batches run one after another on one of the bridge's pool threads, taken while there is work waiting
    and given back when there is none.
    """

    def __init__(self, run: RunBatch, max_batch: int) -> None:
        self._run, self.max_batch = run, max_batch
        self._pending: deque[_Job] = deque()
        self._lock = threading.Lock()
        self._serving = False  # a pool thread is running batches

    def submit(self, model: Any, item: Any) -> Any:
        """`run(model, [item])[0]`, computed in a batch with whatever else is waiting; blocks until done."""
        job = _Job(model, item)
        with self._lock:
            self._pending.append(job)
            start, self._serving = not self._serving, True
        if start:
            bridge.submit(self._serve)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _take(self) -> list[_Job]:
        """The oldest job and the next ones on the same model, up to max_batch (lock held)."""
        first = self._pending[0]
        batch = [job for job in self._pending if job.model is first.model][: self.max_batch]
        for job in batch:
            self._pending.remove(job)
        return batch

    def _serve(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._serving = False
                    return
                batch = self._take()
            self._run_batch(batch)

    def _run_batch(self, batch: list[_Job]) -> None:
        try:
            results = self._run(batch[0].model, [job.item for job in batch])
            for job, result in zip(batch, results, strict=True):
                job.result = result
        except BaseException:
            for job in batch:  # one at a time: only the item that fails gets the exception
                try:
                    job.result = self._run(job.model, [job.item])[0]
                except BaseException as exc:
                    job.error = exc
        finally:
            for job in batch:
                job.done.set()


def length_groups(lengths: Sequence[int], overhead_tokens: int, max_tokens: int) -> list[list[int]]:
    """Split items into groups of similar length, so that padding each group to its longest wastes little.

    Minimises sum(overhead_tokens + len(group) * longest(group)) over the ways of cutting the items sorted
    by length (dynamic programming; n is a batch, at most tens). `overhead_tokens` is what one more forward
    pass costs, in tokens' worth of work; a group pads to at most `max_tokens` (one item may exceed it).
    Returns lists of indices into `lengths`, shortest group first.
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    best = [0.0] + [math.inf] * len(order)  # best[k]: cost of the k shortest items
    cut = [0] * (len(order) + 1)
    for end in range(1, len(order) + 1):
        longest = lengths[order[end - 1]]
        for start in range(end - 1, -1, -1):  # the group order[start:end], padded to `longest`
            padded = (end - start) * longest
            if padded > max_tokens and end - start > 1:
                break
            cost = best[start] + overhead_tokens + padded
            if cost < best[end]:
                best[end], cut[end] = cost, start
    groups, end = [], len(order)
    while end:
        groups.append(order[cut[end]:end])
        end = cut[end]
    return groups[::-1]
