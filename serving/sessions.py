"""What gradio keeps per session, made cheap and bounded: session state built on demand, unread results that expire.

A new session used to cost a copy of every block's config. gradio builds a SessionState for each new session hash,
and SessionState's constructor builds the config of every block in the app (625 here): ~57 ms on the server's
event loop on an idle machine, during which no other request moves, and about 1 MB kept per session. A call
without a session (curl, gradio's /call API, many scripts) paid that on every call. Those configs serve one purpose,
deep links (`/gradio_api/deep_link`), which read every block's config and the values the session's requests wrote
into them; `LazySessionState` builds a block's config when a request writes to it or a deep link reads it, and
gives deep links exactly what SessionState gives (tests/serving/test_sessions.py compares the two).

Results nobody reads used to stay. gradio keeps each result in its session's message queue until the session
reads its event stream (`GET /gradio_api/queue/data`, or `/call/<name>/<event_id>`); a client that joins and never
reads kept every result (about 1.5 MB each for some tabs). Here unread results expire after `limits.UNREAD_S`; in
all they hold at most `limits.UNREAD_BYTES` (the oldest are dropped first); a session with
`limits.UNREAD_PER_SESSION` unread results is refused more until it reads them; and a session hash longer than
`limits.SESSION_HASH_CHARS` is refused before gradio keeps anything under it.

gradio has no setting for either, so `lifespan` (handed to launch's `app_kwargs` by app.py) installs both when the
server starts, before it takes a request: a StateHolder subclass as the app's state holder, and a check and a
record around the queue's `push` and `send_message`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import types
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import HTTPException
from gradio.server_messages import ProcessCompletedMessage
from gradio.state_holder import SessionState, StateHolder

from models import limits

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 1.0  # how often unread results are checked for expiry, as gradio checks expired state


def hash_problem(session_hash: str | None) -> str | None:
    """Why a session hash is refused (None: it is fine). gradio's pages make 11 characters, gradio_client 36."""
    if session_hash is not None and len(session_hash) > limits.SESSION_HASH_CHARS:
        return (f"A session_hash has at most {limits.SESSION_HASH_CHARS} characters (this one has "
                f"{len(session_hash):,}); gradio_client and the browser make one for you.")
    return None


class LazySessionState(SessionState):
    """gradio's SessionState, without the config of every block up front: `config_values` holds only the blocks
    whose config a request wrote (gradio's own code fills it), and `components` builds the others when read."""

    def __init__(self, blocks: Any) -> None:
        # SessionState.__init__ on a view of `blocks` that lists no block: every attribute it sets is set (a gradio
        # release that adds one still gets it), but its loop over the blocks builds no config.
        super().__init__(types.SimpleNamespace(default_config=blocks.default_config, blocks={}))
        self._listed = blocks.blocks  # the blocks SessionState would have listed (the app's own, not re-rendered)

    @property
    def components(self) -> Iterator[dict]:
        """Every block's config as SessionState gives it (for deep links): the app's blocks in their order, then any
        other block a request wrote; configs no request wrote are built now, from this session's blocks."""
        for key, block in self.blocks_config.blocks.items():
            if key in self._listed:
                config = (self.config_values[key] if key in self.config_values
                          else self.blocks_config.config_for_block(key, [], block))
                if config:
                    yield config
        for key, config in self.config_values.items():
            if key not in self._listed and config:
                yield config


class Sessions(StateHolder):
    """The app's state holder: sessions are LazySessionStates, and an overlong session hash is refused (400)."""

    def __getitem__(self, session_id: str) -> SessionState:
        problem = hash_problem(session_id)
        if problem:
            raise HTTPException(status_code=400, detail=problem)
        if session_id not in self.session_data:
            self.session_data[session_id] = LazySessionState(self.blocks)
        return super().__getitem__(session_id)


@dataclass
class _Result:
    session: str
    sent: float  # time.monotonic() when the result was queued for its session
    size: int  # bytes of its output as JSON


