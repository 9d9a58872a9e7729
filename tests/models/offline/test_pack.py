"""The offline pack mirrors the real checkpoints: vocabularies byte for byte, label maps, shapes."""

import json

from transformers import AutoConfig, AutoTokenizer

from models.offline import ENTRIES, entry_path
from models.offline.sentiment_head import LABELS
from models.offline.tiny import NER_LABELS


def test_every_entry_builds_a_loadable_folder(offline_pack):
    assert set(offline_pack) == set(ENTRIES)
    for name, folder in offline_pack.items():
        assert (folder / "config.json").is_file(), name
        assert list(folder.glob("*.safetensors")), f"{name} has no safetensors weights"


def test_bert_tokenizer_gives_bert_base_uncased_ids(offline_pack):
    tokenizer = AutoTokenizer.from_pretrained(offline_pack["tiny-bert-mlm"])
    # The ids bert-base-uncased gives (vocab.txt is byte-identical).
    assert tokenizer("I read a good novel.")["input_ids"] == [101, 1045, 3191, 1037, 2204, 3117, 1012, 102]
    assert tokenizer.mask_token == "[MASK]" and tokenizer.mask_token_id == 103


def test_gpt2_tokenizer_gives_gpt2_ids(offline_pack):
    tokenizer = AutoTokenizer.from_pretrained(offline_pack["tiny-gpt2"])
    assert tokenizer("Hello world")["input_ids"] == [15496, 995]
    assert len(tokenizer) == 50257 and tokenizer.eos_token == "<|endoftext|>"


def test_ner_labels_mirror_dslim(offline_pack):
    cfg = AutoConfig.from_pretrained(offline_pack["tiny-bert-ner"])
    assert [cfg.id2label[i] for i in range(len(NER_LABELS))] == list(NER_LABELS)
    assert NER_LABELS[3:5] == ("B-PER", "I-PER")


def test_sentiment_labels_mirror_sst2(offline_pack):
    cfg = AutoConfig.from_pretrained(offline_pack["minilm-sentiment"])
    assert cfg.id2label == {0: "NEGATIVE", 1: "POSITIVE"} and LABELS == ("NEGATIVE", "POSITIVE")
    assert cfg.num_hidden_layers == 6 and cfg.hidden_size == 384  # real MiniLM weights underneath


def test_built_entries_are_reused_not_rebuilt(offline_pack):
    folder = entry_path("tiny-gpt2")
    stamp = (folder / "config.json").stat().st_mtime_ns
    assert entry_path("tiny-gpt2") == folder
    assert (folder / "config.json").stat().st_mtime_ns == stamp
    assert json.loads((folder / "config.json").read_text())["n_embd"] == 32
