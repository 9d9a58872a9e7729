"""Test set-up: offline profile, no network but loopback, the offline pack built once, one launched app."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUARD_DIR = Path(__file__).resolve().parent / "_guard"

# Before anything imports gradio or huggingface_hub: they read these at import time.
os.environ.update(
    PLAYGROUND_MODELS="offline",
    HF_HUB_OFFLINE="1",
    TRANSFORMERS_OFFLINE="1",
    GRADIO_ANALYTICS_ENABLED="False",
    HF_HUB_DISABLE_PROGRESS_BARS="1",
    HF_HUB_DISABLE_TELEMETRY="1",
    TOKENIZERS_PARALLELISM="false",
    OMP_WAIT_POLICY="PASSIVE",  # as app.py sets it for the served app (why: there)
    PYTHONPATH=os.pathsep.join(filter(None, [str(GUARD_DIR), str(ROOT), os.environ.get("PYTHONPATH")])),
)
# The pack is kept between local runs (PACK_VERSION invalidates it); CI starts empty.
os.environ.setdefault("PLAYGROUND_CACHE_DIR", str(ROOT / ".cache" / "test-pack"))
for var in [v for v in os.environ if v.startswith("PLAYGROUND_MODEL_")]:
    del os.environ[var]

sys.path.insert(0, str(Path(__file__).resolve().parent))
import socket_guard  # noqa: E402

socket_guard.install()

import config  # noqa: E402
import state  # noqa: E402


@pytest.fixture(scope="session")
def settings() -> config.Settings:
    """Offline settings, in force for the whole session."""
    current = config.load_settings([])
    config.use(current)
    return current


@pytest.fixture
def fresh_state(settings):
    """A process that has loaded, probed, cached and trained nothing yet (state.reset), under the session's
    settings before and after the test."""
    state.reset()
    config.use(settings)
    yield
    state.reset()
    config.use(settings)


@pytest.fixture(scope="session")
def offline_pack(settings) -> dict[str, Path]:
    """Every offline model, built once per session (tiny ones in ms, the sentiment head in seconds)."""
    from models.offline import build_all

    return build_all()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def app_url(settings, offline_pack) -> str:
    """The whole app launched on loopback (prevent_thread_lock), as a user's browser sees it."""
    import app

    local = config.Settings(**{**settings.__dict__, "port": free_port()})
    demo = app.build_demo(local)
    _, url, _ = app.launch(demo, local, prevent_thread_lock=True, quiet=True)
    yield url
    demo.close()


@pytest.fixture(scope="session")
def client(app_url):
    """A gradio_client Client connected to the launched app."""
    from gradio_client import Client

    return Client(app_url, verbose=False)
