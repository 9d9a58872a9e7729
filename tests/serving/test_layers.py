"""serving/'s place in the layers: the bridge and batching (which the model layer uses) import neither gradio nor
models, serving never imports tabs, and models import nothing else from serving; only serving starts threads."""

import re
from pathlib import Path

from tests.support.imports import imported

ROOT = Path(__file__).resolve().parents[2]


def test_the_bridge_and_batching_import_neither_gradio_nor_models():
    for path in (ROOT / "serving" / "bridge.py", ROOT / "serving" / "batching.py", ROOT / "state.py"):
        names = imported(path)
        assert not {n for n in names if n.split(".")[0] in ("gradio", "models", "tabs")}, path.name


def test_serving_never_imports_tabs():
    for path in (ROOT / "serving").glob("*.py"):
        assert not {n for n in imported(path) if n.split(".")[0] == "tabs"}, path.name


def test_models_use_only_the_bridge_and_batching_from_serving():
    used = {name for path in (ROOT / "models").rglob("*.py") for name in imported(path) if name.startswith("serving")}
    assert {name.split(".")[1] for name in used} <= {"bridge", "batching"}, used


def test_only_serving_starts_threads():
    app = [ROOT / "app.py", ROOT / "config.py"]
    app += [path for folder in ("models", "tabs", "cloud", "deploy") for path in (ROOT / folder).rglob("*.py")]
    assert [path.name for path in app if re.search(r"threading\.Thread\(", path.read_text())] == []
