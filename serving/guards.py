"""Guards around what gradio exposes by itself: every event, every value, every route gets a bounded, clear answer.

Three layers, each for what the one inside it cannot see:
- `Requests` (ASGI middleware, passed to launch as `app_kwargs`): requests gradio would answer with a bare HTTP 500
  (an unknown event index or endpoint name, an empty session hash, event data an event cannot read, an upload part
  without a file name) get a 4xx whose message says what to send; one upload request carries at most
  UPLOAD_REQUEST_BYTES in all; `/call/<name>` reaches public endpoints only.
- `check_values` (a preprocess hook): a value of the wrong kind or out of range for its slider, number, checkbox,
  choice or text box is refused before gradio keeps or reads it, naming the input, never echoing more than a few
  dozen characters of it and writing no traceback; gradio's own component errors are made just as quiet.
- `seal`: every event that has a server function can be called by any client that reads /config, whatever its
  api_visibility ("private" only hides it from the API page and gradio_client). Public events must already be
  guarded (tabs/_common.guarded); every other one (Show code panels, notes, views drawn from a result, gradio's own
  example loaders) is wrapped by the `helper` guard it is given, and those that share no concurrency group run in
  one small group, so a flood of them cannot take the cores from the model tabs.
"""

from __future__ import annotations

import inspect
import json
import logging
import math
import re
from collections.abc import Awaitable, Callable
from typing import Any

import gradio as gr
from gradio.route_utils import API_PREFIX

from serving import budget

log = logging.getLogger(__name__)

HELPERS = "helpers"  # the concurrency group of page helpers that name none
HELPER_CONCURRENCY = 2  # helpers running at once (2 cores): the model tabs keep a core's share under a flood
SHOWN_CHARS = 60  # of a refused value, echoed back in the message
# One upload request, all its files together: the largest single file gradio accepts (launch's max_file_size,
# 5 MB) plus the multipart framing. The app never uploads more than one file at a time.
UPLOAD_FILE_BYTES = 5 * 1024 * 1024
UPLOAD_REQUEST_BYTES = UPLOAD_FILE_BYTES + 64 * 1024


# ---- events: every one with a server function is guarded --------------------------------------------------------

def seal(demo: gr.Blocks, helper: Callable[[Callable], Callable]) -> int:
    """Run every non-public event function under `helper(fn)` (its function unwrapped first if a tab guarded it
    as a public event); returns how many. A public event that is not guarded raises TypeError at build time."""
    sealed = 0
    for block_fn in demo.fns.values():
        if block_fn.fn is None or getattr(block_fn.fn, SEALED, False):
            continue
        if block_fn.api_visibility == "public":
            if not budget.is_guarded(block_fn.fn):
                raise TypeError(f"The public event /{block_fn.api_name} is not guarded: wrap its function with "
                                "tabs._common.guarded (docs/CONTRIBUTING.md, conventions).")
            continue
        own_group = block_fn.concurrency_id == str(id(block_fn.fn))  # gradio's default: a group of its own
        plain = block_fn.fn.__wrapped__ if budget.is_guarded(block_fn.fn) else block_fn.fn
        block_fn.fn = helper(plain)
        setattr(block_fn.fn, SEALED, True)
        if own_group and block_fn.queue:
            block_fn.concurrency_id, block_fn.concurrency_limit = HELPERS, HELPER_CONCURRENCY
        sealed += 1
    return sealed


SEALED = "__sealed__"  # set on the functions `seal` put in place


# ---- values: checked before gradio keeps or reads them ----------------------------------------------------------

def check_values(demo: gr.Blocks) -> None:
    """Refuse values their component cannot take with a gr.Error naming the input (see the module docstring)."""
    original = demo.preprocess_data

    async def preprocess_data(block_fn, inputs, state, *args, **kwargs):
        if isinstance(inputs, list) and len(inputs) == len(block_fn.inputs):
            for block, value in zip(block_fn.inputs, inputs):
                if state is not None and block._id in state:
                    block = state[block._id]  # the session's copy: its choices may have been updated
                problem = value_problem(block, value)
                if problem:
                    raise gr.Error(problem, print_exception=False)
        try:
            return await original(block_fn, inputs, state, *args, **kwargs)
        except gr.Error as exc:  # gradio's own (a slider's range, a choice): no traceback, no huge echo
            if not exc.print_exception:
                raise
            raise gr.Error(shortened(exc.message, 300), print_exception=False) from exc

    demo.preprocess_data = preprocess_data


