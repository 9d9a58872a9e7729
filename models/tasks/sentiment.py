"""Sentiment: a sequence classifier's probability for every class."""

from __future__ import annotations

from models import limits, loader, validate
from models.loader import ProgressCallback
from serving import batching

MAX_BATCH = 16  # requests classified together; the tab lets this many run at once
# What one more forward pass costs, in tokens' worth of work (reading every weight once again), and
# the most padded tokens in one pass: together they decide how a batch is split by length.
PASS_OVERHEAD_TOKENS = 16
PASS_MAX_TOKENS = 8_192


def classify(text: str, choice: str | None = None, on_progress: ProgressCallback | None = None) -> dict[str, float]:
    """Every class of the model with its probability (they sum to 1), likeliest first.

    Concurrent calls on the same model are classified together (see classify_batch); the result is the
    one the text-classification pipeline gives (softmax over the classes, truncated to the model's length).
    """
    text = validate.text(text, "a sentence or review", limits.TEXT_CHARS)
    loaded = loader.get("sentiment", choice, on_progress)
    if loaded.remote is not None:  # a SageMaker endpoint: the pipeline's call goes over the network
        scores = loaded.pipeline("text-classification")(text, top_k=None, truncation=True)
        return {item["label"]: float(item["score"]) for item in scores}
    return _batcher.submit(loaded, text)


def classify_batch(loaded: loader.Loaded, texts: list[str]) -> list[dict[str, float]]:
    """`classify` for many texts on one loaded model: sorted by length and cut into groups that pad little."""
    import torch

    tokenizer, model = loaded.tokenizer, loaded.model
    encoded = tokenizer(texts, truncation=True, max_length=validate.position_table(model, tokenizer))
    groups = batching.length_groups([len(ids) for ids in encoded["input_ids"]], PASS_OVERHEAD_TOKENS,
                                    PASS_MAX_TOKENS)
    results: list[dict[str, float]] = [{}] * len(texts)
    for group in groups:
        features = tokenizer.pad({name: [values[i] for i in group] for name, values in encoded.items()},
                                 return_tensors="pt").to(model.device)  # each (group, longest in group)
        with torch.inference_mode():
            logits = model(**features).logits.float()  # (group, classes)
        for i, row in zip(group, _probabilities(logits, model.config).tolist()):
            scores = {model.config.id2label[k]: p for k, p in enumerate(row)}
            results[i] = dict(sorted(scores.items(), key=lambda item: -item[1]))
    return results


def _probabilities(logits, config):
    """What the pipeline applies to the logits: none for regression, sigmoid for one or multi-label
    outputs, else softmax."""
    if config.problem_type == "regression":
        return logits
    if config.problem_type == "multi_label_classification" or config.num_labels == 1:
        return logits.sigmoid()
    return logits.softmax(-1)


_batcher = batching.Batcher(classify_batch, MAX_BATCH)


def code(text: str, choice: str | None = None) -> str:
    """Plain transformers code that prints what `classify` returns."""
    resolved = loader.resolve("sentiment", choice)
    return (
        "import json\n\nfrom transformers import pipeline\n\n"
        f"classifier = pipeline(\"text-classification\", model={resolved.location_for_code!r}"
        f"{resolved.pipeline_args})\n"  # revision and dtype as the app loads it
        f"scores = classifier({text!r}, top_k=None, truncation=True)\n"
        "print(json.dumps({s[\"label\"]: s[\"score\"] for s in scores}))\n"
    )
