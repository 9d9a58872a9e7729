"""Translation: T5's prefix per language, Marian's one language, sentence by sentence when long."""

import pytest

from models import loader
from models.errors import InputError
from models.snippets import seq2seq
from models.tasks import translate
from tests.support.references import seq2seq_generate

TEXT = "The weather is lovely today, so we are going for a walk by the lake."
PREFIXES = {"German": "translate English to German: ", "French": "translate English to French: ",
            "Romanian": "translate English to Romanian: "}


@pytest.fixture(scope="module")
def t5(offline_pack):
    return loader.get("translate")


@pytest.mark.parametrize("language", list(PREFIXES))
def test_each_language_gets_its_t5_prefix_and_matches_model_generate(t5, language):
    _, plan = translate.make_plan(TEXT, language, max_new_tokens=6)
    assert plan.prefix == PREFIXES[language] and plan.pieces == [TEXT]
    # t5-small's translation params: 4 beams, early stopping (max_length 300 yields to max_new_tokens).
    expected = seq2seq_generate(t5, PREFIXES[language] + TEXT, num_beams=4, early_stopping=True, max_new_tokens=6)
    assert translate.translate(TEXT, language, max_new_tokens=6) == expected


def test_default_settings_are_the_4x_pipeline_ones(t5):
    # 4.57's translation pipeline on t5-small: its default max_new_tokens=256 beat the params' max_length.
    assert seq2seq.pipeline_settings(t5.model, "translation_en_to_de") == {
        "num_beams": 4, "max_new_tokens": 256, "early_stopping": True}


def test_language_names_and_codes_are_both_accepted(t5):
    assert translate.make_plan(TEXT, "german")[1].prefix == translate.make_plan(TEXT, "de")[1].prefix


def test_unknown_language_lists_the_valid_ones(t5):
    with pytest.raises(InputError, match="Unknown target language 'Klingon'.*German, French, Romanian"):
        translate.translate(TEXT, "Klingon")


def test_a_marian_checkpoint_offers_only_its_own_language(settings, offline_pack):
    choice = "Helsinki-NLP/opus-mt-en-ro"
    assert translate.offered(choice) == ["Romanian"]
    assert translate.languages(loader.get("translate", choice), choice) == {"Romanian": "translation_en_to_ro"}
    with pytest.raises(InputError, match="Pick one of: Romanian"):
        translate.translate(TEXT, "German", choice)
    assert translate.translate(TEXT, "Romanian", choice, max_new_tokens=3) == \
        translate.translate(TEXT, "Romanian", max_new_tokens=3)  # the offline stand-in is the tiny T5


def test_a_long_text_is_translated_sentence_by_sentence(t5):
    long = " ".join(f"Sentence {i} is about the old house by the lake, and the garden behind it." for i in range(45))
    _, plan = translate.make_plan(long, "German", max_new_tokens=2)
    assert plan.pieces == seq2seq.split_sentences(long) and len(plan.pieces) == 45
    assert "45 pieces" in translate.note(long, "German", max_new_tokens=2)
    first_two = [seq2seq_generate(t5, PREFIXES["German"] + p, num_beams=4, early_stopping=True, max_new_tokens=2)
                 for p in plan.pieces[:2]]
    result = translate.translate(long, "German", max_new_tokens=2)
    assert result.startswith(" ".join(first_two))


@pytest.mark.parametrize("text, language, message", [
    ("", "German", "Enter a text to translate"),
    ("x" * 5_001, "German", "limit is 5,000"),
    (TEXT, "", "Enter a target language"),
])
def test_bad_input_says_what_to_do(t5, text, language, message):
    with pytest.raises(InputError, match=message):
        translate.translate(text, language)


def test_a_sagemaker_endpoint_translates_into_its_one_language(t5, monkeypatch):
    from models.loader import Loaded

    calls = []

    def endpoint(text, **parameters):
        calls.append((text, parameters))
        return [{"translation_text": "Hallo."}]

    loaded = Loaded(t5.resolved, None, None, 0, remote=endpoint)
    monkeypatch.setattr(loader, "get", lambda task, choice=None, on_progress=None: loaded)
    assert translate.translate("Hello.", "German") == "Hallo."
    assert calls == [("Hello.", {"truncation": True})]
    with pytest.raises(InputError, match="Pick one of: German"):
        translate.translate("Hello.", "French")
