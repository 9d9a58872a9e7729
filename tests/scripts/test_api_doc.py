"""docs/api.md, the API contract, is generated from the app's own API info, lists every endpoint the app
publishes, and is current."""

from scripts import api_doc


def test_api_doc_is_current(settings):
    assert api_doc.render() == api_doc.DOC.read_text(), "docs/api.md is stale: run python -m scripts.api_doc"


def test_api_doc_lists_every_endpoint_the_app_publishes(settings):
    import app

    served = app.build_demo(settings).get_config_file()["dependencies"]  # the config the page and clients read
    named = {d["api_name"]: d["api_visibility"] for d in served if d.get("api_name")}
    public = {name for name, visibility in named.items() if visibility == "public"}
    text = api_doc.DOC.read_text()
    assert len(public) >= 20 and {"sentiment", "generate", "train_classifier", "bedrock_chat"} <= public
    for name, visibility in named.items():
        if visibility == "public":  # a section of its own, with its inputs
            assert f"#### `/{name}`\n" in text, f"/{name} is public but not in docs/api.md"
        elif visibility != "private":  # gradio's example loaders: named as not part of the contract
            assert f"`/{name}`" in text.split("### Not part of the contract")[1], name
    assert set(api_doc.RESULTS) <= public, "a hand-written result note names no public endpoint"
