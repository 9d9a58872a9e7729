"""The one raw client of gradio's queue API, for the tests and the benchmark: anything a script can send, timed.

gradio_client refuses to encode NaN or lone surrogates and adds ~74 ms a call; this speaks the protocol the
browser and gradio_client speak (sse_v3: POST queue/join, then the session's server-sent events from GET
queue/data) over one keep-alive connection, with no client-side checks, so the server's own defences are
what the tests reach and the server is what the benchmark times.
"""

from __future__ import annotations

import http.client
import json
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from gradio_client.utils import apply_diff

# What gradio_client shows when the server hides an exception (show_error=False): not a clear message.
HIDDEN_ERROR = ("The upstream Gradio app has raised an exception but has not enabled verbose error reporting. "
                "To enable, set show_error=True in launch().")


class CallFailed(RuntimeError):
    """A call that had to succeed (check=True) did not."""


@dataclass
class Outcome:
    """How one call ended: its data, or the error message a gradio_client caller would see, and its times."""

    ok: bool
    data: Any = None
    error: str | None = None  # AppError's message (HIDDEN_ERROR when the server hid it)
    queue_full: bool = False
    seconds: float = 0.0  # from just before the join to the final result
    messages: int = 0  # SSE messages received (progress and partial results included)
    # (seconds, every output's full value) of each streamed partial result; the server sends diffs after the first
    updates: list[tuple[float, list]] = field(default_factory=list)


@dataclass
class Answer:
    """The server's HTTP answer to a join: 200, or 503 when the queue is full, or another refusal."""

    status_code: int
    text: str


def dumps(value: Any) -> bytes:
    """JSON as a script may send it: NaN/Infinity literals and \\ud800 escapes are allowed."""
    return json.dumps(value, allow_nan=True, ensure_ascii=True).encode("ascii")


def new_session() -> str:
    """A fresh session hash, as a new browser tab makes one."""
    return uuid.uuid4().hex[:11]


