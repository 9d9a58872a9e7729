"""The socket guard: tests, and every Python process they start, reach loopback only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.support import socket_guard
from tests.support.socket_guard import NetworkBlocked

OUTSIDE = ("192.0.2.1", 80)  # TEST-NET-1: never routed, so nothing is reached even if the guard failed


def test_this_process_reaches_loopback_only():
    with pytest.raises(NetworkBlocked, match="only loopback"):
        socket.create_connection(OUTSIDE, timeout=1)
    with pytest.raises(NetworkBlocked, match="only loopback"):
        socket.getaddrinfo("huggingface.co", 443)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        socket.create_connection(server.getsockname(), timeout=1).close()


@pytest.mark.parametrize("with_the_repository", [True, False])  # Show code's snippets run without it
def test_a_python_subprocess_started_anywhere_is_guarded_too(tmp_path, with_the_repository):
    probe = f"import socket\ntry:\n    socket.create_connection({OUTSIDE!r}, timeout=1)\nexcept OSError as e:\n" \
            "    print(type(e).__name__)"
    path = socket_guard.subprocess_pythonpath(None) if with_the_repository else str(socket_guard.SITE_DIR)
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": path})
    assert done.returncode == 0 and not done.stderr, done.stderr[-2000:]  # sitecustomize reports its errors there
    assert done.stdout.strip() == "NetworkBlocked"
