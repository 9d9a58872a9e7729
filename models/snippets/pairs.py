"""Sentence pairs as GLUE MRPC feeds them to a model: one batch from transformers' DataCollatorWithPadding.

Both sentences go in together ([CLS] first [SEP] second [SEP], token_type_ids 0 then 1); each pair is
tokenized on its own, then the collator pads them all to the longest (attention_mask 0 on the padding)
and renames "label" to "labels", as Trainer expects. Label -100: no label, the loss ignores the row.

The Fine-tuning lab runs this file, and its Show code prints it: it runs on its own.
"""

import csv

from transformers import DataCollatorWithPadding


def read_paraphrases(path: str) -> list[tuple[str, str, int]]:
    """(sentence1, sentence2, 1 if a paraphrase else 0) rows of a CSV file with the header sentence1,sentence2,label."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [(row["sentence1"], row["sentence2"], int(row["label"])) for row in csv.DictReader(handle)]


def pair_batch(tokenizer, rows: list[tuple[str, str, int]], max_tokens: int) -> dict:
    """The padded batch of (sentence1, sentence2, label) rows, every tensor as nested lists, with its shape."""
    features = [{**tokenizer(a, b, truncation=True, max_length=max_tokens), "label": label} for a, b, label in rows]
    batch = DataCollatorWithPadding(tokenizer, return_tensors="pt")(features)  # each (pairs, longest)
    return {
        "pairs": [[a, b] for a, b, _ in rows],
        "tokens": [tokenizer.convert_ids_to_tokens(ids) for ids in batch["input_ids"].tolist()],
        **{name: tensor.tolist() for name, tensor in batch.items()},
        "shapes": {name: list(tensor.shape) for name, tensor in batch.items()},
    }
