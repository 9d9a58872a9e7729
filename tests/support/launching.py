"""Launch the whole app on loopback, as an operator would start it with other settings; free ports; memory."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import socket
from collections.abc import Iterator
from dataclasses import replace

import psutil

import config


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def launched_app(settings: config.Settings, **changes) -> Iterator[tuple[object, str]]:
    """(demo, url) of the app built and launched with `changes` to `settings`; the settings are restored after."""
    import app  # gradio and the tabs: only where an app is launched (the benchmark imports this module too)

    local = replace(settings, port=free_port(), **changes)
    demo = app.build_demo(local)
    _, url, _ = app.launch(demo, local, prevent_thread_lock=True, quiet=True)
    try:
        yield demo, url
    finally:
        demo.close()
        config.use(settings)


def rss_mb() -> float:
    """This process's resident memory once garbage is collected and free heap pages are handed back (glibc
    otherwise keeps the freed blocks of large strings, which is not growth)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return psutil.Process(os.getpid()).memory_info().rss / 2**20
