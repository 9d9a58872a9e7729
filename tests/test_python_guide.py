"""docs/python.md is generated from the functions behind every Show code panel, and kept current."""

import importlib.util
from pathlib import Path

import config

ROOT = Path(__file__).resolve().parents[1]


def load_guide_script():
    spec = importlib.util.spec_from_file_location("python_guide", ROOT / "scripts" / "python_guide.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_python_guide_is_current(settings):
    guide = load_guide_script()
    try:
        rendered = guide.render()
    finally:
        config.use(settings)  # render() switches to the hub profile to show Hub ids
    assert rendered == guide.GUIDE.read_text(), "docs/python.md is stale: run scripts/python_guide.py"


def test_python_guide_covers_every_show_code_panel(settings):
    import app
    from tabs import _common

    app.build_demo(settings)  # registers every tab's snippet
    text = (ROOT / "docs" / "python.md").read_text()
    for api_name in _common.SNIPPETS:
        assert f"## `/{api_name}`" in text
    assert "distilbert/distilbert-base-uncased-finetuned-sst-2-english" in text  # Hub ids, not local folders