def value_problem(block: Any, value: Any) -> str | None:
    """Why `value` cannot go to `block` (a message naming it), or None when it can."""
    kind = type(block).__name__
    label = repr(getattr(block, "label", None) or kind)
    if kind in ("Slider", "Number"):
        if value is None and kind == "Number":
            return None  # an empty number box
        return _number_problem(label, value, getattr(block, "minimum", None), getattr(block, "maximum", None))
    if kind == "Checkbox":
        if value is None or isinstance(value, bool) or (type(value) is int and value in (0, 1)):
            return None
        return f"{label} takes true or false; got {shown(value)}."
    if kind == "Textbox":
        if value is None or isinstance(value, str):
            return None
        return f"{label} takes text; got {shown(value)}."
    if kind in ("Dropdown", "Radio") and not getattr(block, "multiselect", False):
        return _choice_problem(block, label, value)
    return None


def _number_problem(label: str, value: Any, low: float | None, high: float | None) -> str | None:
    span = f" from {low:g} to {high:g}" if low is not None and high is not None else ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{label} takes a number{span}; got {shown(value)}."
    try:
        if not math.isfinite(value):
            return f"{label} takes a finite number{span}; got {value}."
    except OverflowError:  # an integer too large for a float
        return f"{label} takes a number{span}; got {shown(value)}."
    if (low is not None and value < low) or (high is not None and value > high):
        return f"{label} takes a number{span}; got {shown(value)}."
    return None


def _choice_problem(block: Any, label: str, value: Any) -> str | None:
    if value is None:
        return None  # no choice: the task takes its default
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return f"{label} takes one of its choices; got {shown(value)}."
    if getattr(block, "allow_custom_value", False):
        return None
    values = [choice[1] if isinstance(choice, (list, tuple)) else choice for choice in block.choices or []]
    if value in values:
        return None
    listed = ", ".join(shortened(repr(v), 80) for v in values[:12]) + (", ..." if len(values) > 12 else "")
    return f"{label} takes one of: {listed}; got {shown(value)}."


def shown(value: Any) -> str:
    """A value as a message may quote it: short, and a huge integer by its size."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a number of {int(value.bit_length() * math.log10(2)) + 1:,} digits"
    if isinstance(value, (list, tuple, dict)) and len(repr(value)) > SHOWN_CHARS:
        return f"a {type(value).__name__} of {len(value):,} items"
    return shortened(repr(value), SHOWN_CHARS)


def shortened(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 3] + "..."


# ---- requests: what gradio would answer with a bare 500 --------------------------------------------------------

ROUTE = re.compile(re.escape(API_PREFIX) + r"/(?:(?P<join>queue/join)|(?P<upload>upload)"
                   r"|(?P<call>call)/(?:v2/)?(?P<call_name>[^/]+)|(?P<run>run|api)/(?P<run_name>[^/]+))/?$")
Send = Callable[[dict], Awaitable[None]]
Receive = Callable[[], Awaitable[dict]]


class Requests:
    """ASGI middleware: a 4xx with a message for requests gradio cannot route (module docstring)."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        match = ROUTE.search(scope.get("path", "")) if scope["type"] == "http" and scope["method"] == "POST" else None
        blocks = _blocks(scope) if match is not None else None
        if blocks is None:
            await self.app(scope, receive, send)
            return
        if match["upload"]:
            await self._upload(scope, receive, send)
            return
        body = await _body(receive)
        problem = _request_problem(match, body, blocks)
        if problem:
            await _answer(send, *problem)
            return
        await self._guarded(scope, _replay(body, receive), send, "This request could not be read; send it as "
                            "gradio_client does (the app's API page shows each endpoint's inputs).")

    async def _upload(self, scope: dict, receive: Receive, send: Send) -> None:
        length = dict(scope["headers"]).get(b"content-length")
        if length is None or not length.isdigit():
            await _answer(send, 411, "Send an upload with its Content-Length (gradio_client and browsers do).")
            return
        if int(length) > UPLOAD_REQUEST_BYTES:
            await _answer(send, 413, f"One upload request takes at most {UPLOAD_FILE_BYTES / 2**20:g} MB in all, "
                                     f"its files together; this one is {int(length) / 2**20:.1f} MB. Upload one "
                                     "file at a time.")
            return
        await self._guarded(scope, receive, send, "Each part of an upload must be a file with a name "
                            "(Content-Disposition: form-data; name=\"files\"; filename=\"examples.csv\").")

    async def _guarded(self, scope: dict, receive: Receive, send: Send, message: str) -> None:
        """Run the route; an exception before its answer started becomes a 400 with `message`, logged in one line."""
        started = False

        async def tracked(event: dict) -> None:
            nonlocal started
            started = started or event["type"] == "http.response.start"
            await send(event)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if started:
                raise
            log.warning("refused %s: %s: %s", scope.get("path"), type(exc).__name__, shortened(str(exc), 200))
            await _answer(send, 400, message)


