"""Sentiment on the offline MiniLM head: real weights, so real answers."""

import pytest

from models.errors import InputError
from models.tasks import sentiment


def test_every_class_with_probabilities_that_sum_to_one(offline_pack):
    scores = sentiment.classify("What a wonderful, warm and funny film.")
    assert set(scores) == {"NEGATIVE", "POSITIVE"}
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("text, expected", [
    ("I absolutely loved the friendly staff and the delicious food.", "POSITIVE"),
    ("The delivery was late, the box was broken and nobody apologised.", "NEGATIVE"),
])
def test_clear_cases_are_classified(offline_pack, text, expected):
    scores = sentiment.classify(text)
    assert max(scores, key=scores.get) == expected


@pytest.mark.parametrize("bad, message", [
    ("", "empty"), ("   \n", "empty"), ("x" * 5001, "limit is 5,000"), ("a\x00b", "NUL"),
    ("bad \ud800 surrogate", "surrogates"), (42, "as text"),
])
def test_bad_input_says_what_to_do(offline_pack, bad, message):
    with pytest.raises(InputError, match=message):
        sentiment.classify(bad)


def test_code_snippet_names_the_model_folder(offline_pack):
    snippet = sentiment.code("Nice.")
    assert "minilm-sentiment" in snippet and "top_k=None" in snippet
