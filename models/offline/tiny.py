"""Tiny random-weight models whose configs mirror the real defaults (class, labels, special tokens).

Hidden size 32 and 2 layers: they build in milliseconds, load in a few, and exercise exactly the
code paths the real checkpoints do. Their output is not meaningful, and the UI says so.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from models.offline import sources

TINY = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}

# dslim/bert-base-NER's published id2label (CoNLL-2003 IOB tags).
NER_LABELS = ("O", "B-MISC", "I-MISC", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")


def save(model, tokenizer, folder: Path) -> None:
    """Write a model and its tokenizer as a save_pretrained folder (safetensors)."""
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)


def bert_uncased_tokenizer():
    """The real bert-base-uncased WordPiece tokenizer (MiniLM ships its vocab.txt byte for byte)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(sources.minilm_dir())


def gpt2_tokenizer(folder: Path):
    """The real GPT-2 byte-level BPE tokenizer, written into `folder` under its usual file names."""
    from transformers import GPT2TokenizerFast

    vocab, merges = sources.gpt2_vocab_files()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(vocab, folder / "vocab.json")
    shutil.copyfile(merges, folder / "merges.txt")
    # GPT2Tokenizer(vocab_file=...) silently builds an empty tokenizer: load the folder instead.
    return GPT2TokenizerFast.from_pretrained(folder, model_max_length=1024)


def build_bert_ner(folder: Path) -> None:
    import torch
    from transformers import BertConfig, BertForTokenClassification

    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=30522, **TINY,
        id2label=dict(enumerate(NER_LABELS)), label2id={v: k for k, v in enumerate(NER_LABELS)},
    )
    save(BertForTokenClassification(cfg), bert_uncased_tokenizer(), folder)


def build_bert_mlm(folder: Path) -> None:
    import torch
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(0)
    save(BertForMaskedLM(BertConfig(vocab_size=30522, **TINY)), bert_uncased_tokenizer(), folder)


def build_gpt2(folder: Path) -> None:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    cfg = GPT2Config(
        vocab_size=50257, n_positions=1024, n_embd=32, n_layer=2, n_head=2,
        bos_token_id=50256, eos_token_id=50256,
        task_specific_params={"text-generation": {"do_sample": True, "max_length": 50}},
    )
    tokenizer = gpt2_tokenizer(folder)
    save(GPT2LMHeadModel(cfg), tokenizer, folder)
