"""docs/python.md: generated from the Show code panels, a section per public endpoint, kept current."""

import re

import config
from scripts import python_guide


def test_python_guide_is_current(settings):
    try:
        rendered = python_guide.render()
    finally:
        config.use(settings)  # render() switches to the hub profile to show Hub ids
    assert rendered == python_guide.GUIDE.read_text(), "docs/python.md is stale: run python -m scripts.python_guide"


def test_python_guide_has_a_section_for_every_public_endpoint_and_no_other(settings):
    import app
    from tabs import _common

    served = app.build_demo(settings).get_config_file()["dependencies"]  # what the page and clients read
    public = {d["api_name"] for d in served if d.get("api_name") and d["api_visibility"] == "public"}
    text = python_guide.GUIDE.read_text()
    sections = re.findall(r"^## `/(\w+)`$", text, flags=re.MULTILINE)
    assert len(sections) == len(set(sections)) and set(sections) == public
    assert set(_common.SNIPPETS) <= public  # every Show code panel's snippet is in the guide
    # Only the two Bedrock endpoints that report on the app itself have no panel.
    assert public - set(_common.SNIPPETS) == {"bedrock_status", "bedrock_models"}
    assert "distilbert/distilbert-base-uncased-finetuned-sst-2-english" in text  # Hub ids, not local folders
