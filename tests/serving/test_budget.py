"""The time budget: handlers run on the bridge, their results and errors come back, and past the budget the work
is told to stop, with a message that says truthfully whether it has; overdue work refuses nothing."""

import asyncio
import inspect
import threading
import time

import gradio as gr
import pytest

from serving import bridge, budget
from serving.bridge import Bridge
from tests.support.waiting import wait_until


def call(handler, *args, **kwargs):
    """What gradio does with a handler: await it, or read the async generator to its end (all its items)."""
    async def run():
        if inspect.isasyncgenfunction(handler):
            return [item async for item in handler(*args, **kwargs)]
        return await handler(*args, **kwargs)
    return asyncio.run(run())


def test_a_call_runs_on_a_pool_thread_and_its_result_and_error_come_back():
    def double(x: int) -> tuple[int, str]:
        return x * 2, threading.current_thread().name

    assert call(budget.handler(double, 5), 21) == (42, "serving")
    with pytest.raises(ZeroDivisionError):
        call(budget.handler(lambda: 1 / 0, 5))
    with pytest.raises(ValueError, match="translated"):
        call(budget.handler(lambda: 1 / 0, 5, errors=lambda exc: ValueError(f"translated {exc}")))


def test_the_signature_is_kept_and_streams_become_async_generators():
    def plain(text: str, choice: str | None = None, progress=gr.Progress()) -> str:
        return text

    def streamed(text: str) -> Bridge[str]:
        return Bridge(lambda emit, should_stop: text)

    def generator(text: str):
        yield text

    assert inspect.signature(budget.handler(plain)) == inspect.signature(plain)  # gradio reads it
    assert inspect.iscoroutinefunction(budget.handler(plain))
    assert inspect.isasyncgenfunction(budget.handler(streamed))
    assert inspect.isasyncgenfunction(budget.handler(generator))
    assert call(budget.handler(streamed, 5), "hi") == ["hi"] and call(budget.handler(generator, 5), "hi") == ["hi"]


def test_postponed_annotations_are_read_and_a_type_only_imported_for_type_checkers_is_no_obstacle():
    def streamed() -> "Bridge[str]":  # as under `from __future__ import annotations`
        return Bridge(lambda emit, should_stop: "streamed")

    def plain(figure: "Figure") -> "Figure":  # noqa: F821 (a name only a type checker would import)
        return figure

    assert inspect.isasyncgenfunction(budget.handler(streamed))
    assert inspect.iscoroutinefunction(budget.handler(plain))
    assert call(budget.handler(plain, 5), "drawn") == "drawn"


def test_a_call_that_checks_for_a_stop_is_stopped_at_the_deadline():
    def loops_until_stopped() -> str:
        while not bridge.stop_requested():  # e.g. QA's windows, seq2seq's pieces and steps
            time.sleep(0.01)
        raise bridge.Stopped

    with pytest.raises(gr.Error, match=r"longer than 0.3 seconds, the limit for one request, so it was stopped\."):
        call(budget.handler(loops_until_stopped, 0.3))
    assert budget.overdue() == 0 and bridge.running("loops_until_stopped") == 0


def test_a_step_that_cannot_be_interrupted_is_said_to_finish_in_the_background_and_refuses_nothing():
    release = threading.Event()

    def one_long_pass() -> str:  # like a forward pass: no point at which it could stop
        release.wait(10)
        return "too late"

    with pytest.raises(gr.Error, match="cannot be interrupted and is finishing in the background; other requests "
                                       "do not wait for it"):
        call(budget.handler(one_long_pass, 0.3))
    assert budget.overdue() == 1 and bridge.running("one_long_pass") == 1
    assert call(budget.handler(lambda: "served", 0.3)) == "served"  # overdue work refuses nothing
    release.set()
    assert wait_until(lambda: budget.overdue() == 0 and bridge.running("one_long_pass") == 0, timeout=10)


def test_a_stream_past_its_budget_keeps_what_it_gave_and_its_work_stops():
    given = []

    def tokens(prompt: str) -> Bridge[str]:
        def work(emit, should_stop):
            while not should_stop():
                emit(prompt)
                time.sleep(0.01)
            return "never read"
        return Bridge(work, name="tokens", every=0.05)

    async def read():
        with pytest.raises(gr.Error, match="so it was stopped"):
            async for item in budget.handler(tokens, 0.3)("once"):
                given.append(item)

    asyncio.run(read())
    assert given and set(given) == {"once"} and bridge.running("tokens") == 0


def cancelled_early(handler, started: threading.Event) -> None:
    """What gradio's Stop does to a running event: cancel its task, here before the handler gave anything."""
    async def run():
        async def read():
            async for _ in handler():
                pass
        reader = asyncio.ensure_future(read())
        while not started.is_set():
            await asyncio.sleep(0.01)
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader
    asyncio.run(run())


def test_stop_before_the_first_item_stops_the_work():
    started = threading.Event()

    def quiet() -> Bridge[str]:  # like beam search: nothing to show until it ends
        def work(emit, should_stop):
            started.set()
            while not should_stop():
                time.sleep(0.01)
            return "never read"
        return Bridge(work, name="quiet")

    cancelled_early(budget.handler(quiet, 60), started)
    assert wait_until(lambda: bridge.running("quiet") == 0, timeout=10)


def test_a_client_that_goes_away_closes_the_stream_and_its_work_stops():
    def ticking() -> Bridge[int]:
        def work(emit, should_stop):
            count = 0
            while not should_stop():
                emit(count)
                count += 1
                time.sleep(0.01)
            return count
        return Bridge(work, name="ticking")

    async def first_then_leave():
        stream = budget.handler(ticking, 60)()
        assert await anext(stream) == 0
        await stream.aclose()  # what gradio does when the client disconnects

    asyncio.run(first_then_leave())
    assert wait_until(lambda: bridge.running("ticking") == 0, timeout=10)


def test_a_generator_handler_is_drained_on_the_bridge_and_closed_there_when_stopped():
    closed_on = []

    def chat():
        try:
            while True:
                yield threading.current_thread().name
                time.sleep(0.01)
        finally:
            closed_on.append(threading.current_thread().name)

    async def read():
        with pytest.raises(gr.Error, match="so it was stopped"):
            async for name in budget.handler(chat, 0.3)():
                assert name == "serving"

    asyncio.run(read())
    assert closed_on == ["serving"]


def test_a_plain_handler_that_returns_a_bridge_is_a_mistake_said_plainly():
    def unannotated():
        return Bridge(lambda emit, should_stop: "x")

    with pytest.raises(TypeError, match="annotate it `-> Bridge"):
        call(budget.handler(unannotated, 5))
