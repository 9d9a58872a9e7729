"""Tokenizer explorer: the real BERT and GPT-2 ids, offsets over the text, special tokens, batches."""

import pytest

from models.errors import InputError
from models.tasks import tokens
from tests.support import snippets

NOVEL = "I read a good novel."


def test_bert_gives_exactly_bert_base_uncased_ids(offline_pack):
    result = tokens.tokenize(NOVEL, "bert-base-uncased")
    assert result["input_ids"] == [101, 1045, 3191, 1037, 2204, 3117, 1012, 102]
    assert result["tokens"] == ["[CLS]", "i", "read", "a", "good", "novel", ".", "[SEP]"]
    assert result["special_tokens_mask"] == [1, 0, 0, 0, 0, 0, 0, 1]
    assert result["token_type_ids"] == [0] * 8 and result["attention_mask"] == [1] * 8
    assert result["word_ids"] == [None, 0, 1, 2, 3, 4, 5, None]
    assert result["decoded"] == "[CLS] i read a good novel. [SEP]"


def test_bert_splits_unknown_words_into_wordpieces(offline_pack):
    result = tokens.tokenize("Tokenization", "bert-base-uncased")
    assert result["tokens"] == ["[CLS]", "token", "##ization", "[SEP]"]
    assert result["input_ids"] == [101, 19204, 3989, 102]
    assert result["word_ids"] == [None, 0, 0, None]  # two pieces of one word


def test_gpt2_gives_the_real_gpt2_ids_with_no_token_type_ids(offline_pack):
    assert tokens.tokenize("Hello world", "gpt2")["input_ids"] == [15496, 995]
    result = tokens.tokenize(NOVEL, "gpt2")
    assert result["input_ids"] == [40, 1100, 257, 922, 5337, 13]
    assert result["tokens"][1] == "Ġread"  # the leading space belongs to the token
    assert "token_type_ids" not in result and sum(result["special_tokens_mask"]) == 0


def test_t5_ends_with_its_eos_and_uses_t5s_special_ids(offline_pack):
    result = tokens.tokenize(NOVEL, "t5-small")
    assert result["tokens"][-1] == "</s>" and result["input_ids"][-1] == 1  # T5: pad 0, eos 1, unk 2
    assert result["special_tokens_mask"][-1] == 1 and "token_type_ids" not in result
    assert result["tokens"][0].startswith("▁")


@pytest.mark.parametrize("name", ["bert-base-uncased", "gpt2", "t5-small"])
def test_offsets_point_at_the_tokens_characters(offline_pack, name):
    text = "Tokenizers differ, don't they? 🤗"
    result = tokens.tokenize(text, name)
    for token, special, (start, end) in zip(result["tokens"], result["special_tokens_mask"], result["offsets"]):
        assert 0 <= start <= end <= len(text)
        if special:
            assert (start, end) == (0, 0)
        elif name == "bert-base-uncased" and token != "[UNK]":
            assert text[start:end].lower() == token.removeprefix("##")


def test_compare_counts_every_tokenizer(offline_pack):
    compared = tokens.compare(NOVEL)
    assert list(compared) == ["bert-base-uncased", "gpt2", "t5-small"]
    assert compared["bert-base-uncased"]["count"] == 8 and compared["gpt2"]["count"] == 6
    for item in compared.values():
        assert item["count"] == len(item["tokens"]) == len(item["input_ids"]) == len(item["offsets"])


def test_offline_t5_says_its_vocabulary_is_not_the_real_one(offline_pack):
    assert "NOT t5-small's" in tokens.source_note("t5-small")
    assert "real bert-base-uncased vocabulary" in tokens.source_note("bert-base-uncased")


def test_batch_pads_truncates_and_masks(offline_pack):
    result = tokens.batch("I read.\nA much longer sentence that gets truncated here.", "bert-base-uncased", 8)
    assert [len(row) for row in result["input_ids"]] == [8, 8]
    assert result["tokens"][0] == ["[CLS]", "i", "read", ".", "[SEP]", "[PAD]", "[PAD]", "[PAD]"]
    assert result["attention_mask"] == [[1, 1, 1, 1, 1, 0, 0, 0], [1] * 8]
    assert result["tokens"][1][-1] == "[SEP]" and result["truncated"] == [False, True]


def test_batch_pads_gpt2_with_endoftext_without_changing_the_shared_tokenizer(offline_pack):
    from models import loader

    result = tokens.batch("Hi.\nHello there, world.", "gpt2", 16, "max_length")
    assert result["pad_token"] == "<|endoftext|>" and len(result["input_ids"][0]) == 16
    assert result["input_ids"][0][2:] == [50256] * 14 and result["attention_mask"][0] == [1, 1] + [0] * 14
    assert loader.tokenizer("gpt2")[0].pad_token is None


@pytest.mark.parametrize("call, message", [
    (lambda: tokens.tokenize("", "gpt2"), "empty"),
    (lambda: tokens.tokenize("x" * 5001, "gpt2"), "limit is 5,000"),
    (lambda: tokens.tokenize("Hi", "roberta"), "Pick one of: bert-base-uncased, gpt2, t5-small"),
    (lambda: tokens.batch("Only one sentence.", "gpt2"), "2 to 8 sentences"),
    (lambda: tokens.batch("a\nb", "gpt2", 65), "Max length must be between 2 and 64"),
    (lambda: tokens.batch("a\nb", "gpt2", 8, "left"), "longest, max_length"),
])
def test_mistakes_say_what_to_do(offline_pack, call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_show_code_prints_what_each_endpoint_returns(offline_pack):
    two = "I read a good novel.\nAttention is a novel idea, really."
    cases = [(tokens.tokenize, tokens.code, (NOVEL + " 🤗 ünïcode", "gpt2")),
             (tokens.tokenize, tokens.code, (NOVEL, "t5-small")),
             (tokens.compare, tokens.compare_code, ("Tokenizers split unbelievable words.",)),
             (tokens.batch, tokens.batch_code, (two, "gpt2", 6, "max_length")),
             (tokens.batch, tokens.batch_code, (two, "bert-base-uncased"))]
    printed = snippets.results([code(*inputs) for _, code, inputs in cases])
    for (endpoint, _, inputs), shown in zip(cases, printed):
        snippets.assert_same(shown, endpoint(*inputs))
