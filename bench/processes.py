"""Server processes for the benchmark: the app and the peer started on loopback, timed to their first HTTP 200.

They are called with the tests' raw wire client (tests/support/wire.py).
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"  # loopback only
ROOT = Path(__file__).resolve().parents[1]


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every process the benchmark starts: offline, quiet, no analytics."""
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
               HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_TELEMETRY="1", TOKENIZERS_PARALLELISM="false",
               PLAYGROUND_MODELS="offline", PYTHONUNBUFFERED="1")
    # As app.py sets it for the app: idle OpenMP threads sleep, so the bench's own in-process baselines (the bare
    # pipeline, plain generate) are not slowed by spinning threads either (docs/performance.md).
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
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

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # gradio closes its server on Ctrl-C
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(args: list[str], port: int, log: Path, env: dict | None = None, timeout: float = 180.0,
          python: str = sys.executable) -> Server:
    """Start `python <args>` (this interpreter, or `python`: another environment's) and wait for GET / to answer
    200; the clock starts just before the spawn."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        begin = time.perf_counter()
        process = subprocess.Popen([python, *args], cwd=ROOT, env=child_env(env),
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
