"""Sentiment: a sequence classifier's probability for every class."""

from __future__ import annotations

from models import limits, loader, validate
from models.loader import ProgressCallback


def classify(text: str, choice: str | None = None, on_progress: ProgressCallback | None = None) -> dict[str, float]:
    """Every class of the model with its probability (they sum to 1)."""
    text = validate.text(text, "a sentence or review", limits.TEXT_CHARS)
    pipe = loader.get("sentiment", choice, on_progress).pipeline("text-classification")
    scores = pipe(text, top_k=None, truncation=True)  # [{"label", "score"}], softmax over all classes
    return {item["label"]: float(item["score"]) for item in scores}


def code(text: str, choice: str | None = None) -> str:
    """Plain transformers code that prints what `classify` returns."""
    location = loader.resolve("sentiment", choice).location_for_code
    return (
        "import json\n\nfrom transformers import pipeline\n\n"
        f"classifier = pipeline(\"text-classification\", model={location!r})\n"
        f"scores = classifier({text!r}, top_k=None, truncation=True)\n"
        "print(json.dumps({s[\"label\"]: s[\"score\"] for s in scores}))\n"
    )
