"""Links (?open=<api_name>&<input>=...): at wire level, as the page's load event reads them, a good link fills a
view's inputs and names the button to click, and junk in the URL is a clear message, never the generic one."""

from __future__ import annotations

import pytest

from models import loader
from models.tasks import lstm
from tabs import _common
from tests.support.bad_inputs import GENERIC_FAILURES
from tests.support.wire import RawClient

SENTENCE = "I loved every minute of it."


def opened(raw: RawClient, query: dict[str, str]) -> list:
    outcome = raw.call("open_link", query=query)
    assert outcome.ok, outcome.error
    return outcome.data


def plain_values(data: list) -> list:
    """The values the link set (updates that only select a tab or open an accordion aside)."""
    return [value for value in data if not isinstance(value, dict)]


def selected_tabs(data: list) -> list[str]:
    """The tabs the link selected, in the order its update lists them."""
    return [value["selected"] for value in data if isinstance(value, dict) and "selected" in value]


def test_a_page_without_a_link_changes_nothing(raw):
    data = opened(raw, {})
    assert plain_values(data) == [""]  # only the hidden "button to click": none


def test_gradios_own_query_keys_are_left_alone(raw):
    assert plain_values(opened(raw, {"__theme": "dark"})) == [""]


def test_a_link_fills_a_cheap_view_and_names_its_button(raw):
    data = opened(raw, {"open": "sentiment", "text": SENTENCE})
    values = plain_values(data)
    assert SENTENCE in values and values[-1] == "run-sentiment"
    selected = selected_tabs(data)
    assert selected == ["sentiment"]  # the Sentiment tab (the tab's id is its module's name)


def test_a_link_takes_a_models_choice_from_the_registry_and_numbers_as_numbers(raw):
    values = plain_values(opened(raw, {"open": "fill_mask", "text": "Paris is the [MASK] of France.",
                                       "top_k": "3"}))
    assert "Paris is the [MASK] of France." in values and 3 in values and values[-1] == "run-fill_mask"


def test_a_link_to_a_long_generation_fills_it_without_running_it(raw):
    values = plain_values(opened(raw, {"open": "generate", "prompt": "Once upon a time",
                                       "max_new_tokens": str(_common.LINK_RUN_NEW_TOKENS + 1)}))
    assert "Once upon a time" in values and values[-1] == ""
    short = plain_values(opened(raw, {"open": "generate", "prompt": "Once", "max_new_tokens": "8"}))
    assert short[-1] == "run-generate"


def test_a_link_to_a_view_in_an_accordion_opens_it(raw):
    data = opened(raw, {"open": "generate_attention", "prompt": "Once", "max_new_tokens": "8", "layer": "1"})
    assert {"__type__": "update", "open": True} in data  # the view's controls and button are in an accordion
    values = plain_values(data)
    assert "Once" in values and 1 in values and values[-1] == "run-generate_attention"


def test_a_link_to_a_training_fills_it_without_running_it(raw):
    values = plain_values(opened(raw, {"open": "lstm_train", "steps": "50"}))
    assert 50 in values and values[-1] == ""


def test_the_lstm_lessons_link_opens_t5s_cross_attention_on_the_same_sentence(raw):
    """tabs/lstm.py's link: the sentence and the Translation tab's model, German fixed."""
    choice = loader.choices("translate")[-1]
    data = opened(raw, {"open": "cross_attention", "text": "Cats like milk.", "choice": choice,
                        "target_language": "German"})
    values = plain_values(data)
    assert {"Cats like milk.", choice, "German"} <= set(values) and values[-1] == "run-cross_attention"
    selected = selected_tabs(data)
    assert selected[0] == "why"  # the Why? tab, then its Cross-attention view
    assert "/cross_attention" in lstm.ATTENTION_NOTE and "Attention tab" not in lstm.ATTENTION_NOTE


@pytest.mark.parametrize("query, message", [
    ({"open": "format_disk"}, "This link opens 'format_disk', which this app does not have. A link opens one of:"),
    ({"open": "sentiment", "txt": "hi"}, "This link sets 'txt', which /sentiment does not take. Its inputs: text"),
    ({"open": "sentiment", "text": "x" * 20_000}, "The link's text is 20,000 characters; that box takes at most"),
    ({"open": "sentiment", "text": "a\x00b"}, "The link's text"),
    ({"open": "sentiment", "choice": "evil/model"}, "The link's choice must be one of:"),
    ({"open": "fill_mask", "top_k": "lots"}, "The link's top_k"),
    ({"open": "fill_mask", "top_k": "1e9"}, "The link's top_k"),
    ({"open": "generate", "do_sample": "maybe"}, "The link's do_sample must be true or false; got 'maybe'."),
])
def test_junk_in_a_link_says_what_is_wrong(raw, query, message):
    outcome = raw.call("open_link", query=query)
    assert not outcome.ok
    assert outcome.error.startswith(message), outcome.error
    assert not any(generic in outcome.error for generic in GENERIC_FAILURES)


def test_every_show_code_panel_has_a_link_whose_inputs_are_named_as_its_endpoints(settings, monkeypatch):
    import app

    views: dict = {}
    real = _common.open_links
    monkeypatch.setattr(_common, "open_links", lambda demo: views.update(real(demo)) or views)
    demo = app.build_demo(settings)
    assert set(views) == set(_common.SNIPPETS)
    endpoints = demo.get_api_info()["named_endpoints"]
    for api_name, view in views.items():
        names = {p["parameter_name"] for p in endpoints[f"/{api_name}"]["parameters"]}
        # Page controls that drive several inputs (the generation strategy) are the only other names.
        assert set(view.inputs) - names <= {"strategy"}, api_name
        assert view.layout and view.layout[0][1]["selected"]  # the link selects the view's tab
