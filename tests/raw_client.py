"""A minimal gradio queue client over raw HTTP (httpx): what any script can send, NaN and lone surrogates included.

gradio_client refuses to encode NaN or lone surrogates and adds ~74 ms a call; this speaks the same
sse_v3 protocol (POST queue/join, then read queue/data as server-sent events) with no client-side
checks, so the server's own defences are what is tested.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

# What gradio_client shows when the server hides an exception (show_error=False): not a clear message.
HIDDEN_ERROR = ("The upstream Gradio app has raised an exception but has not enabled verbose error reporting. "
                "To enable, set show_error=True in launch().")


@dataclass
class Outcome:
    """How one call ended: its data, or the error message a gradio_client caller would see."""

    ok: bool
    data: Any = None
    error: str | None = None  # AppError's message (HIDDEN_ERROR when the server hid it)
    queue_full: bool = False
    seconds: float = 0.0
    messages: int = 0  # SSE messages received (progress and partial results included)


def dumps(value: Any) -> bytes:
    """JSON as a script may send it: NaN/Infinity literals and \\ud800 escapes are allowed."""
    return json.dumps(value, allow_nan=True, ensure_ascii=True).encode("ascii")


class RawClient:
    """One app, called by api_name; each call is a fresh session, like a new browser tab."""

    def __init__(self, url: str, timeout: float = 120.0) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(timeout=timeout)
        config = self.http.get(f"{self.url}/config").raise_for_status().json()
        self.api = f"{self.url}{config.get('api_prefix', '/gradio_api')}"
        self.fn_index = {d["api_name"]: d["id"] for d in config["dependencies"] if d.get("api_name")}
        info = self.http.get(f"{self.api}/info").raise_for_status().json()["named_endpoints"]
        # Like gradio_client: inputs left out take their defaults.
        self.defaults = {name: [p.get("parameter_default") for p in endpoint["parameters"]]
                         for name, endpoint in info.items()}

    def close(self) -> None:
        self.http.close()

    def join(self, api_name: str, args: list, session_hash: str | None = None) -> tuple[httpx.Response, str]:
        """Put one call on the queue; returns the response and the session hash to read events with."""
        session_hash = session_hash or uuid.uuid4().hex[:11]
        args = list(args) + self.defaults.get("/" + api_name.lstrip("/"), [])[len(args):]
        body = {"data": args, "event_data": None, "fn_index": self.fn_index[api_name.lstrip("/")],
                "trigger_id": None, "session_hash": session_hash}
        response = self.http.post(f"{self.api}/queue/join", content=dumps(body),
                                  headers={"content-type": "application/json"})
        return response, session_hash

    def events(self, session_hash: str, timeout: float | None = None) -> Iterator[dict]:
        """The session's server-sent events, as dicts, until the server closes the stream."""
        with self.http.stream("GET", f"{self.api}/queue/data", params={"session_hash": session_hash},
                              timeout=timeout) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if line.startswith("data:"):
                    yield json.loads(line[5:])

    def call(self, api_name: str, *args: Any, timeout: float | None = None) -> Outcome:
        """Run one call to the end: its final data, or the error as gradio_client would raise it."""
        started = time.perf_counter()
        response, session_hash = self.join(api_name, list(args))
        if response.status_code == 503:
            return Outcome(False, error=response.text, queue_full=True, seconds=time.perf_counter() - started)
        if response.status_code != 200:
            return Outcome(False, error=f"HTTP {response.status_code}: {response.text[:300]}",
                           seconds=time.perf_counter() - started)
        count = 0
        for message in self.events(session_hash, timeout):
            count += 1
            if timeout is not None and time.perf_counter() - started > timeout:  # closing the stream cancels it
                return Outcome(False, error=f"no answer within {timeout:g} s", messages=count,
                               seconds=time.perf_counter() - started)
            kind = message.get("msg")
            if kind == "queue_full":
                return Outcome(False, error="Queue is full", queue_full=True, messages=count,
                               seconds=time.perf_counter() - started)
            if kind == "unexpected_error":
                return Outcome(False, error=message.get("message") or HIDDEN_ERROR, messages=count,
                               seconds=time.perf_counter() - started)
            if kind == "process_completed":
                output = message.get("output") or {}
                seconds = time.perf_counter() - started
                if message.get("success"):
                    return Outcome(True, data=output.get("data"), messages=count, seconds=seconds)
                return Outcome(False, error=output.get("error") or HIDDEN_ERROR, messages=count, seconds=seconds)
        return Outcome(False, error="the event stream closed before the call completed", messages=count,
                       seconds=time.perf_counter() - started)
