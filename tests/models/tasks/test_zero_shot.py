"""Zero-shot offline: embedding similarity on real MiniLM weights."""

import pytest

from models import limits, loader
from models.errors import InputError
from models.tasks import zero_shot


def test_offline_method_is_embedding_similarity(offline_pack):
    assert zero_shot.method(loader.get("zero_shot")) == "embedding similarity"


def test_single_label_scores_sum_to_one_and_make_sense(offline_pack):
    scores = zero_shot.classify("The striker scored twice before half-time.", "sport, cooking, finance")
    assert list(scores)[0] == "sport"
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-5)
    assert list(scores.values()) == sorted(scores.values(), reverse=True)


def test_multi_label_scores_are_independent(offline_pack):
    scores = zero_shot.classify("Bake the bread for forty minutes.", "cooking, baking", multi_label=True)
    assert set(scores) == {"cooking", "baking"}
    assert all(0.0 <= s <= 1.0 for s in scores.values())
    alone = zero_shot.classify("Bake the bread for forty minutes.", "cooking", multi_label=True)
    assert alone["cooking"] == pytest.approx(scores["cooking"], abs=1e-5)


def test_labels_are_trimmed_and_deduplicated():
    assert zero_shot.parse_labels(" sport, ,politics , sport") == ["sport", "politics"]


@pytest.mark.parametrize("labels, message", [
    ("", "at least one"), (" , ,", "at least one"),
    (",".join(f"l{i}" for i in range(limits.ZERO_SHOT_LABELS + 1)), "the limit is 20"),
    ("x" * 101, "at most 100"), ("a\x00b", "NUL"), ("sport, \ud800", "surrogates"),
])
def test_bad_labels_say_what_to_do(labels, message):
    with pytest.raises(InputError, match=message):
        zero_shot.parse_labels(labels)
