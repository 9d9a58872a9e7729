"""Raw HTTP against gradio's queue API (no gradio_client: it adds ~74 ms a call), and server processes.

A call is two requests, as gradio 6 routes them (gradio/routes.py):
POST /gradio_api/call/<api_name> {"data": [...]} -> {"event_id"}, then
GET /gradio_api/call/<api_name>/<event_id>, a server-sent event stream of
`event: generating|complete|error|heartbeat` lines, each followed by `data: <json>`.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"  # loopback only
ROOT = Path(__file__).resolve().parents[1]
API = "/gradio_api"


class CallFailed(RuntimeError):
    """The server answered a call with an error event (or not at all)."""


@dataclass
class Reply:
    """One call's result, with client-side times in seconds from just before the POST."""

    data: list
    total: float
    updates: list[tuple[float, list]] = field(default_factory=list)  # (time, data) of each `generating` event


class Client:
    """One keep-alive connection to one server, as one user; not thread-safe (one per client thread).

    Like a browser tab or a gradio_client Client, it sends its own session hash with every call:
    gradio builds a session's state (a copy of every component's config) once per session, which
    costs milliseconds per component-heavy app. `session=False` starts a new session on every call,
    as a bare `curl` of the route does.
    """

    def __init__(self, port: int, timeout: float = 300.0, session: bool = True) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self.session_hash = uuid.uuid4().hex[:12] if session else None

    def close(self) -> None:
        self.conn.close()

    def _request(self, method: str, path: str, body: bytes | None = None) -> http.client.HTTPResponse:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            self.conn.request(method, path, body=body, headers=headers)
            return self.conn.getresponse()
        except (http.client.HTTPException, ConnectionError):  # a dropped keep-alive: reconnect once
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            return self.conn.getresponse()

    def get_json(self, path: str) -> dict:
        response = self._request("GET", path)
        payload = response.read()
        if response.status != 200:
            raise CallFailed(f"GET {path}: HTTP {response.status} {payload[:200]!r}")
        return json.loads(payload)

    def call(self, api_name: str, data: list) -> Reply:
        """Run one event through the queue and read its stream to the end."""
        start = time.perf_counter()
        body = {"data": data} if self.session_hash is None else {"data": data, "session_hash": self.session_hash}
        response = self._request("POST", f"{API}/call/{api_name}", json.dumps(body).encode())
        payload = response.read()
        if response.status != 200:
            raise CallFailed(f"/{api_name}: HTTP {response.status} {payload[:300]!r}")
        event_id = json.loads(payload)["event_id"]
        stream = self._request("GET", f"{API}/call/{api_name}/{event_id}")
        reply = _read_events(stream, api_name, start)
        stream.read()  # the stream ends after `complete`: drain it so the connection can be reused
        return reply


def _read_events(stream: http.client.HTTPResponse, api_name: str, start: float) -> Reply:
    updates, event = [], None
    for raw in iter(stream.readline, b""):
        line = raw.decode().rstrip("\r\n")
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            now, data = time.perf_counter() - start, json.loads(line.removeprefix("data: "))
            if event == "generating":
                updates.append((now, data))
            elif event == "complete":
                return Reply(data, now, updates)
            elif event == "error":
                raise CallFailed(f"/{api_name}: {data}")
    raise CallFailed(f"/{api_name}: the stream ended without a result")


def defaults(port: int, api_name: str) -> list:
    """Every input's default for `api_name`, from the server's own API description."""
    client = Client(port)
    try:
        params = client.get_json(f"{API}/info")["named_endpoints"][f"/{api_name}"]["parameters"]
    finally:
        client.close()
    return [p.get("parameter_default") for p in params]


def with_defaults(port: int, api_name: str, given: list) -> list:
    """`given` values for the leading inputs, the server's defaults for the rest (the model choice)."""
    return list(given) + defaults(port, api_name)[len(given):]


# ---- server processes ------------------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every process the benchmark starts: offline, quiet, no analytics."""
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
               HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_TELEMETRY="1", TOKENIZERS_PARALLELISM="false",
               PLAYGROUND_MODELS="offline", PYTHONUNBUFFERED="1")
    env.update(extra or {})
    return env


@dataclass
class Server:
    """A server process on loopback and how long it took to answer its first page with HTTP 200."""

    process: subprocess.Popen
    port: int
    seconds_to_200: float

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # gradio closes its server on Ctrl-C
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(args: list[str], port: int, log: Path, env: dict | None = None, timeout: float = 180.0) -> Server:
    """Start `python <args>` and wait for GET / to answer 200; the clock starts just before the spawn."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        begin = time.perf_counter()
        process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=child_env(env),
                                   stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, port, 0.0)
    while time.perf_counter() - begin < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{' '.join(args)} exited with {process.returncode}; see {log}")
        if _answers_200(port):
            server.seconds_to_200 = time.perf_counter() - begin
            return server
        time.sleep(0.01)
    server.stop()
    raise RuntimeError(f"{' '.join(args)} did not answer within {timeout:.0f} s; see {log}")


def _answers_200(port: int) -> bool:
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        conn.close()


def rss_bytes(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of a process, from /proc (Linux)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) * 1024  # reported in kB
    return fields["VmRSS"], fields["VmHWM"]
