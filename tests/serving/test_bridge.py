"""The background bridge: reused threads, results and errors to the reader, close() stops the work at its next step,
coalesced updates, and an async reader that is cancelled stops its work (the beam-search cancel of issue 15)."""

import asyncio
import contextvars
import threading
import time

import pytest

from serving import bridge
from serving.bridge import Bridge
from tests.support.waiting import wait_until


def pool_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name == "serving"}


def thread_that_ran() -> threading.Thread:
    ran_on, done = [], threading.Event()
    bridge.submit(lambda: (ran_on.append(threading.current_thread()), done.set()))
    assert done.wait(10)
    return ran_on[0]


def test_one_job_after_another_reuses_the_pool_threads():
    first = thread_that_ran()
    assert first.daemon and first.name == "serving"  # a stuck job never holds up exit
    before = pool_threads()
    assert all(thread_that_ran() in before for _ in range(20)) and pool_threads() == before


def test_jobs_at_once_each_get_a_thread_even_when_they_wait_for_each_other():
    together = threading.Barrier(3, timeout=10)  # broken (an error) unless all three run at the same time
    finished = threading.Semaphore(0)

    def waits_for_the_others():
        together.wait()
        finished.release()

    for _ in range(3):
        bridge.submit(waits_for_the_others)
    assert all(finished.acquire(timeout=15) for _ in range(3))


def test_the_reader_gets_what_the_work_emits_then_its_result_or_its_error():
    def work(emit, should_stop):
        emit("a")
        emit("b")
        return "result"

    assert list(Bridge(work)) == ["a", "b", "result"]
    assert Bridge(work).result() == "result"
    with pytest.raises(ZeroDivisionError):
        Bridge(lambda emit, should_stop: 1 / 0).result()


def test_nothing_runs_until_the_first_read():
    ran = threading.Event()
    work = Bridge(lambda emit, should_stop: ran.set(), name="lazy")
    time.sleep(0.05)
    assert not ran.is_set() and bridge.running("lazy") == 0
    work.result()
    assert ran.is_set()


def test_close_returns_at_once_and_the_work_stops_at_its_next_step():
    step = threading.Event()

    def slow_steps(emit, should_stop):
        while not should_stop():
            emit("step")
            step.wait(10)  # a step that lasts until the test lets it end
        return "stopped"

    work = Bridge(slow_steps, name="slow steps")
    assert next(work) == "step"
    work.close()  # returns while the work is still in its step
    assert bridge.running("slow steps") == 1 and not work.finished
    step.set()
    assert wait_until(lambda: work.finished and bridge.running("slow steps") == 0, timeout=10)
    assert list(work) == []  # a closed bridge gives nothing more


def test_a_burst_of_updates_is_coalesced_and_the_result_comes_at_once():
    def burst(emit, should_stop):
        for i in range(500):
            emit(i)
        return "done"

    assert list(Bridge(burst, every=60)) == [0, "done"]  # the first at once, the rest superseded by the result
    assert list(Bridge(burst)) == [*range(500), "done"]  # every=None: every item


def test_a_new_phase_is_shown_at_once_and_a_held_item_comes_when_its_interval_is_over():
    release = threading.Event()

    def phases(emit, should_stop):
        emit({"status": "loading"})
        for step in range(1, 4):
            emit({"status": "training", "step": step})
        emit({"status": "evaluating"})
        emit({"status": "evaluating", "step": 9})  # same phase: held until 0.2 s after the last one shown
        release.wait(10)
        return "done"

    work = Bridge(phases, every=0.2, phase=lambda update: update["status"])
    seen = [next(work) for _ in range(4)]
    release.set()
    assert seen == [{"status": "loading"}, {"status": "training", "step": 1}, {"status": "evaluating"},
                    {"status": "evaluating", "step": 9}]
    assert list(work) == ["done"]


def test_a_quiet_work_gives_nothing_until_its_result():
    assert list(Bridge(lambda emit, should_stop: time.sleep(0.3) or "late", every=0.05)) == ["late"]


def test_map_applies_to_every_item_and_the_result_and_shares_the_work():
    work = Bridge(lambda emit, should_stop: emit(1) or 2)
    doubled = work.map(lambda n: n * 10).map(str)
    assert list(doubled) == ["10", "20"] and list(work) == []  # one work, read through either


def test_iterate_gives_every_item_and_closes_its_generator_on_the_thread_that_ran_it():
    closed_on = []

    def numbers():
        try:
            yield from range(1_000_000)
        finally:
            closed_on.append(threading.current_thread().name)

    work = Bridge.iterate(numbers, name="numbers")
    assert [next(work) for _ in range(3)] == [0, 1, 2]
    work.close()
    assert wait_until(lambda: closed_on == ["serving"], timeout=10)
    assert list(Bridge.iterate(lambda: iter("ab"))) == ["a", "b"]  # no result after the items


def test_stop_requested_reads_the_bridge_running_the_code_and_is_false_elsewhere():
    assert not bridge.stop_requested()
    seen = []

    def inner(emit, should_stop):
        seen.append(("inner before", bridge.stop_requested()))
        return "inner"

    def outer(emit, should_stop):
        nested = Bridge(inner)  # a bridge made inside a work reads its own stop flag
        seen.append(("outer", bridge.stop_requested()))
        emit("started")
        assert wait_until(should_stop, timeout=10)
        seen.append(("outer after close", bridge.stop_requested()))
        return nested.result()

    work = Bridge(outer)
    assert next(work) == "started"
    work.close()
    assert wait_until(lambda: work.finished, timeout=10)
    assert seen == [("outer", False), ("outer after close", True), ("inner before", False)]


def test_the_work_sees_the_context_variables_of_the_code_that_made_it():
    # gradio keeps gr.Progress and gr.Request in context variables
    request = contextvars.ContextVar("request", default=None)
    request.set("this request")
    assert Bridge(lambda emit, should_stop: request.get()).result() == "this request"


def test_an_async_reader_is_woken_by_the_work_and_reads_everything():
    async def read() -> list:
        return [item async for item in Bridge(lambda emit, should_stop: [emit(i) for i in range(3)] and "end")]

    assert asyncio.run(read()) == [0, 1, 2, "end"]


def test_cancelling_an_async_reader_before_any_item_stops_the_work():
    # Issue 15: gradio cancels the handler's task on Stop, possibly before the first item (beam search
    # streams nothing until it ends). The cancellation itself must stop the work: nothing else will.
    started = threading.Event()

    def quiet_until_stopped(emit, should_stop):
        started.set()
        while not should_stop():
            time.sleep(0.01)
        return "never read"

    async def cancel_early() -> Bridge:
        work = Bridge(quiet_until_stopped, name="quiet", every=0.05)
        reader = asyncio.ensure_future(work.aresult())
        while not started.is_set():
            await asyncio.sleep(0.01)
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader
        assert await work.ended(10)  # the work returned: it stopped at its next check
        return work

    assert asyncio.run(cancel_early()).finished and bridge.running("quiet") == 0


def test_an_async_reader_waits_without_blocking_the_event_loop():
    async def both() -> tuple:
        work = Bridge(lambda emit, should_stop: time.sleep(0.3) or "slow")
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.ensure_future(tick())
        result = await work.aresult()
        ticker.cancel()
        return result, ticks

    result, ticks = asyncio.run(both())
    assert result == "slow" and ticks >= 3  # the loop kept running while the work slept
