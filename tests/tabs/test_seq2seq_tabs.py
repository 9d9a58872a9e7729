"""The /qa, /summarize and /translate endpoints as users script them, and the code each tab shows."""

import json

import pytest
from gradio_client.exceptions import AppError

from models import loader
from models.tasks import qa, summarize, translate
from tabs import qa as qa_tab
from tabs import summarize as summarize_tab
from tests.support import snippets

CONTEXT = "The treaty was signed in Paris in 1898 after long talks. It ended the war."
ARTICLE = "The council voted to build a park. Work starts in spring. Residents wanted housing."
PINNED = {
    "/qa": ["question", "context", "top_k"],
    "/summarize": ["text", "max_new_tokens", "min_new_tokens", "num_beams"],
    "/translate": ["text", "target_language"],
}


def test_endpoints_and_their_leading_inputs_are_pinned(client):
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for api_name, names in PINNED.items():
        params = endpoints[api_name]["parameters"]
        assert [p["parameter_name"] for p in params[: len(names)]] == names, api_name
        assert all(p["parameter_has_default"] for p in params[len(names):]), api_name  # model choice etc.


def test_qa_round_trip(client):
    answer, marked, answers = client.predict("Where was it signed?", CONTEXT, 3, api_name="/qa")
    assert answers == qa.answer("Where was it signed?", CONTEXT, 3)  # the same as the model layer
    assert answer == answers[0]["answer"] and len(answers) == 3
    assert "".join(part["token"] for part in marked) == CONTEXT
    assert [p["token"] for p in marked if p["class_or_confidence"] == "answer"] == [answer]


def test_summarize_round_trip(client):
    summary = client.predict(ARTICLE, 8, 2, 2, api_name="/summarize")
    assert summary == summarize.summarize(ARTICLE, summarize.SummarySettings.checked(8, 2, 2))


def test_summarize_settings_left_out_are_the_models_own(client):
    """Issue 18, item 9: an API call giving only the text gets the loaded model's generation settings (the offline
    BART's max_length 142 capped to its 128 positions, min_length 56, 4 beams, length penalty 2.0, no-repeat 3), not
    the page's."""
    endpoint = client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/summarize"]
    assert [p["parameter_default"] for p in endpoint["parameters"][1:6]] == [None] * 5
    assert client.predict(ARTICLE, api_name="/summarize") == summarize.summarize(ARTICLE, summarize.SummarySettings())
    assert summarize.SummarySettings().given() == {}  # nothing replaces the model's own


def test_the_page_shows_what_the_model_uses_for_each_empty_setting(offline_pack):
    shown = [update["placeholder"] for update in summarize_tab.own_settings(None)]
    assert shown == ["the model's own: 128 (max_length)", "the model's own: 56 (min_length)", "the model's own: 4",
                     "the model's own: 2.0", "the model's own: 3"]


def test_translate_round_trip(client):
    text = "Where is the station?"
    assert client.predict(text, "French", 4, api_name="/translate") == \
        translate.translate(text, "French", max_new_tokens=4)


@pytest.mark.parametrize("args, api_name, message", [
    (("", CONTEXT), "/qa", "Enter a question"),
    (("Why?", "x" * 20_001), "/qa", "limit is 20,000"),
    ((ARTICLE, 5, 10, 2), "/summarize", "Min new tokens"),
    (("", 5, 1, 2), "/summarize", "Enter a text to summarize"),
    (("Hello.", "Klingon"), "/translate", "Pick one of: German, French, Romanian"),
    (("Hello.", "German", 4, "Helsinki-NLP/opus-mt-en-ro"), "/translate", "Pick one of: Romanian"),
])
def test_bad_input_is_a_clear_error_and_the_server_keeps_serving(client, args, api_name, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name=api_name)
    assert client.predict("Where?", CONTEXT, 1, api_name="/qa")[2]


def test_no_answer_is_explained():
    assert "No answer" in qa_tab.verdict([{"answer": "", "score": 0.7, "start": 0, "end": 0}])
    assert "Score" in qa_tab.verdict([{"answer": "Paris", "score": 0.7, "start": 25, "end": 30}])


def test_each_tab_shows_code_that_prints_what_the_tab_returns(offline_pack):
    """Show code's programs as users run them: QA over several windows, a summary in pieces, a translation."""
    from models.snippets import qa as reference

    context, question = CONTEXT * 40, "Where was it signed?"
    long = " ".join([ARTICLE] * 12)  # several pieces for the tiny BART
    settings = summarize.SummarySettings.checked(4, 1, 2, 2.0, 3)
    text = "Where is the station?"
    answers, summary, translation = snippets.run([
        qa.code(question, context, 3), summarize.code(long, settings),
        translate.code(text, "German", max_new_tokens=3)])
    assert len(reference.windows(loader.get("qa").tokenizer, question, context)) > 1
    snippets.assert_same(json.loads(answers), qa.answer(question, context, 3))
    assert "pieces" in summarize.note(long, settings)
    assert summary == summarize.summarize(long, settings) + "\n"
    assert translation == translate.translate(text, "German", max_new_tokens=3) + "\n"


def test_one_click_builds_one_plan(offline_pack, monkeypatch):
    """Summarize's run, its note and its Show code share the plan the run built."""
    from models.snippets import seq2seq as reference

    built, plan = [], reference.plan
    monkeypatch.setattr(reference, "plan", lambda *args: built.append(args) or plan(*args))
    inputs = (" ".join([ARTICLE] * 12) + " Once more.", 4, 1, 2, 2.0, 3, None)
    assert summarize_tab.run(*inputs, progress=lambda *args, **kwargs: None)
    assert "pieces" in summarize_tab.note(*inputs) and "text_plan = plan(" in summarize_tab.code(*inputs)
    assert len(built) == 1
