"""The time budget of one request: its handler runs on the bridge, and at the deadline it is told to stop.

handler(fn) makes an event handler gradio awaits on its event loop (a coroutine, or an async generator for
streams), while fn itself runs on a bridge thread. fn may return its result, return a Bridge (a stream:
generation, training), or be a generator (drained on the bridge's thread). Async, because gradio's Stop
cancels the handler's task, and a cancelled coroutine closes its bridge at once; a sync generator handler
can only be closed between two of its items, and not at all before its first (gradio registers it for
closing only once that has come back: issue 15's beam-search cancel).

At the deadline the bridge is closed: streams and work that checks stop_requested() (seq2seq generate, QA
windows) stop at their next step. A step that cannot be interrupted (one forward pass) finishes in the
background; the caller is answered after at most a short grace, with a message saying which of the two
happened. Overdue work never refuses other requests: the budget frees the request's concurrency slot, and
the overrun is one step.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import typing
from collections.abc import Awaitable, Callable
from typing import Any

import gradio as gr

import config
import state
from serving.bridge import Bridge

log = logging.getLogger(__name__)

# After the deadline, how long the caller waits for its work to stop before being answered (at most a quarter
# of the budget): a generation or training step ends well within it, a long forward pass may not.
GRACE_S = 5.0


def overdue() -> int:
    """Requests past their budget whose work has not returned yet (each is in its last, uninterruptible step)."""
    with state.serving.lock:
        state.serving.late = _still_running()
        return len(state.serving.late)


def _still_running() -> set[Bridge]:
    """The late requests whose work has not returned (lock held); the others are dropped: each holds its inputs."""
    return {late for late in state.serving.late if not late.finished}


def _unchanged(exc: Exception) -> Exception:
    return exc


def own_session() -> None:
    """Mark this request's context (copied into its bridge thread) with the gradio session it comes from
    (state.owner), so that per-session state such as a fine-tuned "My model" is that session's own."""
    from gradio.context import LocalContext

    request = LocalContext.request.get(None)
    state.owner.set(getattr(request, "session_hash", None) or "")


def is_guarded(fn: Callable) -> bool:
    """Whether `fn` is a handler made by `handler` (it runs within a budget and turns errors into messages)."""
    return getattr(fn, GUARDED, False)


GUARDED = "__budgeted__"  # set on every handler `handler` makes


def handler(fn: Callable, budget_s: float | None = None,
            errors: Callable[[Exception], Exception] = _unchanged) -> Callable:
    """fn as a gradio event handler that runs it on the bridge within `budget_s` seconds (default:
    Settings.time_budget_s, read at each call); `errors` turns fn's exceptions into what the caller sees.

    fn streams when it is a generator function or is annotated to return a Bridge; the handler is then an
    async generator. The signature is kept (functools.wraps), so gradio still injects gr.Progress and gr.Request.
    """
    kind = _kind(fn)
    name = getattr(fn, "__name__", "handler")

    def budget() -> _Deadline:
        return _Deadline(budget_s if budget_s is not None else config.current().time_budget_s)

    def called(args: tuple, kwargs: dict) -> Bridge:
        own_session()
        return Bridge(lambda emit, should_stop: fn(*args, **kwargs), name=name)

    if kind == "call":
        @functools.wraps(fn)
        async def call(*args, **kwargs):
            try:
                result = await budget().result(called(args, kwargs))
            except Exception as exc:
                raise errors(exc) from exc
            if isinstance(result, Bridge):
                raise TypeError(f"{name} returns a Bridge: annotate it `-> Bridge[...]` so that it streams")
            return result
        setattr(call, GUARDED, True)
        return call

    @functools.wraps(fn)
    async def stream(*args, **kwargs):
        deadline, source = budget(), None
        try:
            if kind == "iterate":
                own_session()
                source = Bridge.iterate(lambda: fn(*args, **kwargs), name=name)
            else:
                source = await deadline.result(called(args, kwargs))
            while True:
                try:
                    item = await deadline.within(source, anext(source))
                except StopAsyncIteration:
                    return
                yield item
        except Exception as exc:
            raise errors(exc) from exc
        finally:  # gradio closed the stream (the client went away) or it failed: stop the work
            if source is not None:
                source.close()
    setattr(stream, GUARDED, True)
    return stream


def _kind(fn: Callable) -> str:
    """"iterate" for a generator function, "stream" for one annotated to return a Bridge, else "call"."""
    if inspect.isgeneratorfunction(fn):
        return "iterate"
    hint = inspect.signature(fn).return_annotation
    if isinstance(hint, str):  # postponed: the return type alone (a parameter's may exist only for type checkers)
        try:
            hint = eval(hint, inspect.unwrap(fn).__globals__)
        except NameError:
            return "call"
    origin = typing.get_origin(hint) or hint
    return "stream" if isinstance(origin, type) and issubclass(origin, Bridge) else "call"


class _Deadline:
    """One request's deadline, shared by the steps it awaits."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self.at = asyncio.get_running_loop().time() + budget_s

    async def result(self, bridge: Bridge) -> Any:
        return await self.within(bridge, bridge.aresult())

    async def within(self, bridge: Bridge, step: Awaitable) -> Any:
        """`await step` (a read of `bridge`), or at the deadline: `bridge` closed and a clear gr.Error raised."""
        timeout = asyncio.timeout_at(self.at)
        try:
            async with timeout:
                return await step  # cancelled at the deadline: the bridge closes itself
        except TimeoutError:
            if not timeout.expired():
                raise
        raise await self._overdue(bridge)

    async def _overdue(self, bridge: Bridge) -> gr.Error:
        bridge.close()
        stopped = await bridge.ended(min(GRACE_S, self.budget_s / 4))
        if not stopped:
            with state.serving.lock:
                state.serving.late = _still_running() | {bridge}
        log.warning("a request ran past its %g s budget; its work %s", self.budget_s,
                    "stopped" if stopped else "is finishing its current step in the background")
        return _timeout_error(self.budget_s, stopped)


def _timeout_error(budget_s: float, stopped: bool) -> gr.Error:
    """What the caller of a request past its budget reads: whether its work has stopped, or is finishing a step."""
    what = ("so it was stopped." if stopped else
            "so it was told to stop. The model step it was in cannot be interrupted and is finishing in the "
            "background; other requests do not wait for it.")
    return gr.Error(f"This request took longer than {budget_s:g} seconds, the limit for one request, {what} "
                    "Try a shorter input or smaller settings (fewer tokens, beams, steps or epochs).",
                    print_exception=False)
