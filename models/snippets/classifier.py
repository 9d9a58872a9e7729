"""Fine-tuning a text classifier on labelled examples, in plain PyTorch on a transformers model.

A pretrained encoder gets a new classification head; the same share of each label is held out (seeded);
AdamW trains on shuffled batches for a few epochs; the held-out examples give accuracy and a confusion
matrix. Same examples, settings and seed: the same model.

The Fine-tuning lab runs this file (so does the offline pack's sentiment model), and its Show code prints
it: it runs on its own.
"""

import csv
import random

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer


def read_csv(path: str) -> list[tuple[str, str]]:
    """(text, label) rows of a CSV file with the header text,label."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [(row["text"], row["label"]) for row in csv.DictReader(handle)]


def new_classifier(base: str, labels: list[str], freeze_embeddings: bool = True, seed: int = 0,
                   device: str = "cpu"):
    """(model, tokenizer): the pretrained `base` with a new, seeded classification head for `labels`, on `device`
    ("cuda" trains on the GPU)."""
    torch.manual_seed(seed)  # the new head's initial weights
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)}, ignore_mismatched_sizes=True, use_safetensors=True)
    if freeze_embeddings:
        # The word-embedding table is most of a small encoder's weights and much of each step's cost,
        # and a few hundred pretrained-on sentences cannot improve it.
        model.get_input_embeddings().requires_grad_(False)
    return model.to(device), AutoTokenizer.from_pretrained(base)


def stratified_split(examples: list[tuple[str, str]], test_fraction: float,
                     seed: int = 0) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train, test): `test_fraction` of every label held out, at least one each; both keep the input order."""
    rng = random.Random(seed)
    held_out: set[int] = set()
    for label in sorted({label for _, label in examples}):
        rows = [i for i, (_, row_label) in enumerate(examples) if row_label == label]
        rng.shuffle(rows)
        held_out.update(rows[:max(1, round(len(rows) * test_fraction))])
    return ([ex for i, ex in enumerate(examples) if i not in held_out],
            [ex for i, ex in enumerate(examples) if i in held_out])


def train(model, tokenizer, examples: list[tuple[str, str]], epochs: int, learning_rate: float, batch_size: int,
          seed: int = 0, on_step=None, should_stop=None) -> list[float]:
    """Fine-tune `model` in place; returns the loss per step. Each epoch reshuffles with a seeded RNG.

    on_step(step, total_steps, loss) is called after each step; training stops once should_stop() is true.
    """
    rng = random.Random(seed)
    torch.manual_seed(seed)  # dropout
    order = list(range(len(examples)))
    total_steps = epochs * ((len(order) + batch_size - 1) // batch_size)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=learning_rate)
    losses: list[float] = []
    model.train()
    for _ in range(epochs):
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            if should_stop and should_stop():
                break
            batch = [examples[i] for i in order[start:start + batch_size]]
            inputs = tokenizer([text for text, _ in batch], padding=True, truncation=True, max_length=128,
                               return_tensors="pt").to(model.device)  # input_ids: (batch, longest)
            targets = torch.tensor([model.config.label2id[label] for _, label in batch],
                                   device=model.device)  # (batch,)
            loss = model(**inputs, labels=targets).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(loss.item())
            if on_step:
                on_step(len(losses), total_steps, losses[-1])
    model.eval()
    return losses


def predict(model, tokenizer, texts: list[str], batch_size: int = 32) -> list[str]:
    """The label the classifier gives each text (argmax of the logits)."""
    predicted: list[str] = []
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            inputs = tokenizer(texts[start:start + batch_size], padding=True, truncation=True, max_length=128,
                               return_tensors="pt").to(model.device)
            logits = model(**inputs).logits  # (batch, labels)
            predicted += [model.config.id2label[i] for i in logits.argmax(-1).tolist()]
    return predicted


def confusion_matrix(truth: list[str], predicted: list[str], labels: list[str]) -> list[list[int]]:
    """matrix[i][j]: how many examples of labels[i] were predicted as labels[j]."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for true_label, guess in zip(truth, predicted):
        matrix[index[true_label]][index[guess]] += 1
    return matrix


def evaluate(model, tokenizer, train_set: list[tuple[str, str]], test_set: list[tuple[str, str]],
             labels: list[str], losses: list[float]) -> dict:
    """How the training went: held-out accuracy and confusion matrix, the sizes, the loss per step."""
    predicted = predict(model, tokenizer, [text for text, _ in test_set])
    truth = [label for _, label in test_set]
    return {
        "accuracy": round(sum(p == t for p, t in zip(predicted, truth)) / len(truth), 4),
        "confusion_matrix": confusion_matrix(truth, predicted, labels),
        "labels": labels, "train_examples": len(train_set), "test_examples": len(test_set),
        "steps": len(losses), "losses": [round(loss, 4) for loss in losses],
    }
