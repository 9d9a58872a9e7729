"""Test set-up: offline profile, no network but loopback, the offline pack built once, one launched app."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from tests.support import socket_guard

ROOT = Path(__file__).resolve().parents[1]

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
    PYTHONPATH=socket_guard.subprocess_pythonpath(os.environ.get("PYTHONPATH")),  # guarded, the app importable
)
# The pack is kept between local runs (PACK_VERSION invalidates it); CI starts empty.
os.environ.setdefault("PLAYGROUND_CACHE_DIR", str(ROOT / ".cache" / "test-pack"))
for var in [v for v in os.environ if v.startswith("PLAYGROUND_MODEL_")]:
    del os.environ[var]

socket_guard.install()

import config  # noqa: E402
import state  # noqa: E402
from tests.support.launching import launched_app  # noqa: E402


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


@pytest.fixture
def use(fresh_state, settings, offline_pack):
    """use(**changes): the session's settings with these changes in force for the test (nothing loaded before it)."""
    def apply(**changes) -> None:
        config.use(dataclasses.replace(settings, **changes))
    return apply


@pytest.fixture(scope="module")
def raw(app_url):
    """A raw queue client of the launched app (tests/support/wire.py), one session per test module."""
    from tests.support.wire import RawClient

    client = RawClient(app_url)
    yield client
    client.close()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, launched for the module (skipped where it is not installed)."""
    from tests.support import browser as chromium

    if not os.path.exists(chromium.CHROMIUM):
        pytest.skip(f"Debian Chromium is not installed at {chromium.CHROMIUM}: run scripts/install_browser.sh "
                    "(apt-get install chromium) to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = chromium.launch(playwright)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def offline_pack(settings) -> dict[str, Path]:
    """Every offline model, built once per session (tiny ones in ms, the sentiment head in seconds)."""
    from models.offline import build_all

    return build_all()


@pytest.fixture(scope="session")
def app_url(settings, offline_pack) -> str:
    """The whole app launched on loopback (prevent_thread_lock), as a user's browser sees it."""
    with launched_app(settings) as (_, url):
        yield url


@pytest.fixture(scope="session")
def client(app_url):
    """A gradio_client Client connected to the launched app."""
    from gradio_client import Client

    return Client(app_url, verbose=False)
