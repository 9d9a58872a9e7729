"""The shared training helpers: runs on the bridge that stream, keep each phase, stop when closed, hold the
training lock, and leave torch's threads as they were."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from models import training


def test_updates_are_coalesced_and_the_result_comes_last():
    def work(emit, should_stop):
        for i in range(100):
            emit(i)
        return "done"

    assert list(training.stream_training(work, min_interval=60)) == [0, "done"]


def test_a_new_phase_is_never_coalesced_away():
    def work(emit, should_stop):
        emit({"status": "loading"})
        for step in range(1, 4):
            emit({"status": "training", "step": step})
        emit({"status": "evaluating"})
        return "done"

    seen = list(training.stream_training(work, min_interval=60))
    assert seen == [{"status": "loading"}, {"status": "training", "step": 1}, {"status": "evaluating"}, "done"]


def test_an_error_in_the_work_is_raised_to_the_caller():
    def broken(emit, should_stop):
        raise ValueError("bad batch")

    with pytest.raises(ValueError, match="bad batch"):
        list(training.stream_training(broken))


def test_closing_the_stream_stops_the_work_and_frees_the_lock():
    stopped = []

    def work(emit, should_stop):
        while not should_stop():
            emit("tick")
            time.sleep(0.01)
        stopped.append(True)

    iterator = training.stream_training(work, min_interval=0)
    assert next(iterator) == "tick"
    iterator.close()
    assert training.TRAINING.acquire(timeout=30)
    training.TRAINING.release()
    assert stopped == [True]


def test_training_uses_fewer_threads_and_restores_the_default():
    default = torch.get_num_threads()
    seen = list(training.stream_training(lambda emit, should_stop: torch.get_num_threads()))
    assert seen == [min(default, training.training_threads())]
    with ThreadPoolExecutor(1) as later:  # a thread started afterwards
        assert later.submit(torch.get_num_threads).result() == default
    assert torch.get_num_threads() == default