class UnreadResults:
    """The results the queue holds for sessions that have not read them yet, oldest first, within the limits.

    A result is read once gradio has delivered it: its event id leaves `pending_event_ids_session[session]`.
    """

    def __init__(self, queue: Any) -> None:
        self.queue = queue
        self.results: OrderedDict[str, _Result] = OrderedDict()  # event id -> result, oldest first
        self.per_session: Counter[str] = Counter()
        self.bytes = 0
        self.dropped = 0  # results dropped unread since start (expired, or for room)

    # ---- recording --------------------------------------------------------------------------
    def sent(self, session: str, event_id: str, output: dict) -> None:
        """A result was queued for `session` (the queue's send_message)."""
        size = _json_bytes(output)
        self.results[event_id] = _Result(session, time.monotonic(), size)
        self.per_session[session] += 1
        self.bytes += size
        if self.bytes > limits.UNREAD_BYTES:  # drop the oldest now, not at the next sweep
            self.sweep()

    def refusal(self, session: str | None) -> str | None:
        """Why a join from `session` is refused (None: it is not): too many of its results are unread."""
        if session is None or self.per_session.get(session, 0) < limits.UNREAD_PER_SESSION:
            return None
        self.sweep()  # the count includes results read since the last sweep
        unread = self.per_session.get(session, 0)
        if unread < limits.UNREAD_PER_SESSION:
            return None
        return (f"This session has {unread} results it has not read (at most {limits.UNREAD_PER_SESSION}). Read "
                "them from its event stream (GET /gradio_api/queue/data?session_hash=..., as gradio_client and the "
                f"browser do), or wait: unread results are dropped after {limits.UNREAD_S:g} s.")

    # ---- forgetting ---------------------------------------------------------------------------
    def sweep(self, now: float | None = None) -> int:
        """Forget results that were read; drop the unread ones past their time, and the oldest while over the byte
        cap. Returns how many were dropped."""
        now = time.monotonic() if now is None else now
        dropped = 0
        for event_id, result in list(self.results.items()):
            if not self._unread(event_id, result.session):
                self._forget(event_id)
            elif now - result.sent > limits.UNREAD_S or self.bytes > limits.UNREAD_BYTES:
                self._drop(event_id, result.session)
                dropped += 1
        if dropped:
            self.dropped += dropped
            log.info("dropped %d unread results (%d kept, %d bytes)", dropped, len(self.results), self.bytes)
        return dropped

    def _unread(self, event_id: str, session: str) -> bool:
        return event_id in self.queue.pending_event_ids_session.get(session, ())

    def _forget(self, event_id: str) -> None:
        result = self.results.pop(event_id)
        self.bytes -= result.size
        self.per_session[result.session] -= 1
        if self.per_session[result.session] <= 0:
            del self.per_session[result.session]

    def _drop(self, event_id: str, session: str) -> None:
        """Take an unread result out of the queue: its messages, its pending id; the whole session when that was all
        it held (a reader that comes later is told the session is not found)."""
        self._forget(event_id)
        pending = self.queue.pending_event_ids_session.get(session)
        if pending is not None:
            pending.discard(event_id)
        messages = self.queue.pending_messages_per_session.get(session)
        if messages is not None:
            kept = [m for m in _drain(messages) if m.event_id != event_id]
            for message in kept:
                messages.put_nowait(message)
        if not pending:  # nothing of the session is waiting, running or unread any more
            self.queue.pending_event_ids_session.pop(session, None)
            self.queue.pending_messages_per_session.pop(session, None)


def _json_bytes(value: Any) -> int:
    """Bytes of a result's output as its event stream sends it (JSON)."""
    try:
        return len(orjson.dumps(value, default=str, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS))
    except (TypeError, orjson.JSONEncodeError):  # nested too deeply for orjson: its text is as good an estimate
        return len(repr(value))


def _drain(messages: asyncio.Queue) -> list:
    out = []
    while not messages.empty():
        out.append(messages.get_nowait())
    return out


def install(app: Any) -> UnreadResults:
    """Put the lazy sessions and the unread-result limits in place on a gradio App (its Blocks configured, its queue
    made); returns the record of unread results."""
    holder = Sessions()
    holder.set_blocks(app.get_blocks())
    app.state_holder = holder
    queue = app.get_blocks()._queue
    unread = UnreadResults(queue)
    push, send_message = queue.push, queue.send_message

    async def checked_push(body, request, username):
        problem = hash_problem(body.session_hash) or unread.refusal(body.session_hash)
        if problem:
            return False, problem, "error"  # HTTP 400 with this message; nothing kept
        return await push(body, request, username)

    def recorded_send_message(event, message) -> None:
        send_message(event, message)
        if isinstance(message, ProcessCompletedMessage) and event.alive:
            unread.sent(event.session_hash, event._id, message.output)

    queue.push, queue.send_message = checked_push, recorded_send_message
    queue.unread = unread  # for tests and the benchmark: how many results wait, and how many were dropped
    return unread


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """The server's start-up and shutdown (launch's app_kwargs={"lifespan": ...}): install, then sweep every second
    so unread results expire even when no request comes."""
    unread = install(app)

    async def sweep() -> None:
        while True:
            await asyncio.sleep(SWEEP_EVERY_S)
            unread.sweep()

    task = asyncio.create_task(sweep())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
