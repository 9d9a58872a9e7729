"""The handler safety net's worker threads: reused between requests, never making one request wait for another."""

import threading

import pytest

from tabs import _safety


def thread_that_ran(workers: _safety._Workers) -> threading.Thread:
    ran_on, done = [], threading.Event()
    workers.submit(lambda: (ran_on.append(threading.current_thread()), done.set()))
    assert done.wait(10)
    return ran_on[0]


def test_one_request_after_another_reuses_the_same_thread():
    workers = _safety._Workers()
    first = thread_that_ran(workers)
    assert first.daemon and first.name == "budgeted-handler"  # a stuck handler never holds up exit
    assert all(thread_that_ran(workers) is first for _ in range(20))


def test_requests_at_once_each_get_a_thread_even_when_they_wait_for_each_other():
    workers = _safety._Workers()
    together = threading.Barrier(3, timeout=10)  # broken (an error) unless all three run at the same time
    finished = threading.Semaphore(0)

    def waits_for_the_others():
        together.wait()
        finished.release()

    for _ in range(3):
        workers.submit(waits_for_the_others)
    assert all(finished.acquire(timeout=15) for _ in range(3))


def test_a_handler_result_and_its_error_come_back_to_the_caller():
    assert _safety.call_within(5, lambda x: x * 2, 21) == 42
    with pytest.raises(ZeroDivisionError):
        _safety.call_within(5, lambda: 1 / 0)
