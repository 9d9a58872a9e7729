"""Micro-batching: concurrent calls batched per model, each caller with its own result or error."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from serving.batching import Batcher, length_groups
from tests.support.waiting import wait_until


def test_length_groups_cut_where_padding_would_cost_more_than_a_pass():
    # Two short and two long items: padding the short ones to 100 would waste ~176 tokens, a pass costs 16.
    assert length_groups([10, 100, 12, 98], overhead_tokens=16, max_tokens=10_000) == [[0, 2], [3, 1]]
    # Close lengths share one pass: another pass would cost more than the few padded tokens.
    assert length_groups([30, 31, 29], overhead_tokens=16, max_tokens=10_000) == [[2, 0, 1]]


def test_length_groups_respect_the_token_cap_and_cover_every_item_once():
    lengths = [50, 7, 300, 120, 8, 51, 49, 500]
    groups = length_groups(lengths, overhead_tokens=16, max_tokens=600)
    assert sorted(i for group in groups for i in group) == list(range(len(lengths)))
    for group in groups:
        assert len(group) == 1 or len(group) * max(lengths[i] for i in group) <= 600
    assert [lengths[g[0]] for g in groups] == sorted(lengths[g[0]] for g in groups)  # shortest group first


class Recorder:
    """A batch function that records the batches it sees; the first batch waits until released."""

    def __init__(self):
        self.batches, self.release, self.started = [], threading.Event(), threading.Event()

    def __call__(self, model, items):
        self.batches.append((model, list(items)))
        self.started.set()
        self.release.wait(timeout=10)
        if "bad" in items:
            raise ValueError("bad item")
        return [f"{model}:{item}" for item in items]


def submit_all(batcher, jobs, callers: ThreadPoolExecutor) -> dict:
    """Each (model, item) submitted from its own caller thread: (model, item) -> its future."""
    return {(model, item): callers.submit(batcher.submit, model, item) for model, item in jobs}


def outcome(future):
    try:
        return future.result(timeout=10)
    except ValueError as exc:
        return exc


def test_waiting_calls_are_batched_per_model_and_each_gets_its_own_result():
    run = Recorder()
    batcher = Batcher(run, max_batch=3)
    with ThreadPoolExecutor(6) as callers:
        first = submit_all(batcher, [("m1", "a")], callers)
        assert run.started.wait(timeout=10)  # the worker is busy with "a": the next calls queue up
        rest = submit_all(batcher, [("m1", "b"), ("m2", "x"), ("m1", "c"), ("m1", "d"), ("m1", "e")], callers)
        assert wait_until(lambda: len(batcher._pending) == 5, timeout=10)  # all five wait behind "a"
        run.release.set()
        results = {job: outcome(future) for job, future in {**first, **rest}.items()}
    assert all(results[(m, i)] == f"{m}:{i}" for m, i in results)
    assert run.batches == [("m1", ["a"]), ("m1", ["b", "c", "d"]), ("m2", ["x"]), ("m1", ["e"])]


def test_a_failing_item_fails_only_its_own_caller():
    run = Recorder()
    run.release.set()
    batcher = Batcher(run, max_batch=8)
    with ThreadPoolExecutor(3) as callers:
        futures = submit_all(batcher, [("m", "ok1"), ("m", "bad"), ("m", "ok2")], callers)
        results = {job: outcome(future) for job, future in futures.items()}
    assert results[("m", "ok1")] == "m:ok1" and results[("m", "ok2")] == "m:ok2"
    with pytest.raises(ValueError, match="bad item"):
        raise results[("m", "bad")]


def test_batches_run_on_a_pool_thread_that_is_given_back_when_nothing_waits():
    names = []
    batcher = Batcher(lambda model, items: names.append(threading.current_thread().name) or items, max_batch=4)
    assert batcher.submit("m", 1) == 1 and batcher.submit("m", 2) == 2
    assert names == ["serving", "serving"] and not batcher._serving
