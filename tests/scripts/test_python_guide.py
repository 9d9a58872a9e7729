"""docs/python.md is generated from the functions behind every Show code panel, and kept current."""

import config
from scripts import python_guide


def test_python_guide_is_current(settings):
    try:
        rendered = python_guide.render()
    finally:
        config.use(settings)  # render() switches to the hub profile to show Hub ids
    assert rendered == python_guide.GUIDE.read_text(), "docs/python.md is stale: run python -m scripts.python_guide"


def test_python_guide_covers_every_show_code_panel(settings):
    import app
    from tabs import _common

    app.build_demo(settings)  # registers every tab's snippet
    text = python_guide.GUIDE.read_text()
    for api_name in _common.SNIPPETS:
        assert f"## `/{api_name}`" in text
    assert "distilbert/distilbert-base-uncased-finetuned-sst-2-english" in text  # Hub ids, not local folders
