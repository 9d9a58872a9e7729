"""Sentiment batching: concurrent requests give exactly the answers the pipeline gives one at a time."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from models import loader
from models.errors import InputError
from models.tasks import sentiment

TEXTS = [
    "Great.",
    "I absolutely loved the friendly staff and the delicious food.",
    "The delivery was late, the box was broken and nobody apologised, so I will never order again.",
    "Fine, I guess.",
    "A slow start, but the second half of the film was warm, funny and worth every minute of the wait.",
]


def test_a_batch_gives_the_pipelines_answers_in_its_order(offline_pack):
    loaded = loader.get("sentiment")
    pipe = loaded.pipeline("text-classification")
    batched = sentiment.classify_batch(loaded, TEXTS)
    for text, scores in zip(TEXTS, batched):
        expected = pipe(text, top_k=None, truncation=True)
        assert list(scores) == [item["label"] for item in expected]  # likeliest first, as the pipeline
        assert list(scores.values()) == pytest.approx([item["score"] for item in expected], abs=1e-5)


def test_concurrent_calls_each_get_their_own_answer_and_errors_stay_their_own(offline_pack):
    alone = {text: sentiment.classify(text) for text in TEXTS}
    results = {}

    def call(text):
        try:
            results[text] = sentiment.classify(text)
        except InputError as exc:
            results[text] = exc

    with ThreadPoolExecutor(len(TEXTS) * 3 + 1) as callers:  # all at once, as concurrent requests are
        list(callers.map(call, TEXTS * 3 + [""], timeout=60))
    assert isinstance(results.pop(""), InputError)
    # Exact in float32; bf16 weights keep 8 bits of mantissa, and a text padded in a batch goes through
    # differently shaped matmuls than alone, so its probabilities agree to bf16's precision only.
    tolerance = 1e-5 if loader.get("sentiment").resolved.dtype == "float32" else 4e-3
    for text, scores in results.items():
        assert scores == pytest.approx(alone[text], abs=tolerance)


def test_long_text_is_truncated_to_the_models_positions(offline_pack):
    scores = sentiment.classify("good " * 900)  # ~900 tokens: over MiniLM's 512 positions
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-6)
