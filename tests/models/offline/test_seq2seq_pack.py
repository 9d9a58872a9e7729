"""The QA, summarization and translation stand-ins mirror the real checkpoints' configs and tokenizers."""

import json

from transformers import AutoConfig, AutoTokenizer, GenerationConfig

from models.offline import seq2seq


def test_tiny_t5_mirrors_t5_small(offline_pack):
    folder = offline_pack["tiny-t5"]
    cfg = AutoConfig.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert cfg.model_type == "t5" and cfg.task_specific_params == seq2seq.T5_TASK_PARAMS
    assert cfg.task_specific_params["translation_en_to_de"]["prefix"] == "translate English to German: "
    assert (cfg.pad_token_id, cfg.eos_token_id, cfg.decoder_start_token_id) == (0, 1, 0)
    assert tokenizer.convert_ids_to_tokens([0, 1, 2]) == ["<pad>", "</s>", "<unk>"]
    # 100 sentinels after the pieces, <extra_id_0> last (t5-small: 32099), table padded to 128s.
    assert tokenizer.convert_tokens_to_ids("<extra_id_0>") == len(tokenizer) - 1
    assert tokenizer.convert_tokens_to_ids("<extra_id_99>") == len(tokenizer) - 100
    assert cfg.vocab_size % 128 == 0 and cfg.vocab_size >= len(tokenizer)
    assert (folder / "spiece.model").is_file() and tokenizer.model_max_length == 512


def test_tiny_t5_tokenizes_like_sentencepiece(offline_pack):
    tokenizer = AutoTokenizer.from_pretrained(offline_pack["tiny-t5"])
    text = "translate English to German: The house is wonderful."
    ids = tokenizer(text)["input_ids"]
    assert ids[-1] == 1 and tokenizer.decode(ids, skip_special_tokens=True) == text  # </s> appended, no BOS
    assert all(t.startswith("▁") for t in tokenizer.tokenize("The house"))  # word starts carry ▁


def test_the_sentencepiece_model_is_the_same_on_every_build(tmp_path):
    first = seq2seq.train_sentencepiece(tmp_path / "a").read_bytes()
    assert seq2seq.train_sentencepiece(tmp_path / "b").read_bytes() == first


def test_tiny_bart_mirrors_distilbart_cnn(offline_pack):
    folder = offline_pack["tiny-bart"]
    cfg = AutoConfig.from_pretrained(folder)
    generation = GenerationConfig.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    for key, value in seq2seq.BART_GENERATION.items():
        assert getattr(generation, key) == value, key
    assert cfg.prefix == " " and cfg.max_position_embeddings == seq2seq.BART_POSITIONS
    assert tokenizer.convert_ids_to_tokens([0, 1, 2, 3]) == ["<s>", "<pad>", "</s>", "<unk>"]
    assert tokenizer.model_max_length == seq2seq.BART_POSITIONS


def test_tiny_bart_uses_gpt2_byte_level_bpe(offline_pack):
    tokenizer = AutoTokenizer.from_pretrained(offline_pack["tiny-bart"])
    gpt2 = json.loads(seq2seq.sources.gpt2_vocab_files()[0].read_text(encoding="utf-8"))
    tokens = tokenizer.tokenize("Hello world, summaries!")
    assert tokens == ["Hello", "Ġworld", ",", "Ġsumm", "aries", "!"] and all(t in gpt2 for t in tokens)
    assert tokenizer("Hello world")["input_ids"] == [0, gpt2["Hello"] + 4, gpt2["Ġworld"] + 4, 2]


def test_tiny_qa_model_is_distilbert_on_bert_uncased(offline_pack):
    folder = offline_pack["tiny-distilbert-qa"]
    cfg = AutoConfig.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert cfg.model_type == "distilbert" and cfg.sinusoidal_pos_embds and cfg.max_position_embeddings == 512
    # bert-base-uncased's ids, and no token_type_ids (DistilBERT takes none).
    assert tokenizer("I read a good novel.")["input_ids"] == [101, 1045, 3191, 1037, 2204, 3117, 1012, 102]
    assert tokenizer.model_input_names == ["input_ids", "attention_mask"]
