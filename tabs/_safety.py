"""Safety nets every tab gets: a time budget per request, and clear errors for payloads gradio cannot read."""

from __future__ import annotations

import contextvars
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from models import limits

log = logging.getLogger(__name__)

# Handlers past their budget keep their thread (Python cannot kill one) until they return by themselves.
# Beyond this many such stragglers, new requests are refused instead of piling more work on the CPU.
MAX_OVERDUE = 2
BUSY = ("The server is still finishing earlier requests that ran out of time. "
        "Try again in a minute; the other tabs keep working as soon as those finish.")

_overdue = 0
_overdue_lock = threading.Lock()


def overdue() -> int:
    """How many handlers ran past their budget and are still running in the background."""
    with _overdue_lock:
        return _overdue


class _Workers:
    """Daemon threads kept between requests: torch gives each calling thread its own OpenMP team, so a new
    thread per request paid to build one again (offline /sentiment handler, in one process on 2 cores:
    14.6-24.6 ms a call with a new thread each, 12.3-14.2 ms with these). A job goes to an idle thread, or
    to a new one when all are busy (so jobs never wait on each other); daemons, so a stuck job never holds
    up exit.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._idle = 0
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            start = self._idle == 0
            if not start:
                self._idle -= 1  # an idle thread will take this job
        if start:
            threading.Thread(target=self._serve, name="budgeted-handler", daemon=True).start()
        self._jobs.put(job)

    def _serve(self) -> None:
        while True:
            self._jobs.get()()  # jobs catch their own exceptions
            with self._lock:
                self._idle += 1


_workers = _Workers()


def _timeout_error(budget: float) -> gr.Error:
    return gr.Error(f"This request took longer than {budget:g} seconds, the limit for one request, so it was "
                    "stopped. Try a shorter input or smaller settings (fewer tokens, beams, steps or epochs).",
                    print_exception=False)


def _run(wait: float, budget: float, call: Callable[[], Any], after_overdue: Callable[[], Any] | None = None) -> Any:
    """call() in a worker thread: its result or exception, or a timeout gr.Error (saying `budget`) once `wait`
    seconds pass.

    The caller (gradio's worker) is freed at the deadline; the helper thread runs on until call() returns,
    then runs `after_overdue` (e.g. closing a generator that was mid-step).
    """
    global _overdue
    outcome: dict[str, Any] = {}
    done = threading.Event()
    state = {"abandoned": False}
    context = contextvars.copy_context()  # gr.Progress and gr.Request live in context variables

    def target() -> None:
        global _overdue
        try:
            outcome["value"] = context.run(call)
        except BaseException as exc:  # re-raised in the caller's thread (StopIteration included)
            outcome["error"] = exc
        with _overdue_lock:
            done.set()
            abandoned = state["abandoned"]
            if abandoned:
                _overdue -= 1
        if abandoned:
            log.warning("a request that ran out of time has now finished")
            if after_overdue is not None:
                after_overdue()

    _workers.submit(target)
    if not done.wait(wait):
        with _overdue_lock:
            if not done.is_set():
                state["abandoned"] = True
                _overdue += 1
                log.warning("a request ran past its %g s budget; its worker is freed", budget)
                raise _timeout_error(budget)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _refuse_when_busy() -> None:
    if overdue() >= MAX_OVERDUE:
        raise gr.Error(BUSY, print_exception=False)


def call_within(budget: float, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """fn(*args, **kwargs), cut off with a clear timeout after `budget` seconds."""
    _refuse_when_busy()
    return _run(budget, budget, lambda: fn(*args, **kwargs))


def stream_within(budget: float, fn: Callable, *args: Any, **kwargs: Any) -> Iterator:
    """Yields what the generator fn(*args, **kwargs) yields, until it ends or `budget` seconds have passed.

    At the deadline the generator is closed (closing is how our generators stop their work), at once if it
    is between two items, else as soon as its current step returns.
    """
    _refuse_when_busy()
    deadline = time.monotonic() + budget
    inner = fn(*args, **kwargs)
    running = {"step": False}
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _timeout_error(budget)
            running["step"] = True
            try:
                item = _run(remaining, budget, lambda: next(inner), after_overdue=inner.close)
            except StopIteration:
                running["step"] = False
                return
            running["step"] = False
            yield item
    finally:
        if not running["step"]:  # a step still running in its thread is closed by it when it returns
            inner.close()


def refuse_malformed_payloads(demo: gr.Blocks) -> None:
    """A payload gradio itself cannot read (a word for a slider, an object for a chat history, missing
    values) becomes a gr.Error that names the problem, instead of the blank error show_error=False gives;
    an oversized one is refused before gradio keeps a copy of it in the session."""
    original = demo.preprocess_data

    async def preprocess_data(block_fn, inputs, state, *args, **kwargs):
        try:
            size = _chars(inputs)
            if size > limits.PAYLOAD_CHARS:
                raise gr.Error(f"This request carries {size:,} characters; no input of this app takes more than "
                               f"{limits.PAYLOAD_CHARS:,} (each states its own, smaller limit). Shorten it.",
                               print_exception=False)
            return await original(block_fn, inputs, state, *args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            raise gr.Error(_malformed_message(block_fn, inputs, exc), print_exception=False) from exc

    demo.preprocess_data = preprocess_data


def _chars(value: Any) -> int:
    """Characters of text in a JSON payload (strings, also inside lists and dicts)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(_chars(k) + _chars(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return sum(_chars(item) for item in value)
    return 0


EXPECTED = {"Slider": "a number", "Number": "a number", "Checkbox": "true or false", "Textbox": "text",
            "Dropdown": "one of its choices", "Radio": "one of its choices",
            "Chatbot": "a list of messages, each {\"role\": \"user\" or \"assistant\", \"content\": text}"}


def _malformed_message(block_fn, inputs: list, exc: Exception) -> str:
    blocks = list(block_fn.inputs)
    labels = [getattr(block, "label", None) or type(block).__name__ for block in blocks]
    if not isinstance(inputs, list) or len(inputs) != len(blocks):
        return (f"This endpoint takes {len(blocks)} values ({', '.join(labels)}); send them in that order "
                "(the app's 'Use via API' page lists each one).")
    index = _failed_input(blocks, exc)
    if index is None:
        return (f"One of the values is not of the kind its input takes. Send each value as the app's "
                f"'Use via API' page shows it: {', '.join(labels)}.")
    kind = type(blocks[index]).__name__
    value = repr(inputs[index])
    value = value if len(value) <= 60 else value[:57] + "..."
    return (f"{labels[index]!r} takes {EXPECTED.get(kind, 'the form the API page shows')}; got {value}. "
            "Send it as the app's 'Use via API' page shows it.")


def _failed_input(blocks: list, exc: Exception) -> int | None:
    """Which input gradio could not read: its error names the index, pydantic's the data model."""
    match = re.search(r"component at index (\d+)", str(exc))
    if match and int(match.group(1)) < len(blocks):
        return int(match.group(1))
    title = getattr(exc, "title", None)  # pydantic.ValidationError: the data model's name
    for index, block in enumerate(blocks):
        if title and getattr(getattr(block, "data_model", None), "__name__", None) == title:
            return index
    return None
