"""The one way to run work in the background: work(emit, should_stop) on a reused thread, read as an iterator.

A Bridge runs `work(emit, should_stop)` on a pool thread once its reader starts reading, and gives the reader
what the work emits, then what it returns. The reader may be a thread (`for`) or a coroutine on gradio's event
loop (`async for`, woken by the work, never blocking the loop). close() asks the work to stop and returns at
once: should_stop() (and stop_requested(), for code deep inside the work) turns true, and the work ends at its
next step. A cancelled async reader (gradio's Stop, a time budget) closes the bridge itself. An exception in
the work is raised in the reader.

Imports neither gradio nor models: the model layer uses it for generation, training and batching.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

import state

T = TypeVar("T")
U = TypeVar("U")
Emit = Callable[[Any], None]
ShouldStop = Callable[[], bool]
Work = Callable[[Emit, ShouldStop], Any]

_ITEM, _DONE, _FAILED, _END, _WAIT = "item", "done", "failed", "end", "wait"
_NOTHING: Any = object()  # no value; returned by an iterate() work, whose items are all it gives
_current: contextvars.ContextVar[_Channel | None] = contextvars.ContextVar("serving_bridge", default=None)


class Stopped(Exception):
    """Raised by work that noticed it was asked to stop: its reader has gone, nobody reads what it would return."""


def stop_requested() -> bool:
    """Whether the bridge running this code was asked to stop (always False outside a bridge's work).

    For code deep inside a work that has no should_stop of its own: a loop over windows or pieces, or
    model.generate's StoppingCriteria.
    """
    channel = _current.get()
    return channel is not None and channel.stop.is_set()


def running(name: str | None = None) -> int:
    """Works running now (counted from start(), so one about to run is never missed), in all or of one name."""
    with state.serving.lock:
        return sum(state.serving.running.values()) if name is None else state.serving.running[name]


def submit(job: Callable[[], None]) -> None:
    """job() on a pool thread: an idle one, or a new one when all are busy, so jobs never wait on each other.

    Threads are kept between jobs: torch gives each calling thread its own OpenMP team, so a new thread per
    request paid to build one again (offline /sentiment handler, one process on 2 cores: 14.6-24.6 ms a call
    with a new thread each, 12.3-14.2 ms reused). Daemons, so a stuck job never holds up exit. job() must catch
    its own exceptions.
    """
    with state.serving.lock:
        spawn = state.serving.idle == 0
        if not spawn:
            state.serving.idle -= 1  # an idle thread will take this job
    if spawn:
        threading.Thread(target=_serve, name="serving", daemon=True).start()
    state.serving.jobs.put(job)


def _serve() -> None:
    while True:
        state.serving.jobs.get()()
        with state.serving.lock:
            state.serving.idle += 1


class _Channel:
    """What a work and its reader share: the work's events, the stop flag, and the reader's coalescing state."""

    def __init__(self, work: Work, name: str, every: float | None, phase: Callable[[Any], Hashable]) -> None:
        self.work, self.name, self.every, self.phase = work, name, every, phase
        # gr.Progress and gr.Request live in context variables: the work sees its creator's.
        self.context = contextvars.copy_context()
        self.stop = threading.Event()
        self.cond = threading.Condition()  # guards everything below; thread readers wait on it
        self.events: deque[tuple[str, Any]] = deque()
        self.wakers: list[Callable[[], None]] = []  # async readers waiting for the next event
        self.started = self.done = self.closed = False
        self.held: Any = _NOTHING  # the latest item not shown yet (coalescing)
        self.shown_phase: Any = _NOTHING
        self.shown_at = 0.0

    # ---- the work's side (a pool thread) ----
    def start(self) -> None:
        with self.cond:
            if self.started or self.closed:
                return
            self.started = True
        with state.serving.lock:
            state.serving.running[self.name] += 1
        submit(self._run)

    def _run(self) -> None:
        outcome = self.context.run(self._call)
        with state.serving.lock:
            state.serving.running[self.name] -= 1  # before the reader can see the end: ended means not running
        self._put(*outcome)

    def _call(self) -> tuple[str, Any]:
        _current.set(self)
        try:
            return _DONE, self.work(self._emit, self.stop.is_set)
        except BaseException as exc:  # re-raised in the reader's thread (StopIteration included)
            return _FAILED, exc

    def _emit(self, item: Any) -> None:
        self._put(_ITEM, item)

    def _put(self, kind: str, value: Any) -> None:
        with self.cond:
            self.done = self.done or kind != _ITEM
            if not self.closed:  # nobody reads a closed bridge: keep nothing
                self.events.append((kind, value))
            wakers = self._wake()
        for wake in wakers:
            wake()

    def _wake(self) -> list[Callable[[], None]]:
        """Wake every reader (lock held); returns the async wakers to call once the lock is released."""
        self.cond.notify_all()
        wakers, self.wakers = self.wakers, []
        return wakers

    def close(self) -> None:
        self.stop.set()
        with self.cond:
            self.closed = True
            self.events.clear()
            wakers = self._wake()
        for wake in wakers:
            wake()

    # ---- the reader's side ----
    def step(self) -> tuple[str, Any]:
        """What the reader gets now (lock held): (_ITEM, value), (_FAILED, exception), (_END, None), or
        (_WAIT, seconds or None) when there is nothing to give yet."""
        if self.closed:
            return _END, None
        now = time.monotonic()
        while self.events:
            kind, value = self.events.popleft()
            if kind != _ITEM:  # the result or the error ends the stream, superseding any held item
                self.closed = True
                return (_END, None) if value is _NOTHING else (kind, value)
            if self.every is None:
                return _ITEM, value
            phase = self.phase(value)
            if phase != self.shown_phase:  # a new phase is shown at once; it supersedes the held item
                self.held, self.shown_phase, self.shown_at = _NOTHING, phase, now
                return _ITEM, value
            self.held = value
        if self.held is _NOTHING:
            return _WAIT, None
        wait = self.shown_at + self.every - now
        if wait > 0:
            return _WAIT, wait
        value, self.held, self.shown_at = self.held, _NOTHING, now
        return _ITEM, value

    def ended(self) -> tuple[str, Any]:
        """For await_end: (_END, None) once the work has returned, else wait for the next event."""
        return (_END, None) if self.done else (_WAIT, None)

    def wait_sync(self, ready: Callable[[], tuple[str, Any]]) -> tuple[str, Any]:
        with self.cond:
            while True:
                kind, value = ready()
                if kind != _WAIT:
                    return kind, value
                self.cond.wait(value)

    async def wait_async(self, ready: Callable[[], tuple[str, Any]], timeout: float | None = None) -> tuple[str, Any]:
        """Like wait_sync, awaiting instead of blocking: the work wakes this loop with call_soon_threadsafe.
        After `timeout` seconds, (_WAIT, None)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self.cond:
                kind, value = ready()
                if kind != _WAIT:
                    return kind, value
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return _WAIT, None
                    value = left if value is None else min(value, left)
                woken = loop.create_future()
                wake = _waker(loop, woken)
                self.wakers.append(wake)
            try:
                await asyncio.wait([woken], timeout=value)
            finally:
                with self.cond:
                    if wake in self.wakers:
                        self.wakers.remove(wake)


def _waker(loop: asyncio.AbstractEventLoop, future: asyncio.Future) -> Callable[[], None]:
    def wake() -> None:
        try:
            loop.call_soon_threadsafe(_resolve, future)
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            pass
    return wake


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def _no_phase(item: Any) -> None:
    return None


def _identity(item: Any) -> Any:
    return item


class Bridge(Generic[T]):
    """`work(emit, should_stop)` on a pool thread; iterate it (for or async for) for what it emits, then its result.

    Nothing runs until the first read. `every` coalesces emitted items: the reader gets the latest at most once
    per `every` seconds (the first at once), an item whose `phase(item)` differs from the last one shown at
    once, and the result at once (it supersedes items not shown yet); with `every=None` it gets every item.
    `name` counts the work in running(name).
    """

    def __init__(self, work: Work, *, name: str = "work", every: float | None = None,
                 phase: Callable[[Any], Hashable] = _no_phase) -> None:
        self._channel = _Channel(work, name, every, phase)
        self._transform: Callable[[Any], T] = _identity

    @classmethod
    def iterate(cls, make: Callable[[], Iterable[T]], *, name: str = "iterate") -> Bridge[T]:
        """The items of the iterable make() returns, produced on the pool thread (every one of them);
        close() stops it before its next item and closes it there."""
        def work(emit: Emit, should_stop: ShouldStop) -> Any:
            iterator = iter(make())
            try:
                for item in iterator:
                    emit(item)
                    if should_stop():
                        break
            finally:
                close = getattr(iterator, "close", None)
                if close is not None:  # a generator: closed on the thread that ran it
                    close()
            return _NOTHING
        return cls(work, name=name)

    def map(self, fn: Callable[[T], U]) -> Bridge[U]:
        """The same work, with each item and the result passed through fn in the reader's thread. Keep fn cheap:
        for an async reader it runs on gradio's event loop."""
        view: Bridge[U] = object.__new__(Bridge)
        view._channel = self._channel
        first = self._transform
        view._transform = lambda item: fn(first(item))
        return view

    def close(self) -> None:
        """Ask the work to stop at its next step, and end the reading. Never blocks."""
        self._channel.close()

    def __iter__(self) -> Bridge[T]:
        return self

    def __next__(self) -> T:
        self._channel.start()
        return self._deliver(*self._channel.wait_sync(self._channel.step), StopIteration)

    def __aiter__(self) -> Bridge[T]:
        return self

    async def __anext__(self) -> T:
        self._channel.start()
        try:
            kind, value = await self._channel.wait_async(self._channel.step)
        except asyncio.CancelledError:  # the reading task was cancelled (Stop, a time budget): stop the work too
            self.close()
            raise
        return self._deliver(kind, value, StopAsyncIteration)

    def _deliver(self, kind: str, value: Any, end: type[Exception]) -> T:
        if kind == _FAILED:
            raise value
        if kind == _END:
            raise end
        return self._transform(value)

    def result(self) -> T:
        """Reads to the end: the work's result (the last item, for iterate())."""
        last: Any = None
        for item in self:
            last = item
        return last

    async def aresult(self) -> T:
        """result() for an async reader."""
        last: Any = None
        async for item in self:
            last = item
        return last

    @property
    def finished(self) -> bool:
        """Whether the work has returned (or raised)."""
        return self._channel.done

    async def ended(self, timeout: float) -> bool:
        """Whether the work has returned, waiting up to `timeout` seconds for it (after close(): did it stop?)."""
        kind, _ = await self._channel.wait_async(self._channel.ended, timeout)
        return kind == _END
