"""Summaries and translations that could decode for minutes are refused at once, saying what to lower (issue 18,
item 8): on the offline pack (random weights never stop early) 12,000 emoji took 78 s to summarize and 5,000
characters with 512 new tokens 133 s to translate."""

import pytest

from models import limits
from models.errors import InputError
from models.tasks import summarize, translate

SENTENCES = ("Where is the station? I would like a ticket. " * 120)[: limits.TRANSLATE_CHARS]


def test_a_summary_of_12000_emoji_is_refused_before_any_decoding(offline_pack):
    with pytest.raises(InputError) as refused:
        summarize.summarize("🙂" * 12_000, summarize.SummarySettings())
    # 24,000 BPE tokens, 128 a piece on the stand-in BART, each up to its max_length of 128 (capped to its table)
    assert str(refused.value) == ("This text makes at least 188 pieces for this model, each up to 128 new tokens: "
                                  "24,064 decoding steps, and one request takes at most 4,096 (about a minute on this "
                                  "server). Shorten the text, or lower max new tokens to 21.")


def test_a_long_translation_with_512_new_tokens_is_refused_and_the_suggested_length_fits(offline_pack):
    with pytest.raises(InputError, match=r"223 pieces .* 114,176 decoding steps.* lower max new tokens to 146\."):
        translate.translate(SENTENCES, "German", max_new_tokens=512)
    _, plan = translate.make_plan(SENTENCES, "German", max_new_tokens=146)  # what the message suggests
    assert len(plan.pieces) == 223 and 223 * 146 <= limits.TRANSLATE_DECODE_STEPS


def test_ordinary_texts_pass(offline_pack):
    _, plan = summarize.make_plan("The council voted to build a park. " * 100, summarize.SummarySettings())
    assert 1 < len(plan.pieces) <= limits.SUMMARIZE_DECODE_STEPS // 128
