"""Summarization: the same text as model.generate with the same prefix and settings, chunked when long."""

import pytest

import config
from models import loader
from models.errors import InputError
from models.offline import entry_path
from models.snippets import seq2seq
from models.tasks import summarize
from models.tasks.summarize import SummarySettings
from tests.support.references import seq2seq_generate

TEXT = ("The council voted on Tuesday to turn the old railway yard into a park. Work starts in spring. "
        "Some residents wanted housing instead.")
LONG = " ".join(f"Report {i} says the river rose again and the bridge stayed closed." for i in range(40))


@pytest.fixture(scope="module")
def bart(offline_pack):
    return loader.get("summarize")


@pytest.mark.parametrize("beams", [1, 3])
def test_greedy_and_beam_match_model_generate(bart, beams):
    settings = SummarySettings.checked(12, 4, beams, 1.5, 2)
    # distilbart's config prepends " " to every input; the rest of its generation_config applies as is.
    expected = seq2seq_generate(bart, " " + TEXT, max_new_tokens=12, min_new_tokens=4, num_beams=beams,
                      length_penalty=1.5, no_repeat_ngram_size=2)
    assert summarize.summarize(TEXT, settings) == expected


def test_unset_settings_come_from_the_model(bart):
    chosen = SummarySettings.checked(max_new_tokens=10).given()
    kwargs = seq2seq.generation_settings(bart.model, "summarization", chosen)
    # distilbart-cnn-12-6's own: 4 beams, length penalty 2, no repeated trigrams, min_length 56.
    assert kwargs == {"num_beams": 4, "early_stopping": True, "length_penalty": 2.0, "min_length": 56,
                      "no_repeat_ngram_size": 3, "max_new_tokens": 10}


def test_a_long_text_is_summarized_in_sentence_chunks(bart):
    settings = SummarySettings.checked(5, 1, 1)
    loaded, plan = summarize.make_plan(LONG, settings)
    assert len(plan.pieces) > 2 and " ".join(plan.pieces) == LONG
    assert all(p.endswith("closed.") for p in plan.pieces)  # cut between sentences only
    assert all(len(bart.tokenizer(" " + p)["input_ids"]) <= bart.model.config.max_position_embeddings
               for p in plan.pieces)
    expected = " ".join(seq2seq_generate(bart, " " + p, max_new_tokens=5, min_new_tokens=1, num_beams=1)
                        for p in plan.pieces)
    progress = []
    assert summarize.summarize(LONG, settings, on_progress=lambda f, m: progress.append(m)) == expected
    assert f"{len(plan.pieces)} pieces" in summarize.note(LONG, settings)
    assert any("piece 2 of" in m for m in progress)
    assert summarize.note(TEXT, settings) == ""


def test_a_sentence_longer_than_the_model_takes_is_cut(bart):
    run_on = " and ".join(["the river rose"] * 120) + "."
    _, plan = summarize.make_plan(run_on, SummarySettings.checked(5, 1, 1))
    assert len(plan.pieces) > 1 and all(len(bart.tokenizer(p)["input_ids"]) <= 128 for p in plan.pieces)


def test_t5_gets_its_summarize_prefix(settings, offline_pack):
    """google-t5/t5-small's "summarize: " comes from its task_specific_params (here: the tiny T5 folder)."""
    folder = str(entry_path("tiny-t5"))
    config.use(config.Settings(**{**settings.__dict__, "model_overrides": {"summarize": folder}}))
    try:
        loaded, plan = summarize.make_plan(TEXT, SummarySettings.checked(6, 2, 2), folder)
        assert plan.prefix == "summarize: "
        expected = seq2seq_generate(loaded, "summarize: " + TEXT, max_new_tokens=6, min_new_tokens=2, num_beams=2,
                          early_stopping=True, length_penalty=2.0, no_repeat_ngram_size=3)
        assert summarize.summarize(TEXT, SummarySettings.checked(6, 2, 2), folder) == expected
    finally:
        config.use(settings)


def test_sentences_are_split_at_their_ends():
    text = 'He said "Stop." Then he left! Did she? Yes… Next line\nLast one (really.) End'
    assert seq2seq.split_sentences(text) == [
        'He said "Stop."', "Then he left!", "Did she?", "Yes…", "Next line", "Last one (really.)", "End"]


@pytest.mark.parametrize("values, message", [
    ((10, 20, 4), r"Min new tokens \(20\) is above max new tokens \(10\)"),
    ((0, 0, 4), "Max new tokens"),
    ((10, 1, 0), "Beams"),
    ((10, 1, 9), "Beams"),
    ((10, 1, 2, -1.0), "Length penalty"),
    ((10, 1, 2, 1.0, 11), "No-repeat n-gram size"),
])
def test_bad_settings_say_what_to_do(values, message):
    with pytest.raises(InputError, match=message):
        SummarySettings.checked(*values)


@pytest.mark.parametrize("text, message", [("", "Enter a text to summarize"), ("x" * 12_001, "limit is 12,000")])
def test_bad_text_says_what_to_do(bart, text, message):
    with pytest.raises(InputError, match=message):
        summarize.summarize(text, SummarySettings.checked(5, 1, 1))


def test_a_sagemaker_endpoint_gets_only_the_settings_the_user_chose(bart, monkeypatch):
    from models.loader import Loaded

    calls = []
    loaded = Loaded(bart.resolved, None, None, 0,
                    remote=lambda text, **parameters: calls.append((text, parameters)) or [{"summary_text": "Short."}])
    monkeypatch.setattr(loader, "get", lambda task, choice=None, on_progress=None: loaded)
    assert summarize.summarize(LONG, SummarySettings.checked(30, 5, 2)) == "Short."
    assert calls == [(LONG, {"truncation": True, "max_new_tokens": 30, "min_new_tokens": 5, "num_beams": 2})]
    assert summarize.note(LONG, SummarySettings.checked(30, 5, 2)) == ""
