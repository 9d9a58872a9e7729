"""The benchmark's models: real shapes and real vocabularies, random weights, built from configs here.

Real weights cannot be downloaded on these machines; for speed and memory only the shapes matter.
`quick` builds the same classes at hidden size 32 and 2 layers (the CI smoke mode).
"""

from __future__ import annotations

from pathlib import Path

# distilbert/distilbert-base-uncased-finetuned-sst-2-english's published id2label.
SST2_LABELS = {0: "NEGATIVE", 1: "POSITIVE"}
TINY_BERT = {"dim": 32, "n_layers": 2, "n_heads": 2, "hidden_dim": 64}
TINY_GPT2 = {"n_embd": 32, "n_layer": 2, "n_head": 2}


def build(folder: Path, quick: bool) -> dict[str, Path]:
    """task -> a save_pretrained folder: "sentiment" (DistilBERT SST-2) and "generate" (GPT-2 small)."""
    folder = folder.resolve()  # the loader keys local models by their resolved path
    return {"sentiment": build_sentiment(folder / "distilbert-sst2", quick),
            "generate": build_generate(folder / "gpt2", quick)}


def build_sentiment(folder: Path, quick: bool) -> Path:
    """DistilBertForSequenceClassification shaped like distilbert-base-uncased (66M parameters)."""
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    from models.offline import tiny

    torch.manual_seed(0)
    config = DistilBertConfig(id2label=SST2_LABELS, label2id={v: k for k, v in SST2_LABELS.items()},
                              **(TINY_BERT if quick else {}))  # the defaults are distilbert-base's
    model = DistilBertForSequenceClassification(config)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tiny.bert_uncased_tokenizer().save_pretrained(folder)  # the real bert-base-uncased WordPiece vocab
    return folder


def build_generate(folder: Path, quick: bool) -> Path:
    """GPT2LMHeadModel shaped like gpt2 small (124M parameters, tied LM head), with GPT-2's real BPE."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from models.offline import tiny

    torch.manual_seed(0)
    tokenizer = tiny.gpt2_tokenizer(folder)  # writes vocab.json and merges.txt into the folder
    config = GPT2Config(bos_token_id=50256, eos_token_id=50256, **(TINY_GPT2 if quick else {}))
    GPT2LMHeadModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def weight_bytes(folder: Path) -> int:
    """Bytes of every tensor in the folder's safetensors files, as stored (no tensor is loaded)."""
    from safetensors import safe_open

    total = 0
    for path in sorted(folder.glob("*.safetensors")):
        with safe_open(path, framework="pt") as handle:
            for name in handle.keys():
                piece = handle.get_slice(name)
                count = 1
                for size in piece.get_shape():
                    count *= size
                total += count * _itemsize(piece.get_dtype())
    return total


def _itemsize(dtype: str) -> int:
    return {"F64": 8, "I64": 8, "F32": 4, "I32": 4, "F16": 2, "BF16": 2, "I16": 2, "I8": 1, "U8": 1,
            "BOOL": 1}[dtype]
