"""HighlightedText values: tokens over their text, entities, the answer, generated tokens; bad data refused."""

import gradio as gr
import pytest

from models.tasks import ner, tokens
from tabs._views import highlight

REFUSED = "This view was sent data its endpoint never returns"
NOVEL = "I read a good novel."


@pytest.mark.parametrize("name", ["bert-base-uncased", "gpt2", "t5-small"])
def test_tokens_cover_the_text_and_mark_special_tokens(offline_pack, name):
    text = "Emoji 🤗 split  into bytes."
    result = tokens.tokenize(text, name)
    pieces = highlight.tokens(text, result)
    assert "".join(piece for piece, label in pieces if label != highlight.SPECIAL) == text
    specials = [piece for piece, label in pieces if label == highlight.SPECIAL]
    assert specials == [t for t, s in zip(result["tokens"], result["special_tokens_mask"]) if s]
    for (_, first), (_, second) in zip(pieces, pieces[1:]):  # touching tokens get different colours
        assert not (first in highlight.TOKEN_LABELS and first == second)


def test_tokens_of_bert_exactly(offline_pack):
    # The label follows the piece's index, so "novel" and "." (touching) differ; spaces are unlabelled.
    assert highlight.tokens(NOVEL, tokens.tokenize(NOVEL, "bert-base-uncased")) == [
        ("[CLS]", "special token"), ("I", "next token"), (" ", None), ("read", "next token"), (" ", None),
        ("a", "next token"), (" ", None), ("good", "next token"), (" ", None), ("novel", "next token"),
        (".", "token"), ("[SEP]", "special token")]


RESULT = {"tokens": ["[CLS]", "hi", "[SEP]"], "special_tokens_mask": [1, 0, 1], "offsets": [[0, 0], [0, 2], [0, 0]]}


@pytest.mark.parametrize("change, where", [
    ({"offsets": [[0, 0], [0, 3], [0, 0]]}, r"offsets\[1\]\[1\]: expected a whole number from 0 to 2"),
    ({"offsets": [[0, 0], [2, 1], [0, 0]]}, r"offsets\[1\]: expected \[start, end\] with start <= end"),
    ({"offsets": [[0, 0], [0, 2]]}, "offsets: expected a list of 3 items"),
    ({"special_tokens_mask": [1, 0, "yes"]}, r"special_tokens_mask\[2\]: expected a whole number from 0 to 1"),
    ({"tokens": ["hi"] * (highlight.TOKENS_MAX + 1)}, "tokens: expected a list of 0 to 20,008 items"),
    ({"tokens": None}, "tokens: expected a list"),
])
def test_tokens_refuse_what_tokenize_never_returns(change, where):
    assert highlight.tokens("hi", RESULT) == [("[CLS]", "special token"), ("hi", "next token"),
                                              ("[SEP]", "special token")]
    with pytest.raises(gr.Error, match=f"{REFUSED} \\({where}"):
        highlight.tokens("hi", {**RESULT, **change})
    with pytest.raises(gr.Error, match=r"the text: expected text of at most 5,000 characters"):
        highlight.tokens("x" * 5_001, RESULT)


def test_entities_keep_the_original_text(offline_pack):
    text = "Angela Merkel met Emmanuel Macron in Paris."
    found = ner.extract(text)
    value = highlight.entities(text, found)
    assert value["text"] == text
    assert value["entities"] == [{"entity": e["entity_group"], "start": e["start"], "end": e["end"]} for e in found]


def test_token_tags_label_each_token_over_the_original_text(offline_pack):
    text = "Angela Merkel met Emmanuel Macron in Paris."
    tags = ner.token_tags(text)
    pieces = highlight.token_tags(text, tags)
    assert "".join(piece for piece, _ in pieces) == text
    assert [(piece, tag) for piece, tag in pieces if tag is not None] == [
        (text[t["start"]:t["end"]], t["tag"]) for t in tags]
    assert {piece for piece, tag in pieces if tag is None} == {" "}  # the spaces between words


def test_token_tags_skip_tokens_without_characters_of_their_own():
    tags = [{"start": 0, "end": 3, "tag": "B-PER"}, {"start": 1, "end": 3, "tag": "I-PER"},
            {"start": 4, "end": 6, "tag": "O"}]
    assert highlight.token_tags("Ann is", tags) == [("Ann", "B-PER"), (" ", None), ("is", "O")]


def test_the_best_answer_is_marked_in_the_context_and_no_answer_marks_nothing():
    context = "The treaty was signed in Paris in 1898."
    answers = [{"answer": "Paris", "score": 0.9, "start": 25, "end": 30},
               {"answer": "1898", "score": 0.1, "start": 34, "end": 38}]
    assert highlight.answer(context, answers) == {"text": context,
                                                  "entities": [{"entity": "answer", "start": 25, "end": 30}]}
    nothing = [{"answer": "", "score": 0.8, "start": 0, "end": 0}, *answers]
    assert highlight.answer(context, nothing) == {"text": context, "entities": []}


def test_generated_tokens_are_labelled_by_band_once_the_steps_are_known():
    running = {"text": "Once upon a time there", "steps": []}
    assert highlight.generated("Once upon a time", running) == [("Once upon a time", None), (" there", None)]
    done = {"text": "Once upon a time there was",
            "steps": [{"token": " there", "band": "likely"}, {"token": " was", "band": "unlikely"}]}
    assert highlight.generated("Once upon a time", done) == [("Once upon a time", None), (" there", "likely"),
                                                             (" was", "unlikely")]