class RawClient:
    """One user of one app, calling it by api_name over one keep-alive connection (one client per thread).

    By default each call is a fresh session, like a new browser tab (or a bare `curl`). `keep_session=True`
    sends one session hash with every call, like a page left open or a gradio_client Client: gradio builds a
    session's state (a copy of every component's config) once per session, which costs milliseconds.
    """

    def __init__(self, url: str, timeout: float = 120.0, keep_session: bool = False) -> None:
        parts = urlsplit(url)
        self.base = parts.path.rstrip("/")
        self.timeout = timeout  # seconds any one read may wait (a stream's heartbeats arrive every 15 s)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
        self.session_hash = new_session() if keep_session else None
        config = self.get_json("/config")
        self.api = config.get("api_prefix", "/gradio_api")
        self.fn_index = {"/" + d["api_name"]: d["id"] for d in config["dependencies"] if d.get("api_name")}
        self.endpoints: dict[str, dict] = self.get_json(f"{self.api}/info")["named_endpoints"]

    def close(self) -> None:
        self.conn.close()

    def defaults(self, api_name: str) -> list:
        """Every input's default for `api_name` (None where it has none), from the server's API description;
        nothing for an endpoint it does not describe."""
        endpoint = self.endpoints.get("/" + api_name.lstrip("/"), {})
        return [p.get("parameter_default") for p in endpoint.get("parameters", [])]

    def get_json(self, path: str) -> Any:
        response = self._request("GET", path)
        payload = response.read()
        if response.status != 200:
            raise CallFailed(f"GET {path}: HTTP {response.status} {payload[:200]!r}")
        return json.loads(payload)

    def join(self, api_name: str, args: Sequence, session_hash: str | None = None,
             query: dict[str, str] | None = None) -> tuple[Answer, str]:
        """Put one call on the queue (inputs left out take their defaults, as in gradio_client); returns the
        server's answer and the session hash to read the events with. `query`: the page's query string, which
        the browser sends with every call (a page-load event reads a link's from it)."""
        session_hash = session_hash or self.session_hash or new_session()
        name = "/" + api_name.lstrip("/")
        args = list(args) + self.defaults(name)[len(args):]
        body = {"data": args, "event_data": None, "fn_index": self.fn_index[name], "trigger_id": None,
                "session_hash": session_hash}
        page = f"?{urlencode(query)}" if query else ""
        response = self._request("POST", f"{self.api}/queue/join{page}", dumps(body))
        return Answer(response.status, response.read().decode("utf-8", "replace")), session_hash

    def events(self, session_hash: str, timeout: float | None = None) -> Iterator[dict]:
        """The session's server-sent events, as dicts, until the server closes the stream. Leaving the loop
        early hangs up: the server then cancels the session's work, and a kept session is replaced."""
        query = urlencode({"session_hash": session_hash})
        response = self._request("GET", f"{self.api}/queue/data?{query}", timeout=timeout)
        finished = False
        try:
            if response.status != 200:
                raise CallFailed(f"GET queue/data: HTTP {response.status} {response.read()[:200]!r}")
            for line in iter(response.readline, b""):
                if line.startswith(b"data:"):
                    yield json.loads(line[5:])
            finished = True  # read to its end: the connection can carry the next request
        finally:
            if not finished:
                response.close()
                self.conn.close()  # the next request reconnects
                if self.session_hash is not None:  # the server cancels the old session's work in its own time
                    self.session_hash = new_session()  # so go on as a reloaded page would: in a new one

    def call(self, api_name: str, *args: Any, timeout: float | None = None, check: bool = False,
             query: dict[str, str] | None = None) -> Outcome:
        """Run one call to the end: its final data, or the error as gradio_client would raise it (CallFailed
        instead, with check=True). Past `timeout` seconds the client hangs up, which cancels the call."""
        started = time.perf_counter()
        answer, session_hash = self.join(api_name, args, query=query)
        if answer.status_code == 503:
            ended = {"ok": False, "error": answer.text, "queue_full": True}
        elif answer.status_code != 200:
            ended = {"ok": False, "error": f"HTTP {answer.status_code}: {answer.text[:300]}"}
        else:
            ended = self._follow(session_hash, started, timeout)
        ended.setdefault("seconds", time.perf_counter() - started)
        outcome = Outcome(**ended)
        if check and not outcome.ok:
            raise CallFailed(f"{api_name}: {outcome.error}")
        return outcome

    def _follow(self, session_hash: str, started: float, timeout: float | None) -> dict:
        """Read one call's events to the end of the stream; the Outcome's fields."""
        ended: dict = {"ok": False, "error": "the event stream closed before the call completed"}
        count, updates, current, completed = 0, [], None, False
        for message in self.events(session_hash, timeout):
            if completed:  # the stream closes right after (the call was its session's only one): read to its end
                continue
            count += 1
            elapsed, kind = time.perf_counter() - started, message.get("msg")
            if timeout is not None and elapsed > timeout:  # leaving the stream cancels the call
                ended = {"ok": False, "error": f"no answer within {timeout:g} s"}
                break
            if kind == "unexpected_error":
                ended = {"ok": False, "error": message.get("message") or HIDDEN_ERROR}
                break
            if kind == "process_generating" and message.get("success"):
                data = message["output"]["data"]
                current = data if current is None else [apply_diff(old, diff) for old, diff in zip(current, data)]
                updates.append((elapsed, current))
            elif kind == "process_completed":
                output = message.get("output") or {}
                ended = ({"ok": True, "data": output.get("data")} if message.get("success")
                         else {"ok": False, "error": output.get("error") or HIDDEN_ERROR})
                ended["seconds"] = elapsed
                completed = True
        return {**ended, "messages": count, "updates": updates}

    def _request(self, method: str, path: str, body: bytes | None = None,
                 timeout: float | None = None) -> http.client.HTTPResponse:
        try:
            return self._send(method, path, body, timeout)
        except (http.client.HTTPException, ConnectionError):
            self.conn.close()  # a keep-alive connection the server dropped while idle: reconnect once
            return self._send(method, path, body, timeout)

    def _send(self, method: str, path: str, body: bytes | None, timeout: float | None) -> http.client.HTTPResponse:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        self.conn.request(method, self.base + path, body=body, headers=headers)
        self.conn.sock.settimeout(self.timeout if timeout is None else timeout)
        return self.conn.getresponse()