def _blocks(scope: dict) -> Any:
    app = scope.get("app")
    try:
        return app.get_blocks() if app is not None and hasattr(app, "get_blocks") else None
    except ValueError:  # no Blocks configured yet
        return None


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body read already, then whatever the client sends next (its disconnect)."""
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _answer(send: Send, status: int, message: str) -> None:
    payload = json.dumps({"detail": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def _request_problem(match: re.Match, body: bytes, blocks: Any) -> tuple[int, str] | None:
    """(status, message) for a join, call or run request gradio cannot route; None to let gradio answer."""
    if match["call"]:
        public = sorted(f"/{fn.api_name}" for fn in blocks.fns.values()
                        if fn.api_visibility == "public" and fn.api_name and fn.fn is not None)
        if match["call_name"] not in {name[1:] for name in public}:
            return 404, (f"No endpoint /{shortened(match['call_name'], SHOWN_CHARS)}. The endpoints (docs/api.md, "
                         f"and the app's API page): {', '.join(public)}.")
        return None
    try:
        request = json.loads(body)
    except ValueError:
        return None  # gradio answers 422 with what is wrong
    if not isinstance(request, dict):
        return None
    session = request.get("session_hash")
    if isinstance(session, str) and not session.strip():
        return 400, ("session_hash is empty: send the random id that your client made for this page or script "
                     "(gradio_client makes one for you).")
    index = request.get("fn_index")
    if index is None:
        if match["run"] and not any(fn.api_name == match["run_name"] for fn in blocks.fns.values()):
            name = shortened(match["run_name"], SHOWN_CHARS)
            return 404, f"No event named {name!r}; name an endpoint of docs/api.md."
        return None
    if isinstance(index, bool) or not isinstance(index, int):
        return 400, f"fn_index takes the number of an event in the app's /config; got {shown(index)}."
    block_fn = blocks.fns.get(index)
    if block_fn is None:
        return 404, (f"There is no event {shown(index)} in this app (its /config lists them). Scripts call "
                     "endpoints by name: see docs/api.md.")
    if block_fn.fn is None:
        return 400, f"Event {index} runs in the browser only: there is nothing to call on the server."
    return _event_data_problem(block_fn, request.get("event_data"))


def _event_data_problem(block_fn: Any, event_data: Any) -> tuple[int, str] | None:
    """An event whose function reads the browser's event data (a click's index) refuses data it cannot read."""
    if not block_fn.collects_event_data:
        return None
    try:
        parameters = inspect.signature(block_fn.fn, eval_str=True).parameters.values()
    except (NameError, TypeError, ValueError):  # annotations it cannot read: gradio's own check then applies
        return None
    for parameter in parameters:
        kind = parameter.annotation
        if isinstance(kind, type) and issubclass(kind, gr.EventData):
            try:
                kind(None, event_data)
            except Exception:
                return 400, (f"This event reads the browser's {kind.__name__} (what was clicked), which this request "
                             f"does not carry; got {shown(event_data)}.")
    return None
