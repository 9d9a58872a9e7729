"""The offline sentiment model: a classification head on real MiniLM weights, trained at build time."""

from __future__ import annotations

from pathlib import Path

from models.offline import sources

# The label names of distilbert-base-uncased-finetuned-sst-2-english, the Hub default.
LABELS = ("NEGATIVE", "POSITIVE")


def build(folder: Path) -> None:
    """Train on assets/sentiment.csv and save to `folder`."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from models.snippets.classifier import read_csv, train

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(sources.minilm_dir())
    model = AutoModelForSequenceClassification.from_pretrained(
        sources.minilm_dir(), num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)), label2id={label: i for i, label in enumerate(LABELS)},
    )
    # Frozen embeddings: the 30522 x 384 table is half the weights and most of each step's cost,
    # and a few hundred sentences cannot improve it.
    model.bert.embeddings.requires_grad_(False)
    examples = read_csv(str(sources.assets_dir() / "sentiment.csv"))
    train(model, tokenizer, examples, epochs=3, learning_rate=1e-4, batch_size=16)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
