"""Attention data: every head's maps over the shown tokens, heatmap matrices, caps, and the word in context."""

import numpy as np
import pytest

from models.errors import InputError
from models.snippets import attention as reference
from models.tasks import attention, internals
from tests.support import snippets

NOVEL_A, NOVEL_B = "I read a good novel.", "Attention is a novel idea."
GPT2 = "openai-community/gpt2"


@pytest.fixture(scope="module")
def novel(offline_pack) -> internals.Forward:
    return internals.forward(NOVEL_A)


def test_forward_keeps_every_layer_and_head(novel):
    assert novel.tokens == ["[CLS]", "i", "read", "a", "good", "novel", ".", "[SEP]"]
    assert novel.attentions.shape == (6, 12, 8, 8) and novel.hidden.shape == (7, 8, 384)  # MiniLM
    # Every row is a distribution: to float32's precision, or bf16's (8 bits of mantissa) under PLAYGROUND_DTYPE.
    np.testing.assert_allclose(novel.attentions.sum(axis=-1), 1.0, atol=1e-5 if novel.dtype == "float32" else 1e-2)
    assert novel.special == [True] + [False] * 6 + [True] and not novel.causal


def test_gpt2_attention_is_causal(offline_pack):
    run = internals.forward(NOVEL_A, GPT2)
    assert run.causal and run.attentions.shape[2:] == (6, 6)
    assert np.abs(np.triu(run.attentions, k=1)).max() == 0.0  # no token sees a later one
    assert attention.attention(NOVEL_A, 0, 0, choice=GPT2).causal


def test_maps_are_every_head_over_the_shown_tokens(novel, offline_pack):
    maps = attention.attention(NOVEL_A, 2, 3)
    assert maps.tokens == novel.tokens and maps.positions == list(range(8))
    np.testing.assert_array_equal(maps.attentions, novel.attentions)  # (6 layers, 12 heads, 8, 8), unrounded
    np.testing.assert_array_equal(maps.matrix, novel.attentions[2, 3])
    assert (maps.layer, maps.head, maps.average_heads, maps.causal, maps.special_hidden) == (2, 3, False, False, False)


def test_heatmap_is_the_chosen_head_or_the_mean(novel):
    keep = list(range(8))
    np.testing.assert_array_equal(reference.head_matrix(novel, 4, 7, False, keep), novel.attentions[4, 7])
    np.testing.assert_allclose(reference.head_matrix(novel, 4, 7, True, keep), novel.attentions[4].mean(axis=0))


def test_hiding_special_tokens_drops_cls_and_sep(novel, offline_pack):
    keep = attention.shown_positions(novel, hide_special=True)
    assert keep == [1, 2, 3, 4, 5, 6]
    maps = attention.attention(NOVEL_A, 4, 7, average_heads=True, hide_special=True)
    assert maps.tokens == ["i", "read", "a", "good", "novel", "."] and maps.positions == keep
    assert maps.special_hidden and maps.attentions.shape == (6, 12, 6, 6)
    np.testing.assert_array_equal(maps.attentions, novel.attentions[:, :, 1:7, 1:7])
    np.testing.assert_allclose(maps.matrix, novel.attentions[4].mean(axis=0)[1:7, 1:7])


@pytest.mark.parametrize("layer, head, message", [
    (6, 0, r"Layer \(this model has 6 layers, counted from 0\) must be between 0 and 5"),
    (-1, 0, "must be between 0 and 5"),
    (0, 12, r"Head \(this model has 12 heads per layer, counted from 0\) must be between 0 and 11"),
    (1.5, 0, "whole number"),
])
def test_layer_and_head_out_of_range_are_refused(offline_pack, layer, head, message):
    with pytest.raises(InputError, match=message):
        attention.attention(NOVEL_A, layer, head)


def test_too_many_tokens_are_refused_with_the_cap(offline_pack):
    with pytest.raises(InputError, match="is 72 tokens; attention views show at most 64"):
        attention.attention("word " * 70, 0, 0)


def test_the_word_in_context_moves_away_layer_by_layer(offline_pack):
    result = attention.compare_word(NOVEL_A, NOVEL_B, "novel")
    assert result["layers"] == list(range(7)) and len(result["cosine_similarity"]) == 7
    first, last = result["cosine_similarity"][0], result["cosine_similarity"][-1]
    assert first > 0.95 and last < first - 0.05  # same embedding at first, context pulls them apart
    assert result["sentences"]["a"]["positions"] == [5] and result["sentences"]["b"]["positions"] == [4]
    weights = [p["weight"] for p in result["sentences"]["a"]["attends_to"]]
    assert weights == sorted(weights, reverse=True) and len(weights) == reference.TOP_ATTENDED


def test_the_same_sentence_twice_gives_similarity_one(offline_pack):
    result = attention.compare_word(NOVEL_A, NOVEL_A, "NOVEL")  # case does not matter
    assert result["cosine_similarity"] == [1.0] * 7


def test_a_word_of_several_tokens_is_their_mean(offline_pack):
    result = attention.compare_word("Tokenization matters.", "I like tokenization", "tokenization", GPT2)
    assert result["sentences"]["a"]["word_tokens"] == ["Token", "ization"]
    assert result["sentences"]["b"]["word_tokens"] == ["Ġtoken", "ization"]


def test_a_missing_word_is_named(offline_pack):
    with pytest.raises(InputError, match=r"The word 'novel' is not in sentence B \('Attention is new.'\)"):
        attention.compare_word(NOVEL_A, "Attention is new.", "novel")
    with pytest.raises(InputError, match="is not in sentence A"):
        attention.compare_word("Novelty sells.", NOVEL_B, "novel")  # whole words only


def test_show_code_prints_the_maps_and_the_word_in_context(offline_pack):
    maps = [(NOVEL_A, 4, 7, False, False, None), (NOVEL_B, 1, 2, True, True, GPT2)]
    printed = snippets.results([attention.attention_code(*args) for args in maps] +
                               [attention.compare_word_code(NOVEL_A, NOVEL_B, " novel ")])
    for (text, layer, head, average, hide, choice), shown in zip(maps, printed):
        run = internals.forward(text, choice)
        keep = attention.shown_positions(run, hide)
        matrix = np.round(reference.head_matrix(run, layer, head, average, keep), 4).tolist()
        assert shown == {"tokens": [run.tokens[i] for i in keep], "attention": matrix}
    snippets.assert_same(printed[-1], attention.compare_word(NOVEL_A, NOVEL_B, " novel "))
