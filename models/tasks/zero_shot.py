"""Zero-shot classification: NLI entailment where the model has it, else embedding similarity.

The Hub default (bart-large-mnli) scores "This example is {label}." as an entailment of the text,
as the transformers pipeline does. The offline encoder has no NLI head, so it compares mean-pooled
sentence embeddings of the text and of each hypothesis instead (the tab names the method).
"""

from __future__ import annotations

from models import limits, loader, snippets, validate
from models.errors import InputError
from models.loader import Loaded, ProgressCallback

HYPOTHESIS = "This example is {}."


def parse_labels(labels: str) -> list[str]:
    """Comma-separated labels, trimmed and de-duplicated, in the order given."""
    if not isinstance(labels, str):
        raise InputError("Give the candidate labels as text, separated by commas.")
    validate.characters(labels, "the candidate labels")
    parsed = list(dict.fromkeys(label.strip() for label in labels.split(",") if label.strip()))
    if not parsed:
        raise InputError("Enter at least one candidate label, separated by commas (e.g. \"sport, politics\").")
    if len(parsed) > limits.ZERO_SHOT_LABELS:
        raise InputError(f"{len(parsed)} labels given; the limit is {limits.ZERO_SHOT_LABELS}. Remove some.")
    too_long = [label for label in parsed if len(label) > limits.LABEL_CHARS]
    if too_long:
        raise InputError(f"Labels are at most {limits.LABEL_CHARS} characters; shorten {too_long[0][:30]!r}….")
    return parsed


def method(loaded: Loaded) -> str:
    """How this model scores labels: "nli" or "embedding similarity"."""
    if loaded.remote is not None:
        return "nli"
    label2id = getattr(loaded.model.config, "label2id", {}) or {}
    has_entailment = any(label.lower().startswith("entail") for label in label2id)
    return "nli" if has_entailment else "embedding similarity"


def classify(text: str, labels: str, multi_label: bool = False, choice: str | None = None,
             on_progress: ProgressCallback | None = None) -> dict[str, float]:
    """Every candidate label with its score, best first."""
    text = validate.text(text, "the text to classify", limits.TEXT_CHARS)
    candidates = parse_labels(labels)
    loaded = loader.get("zero_shot", choice, on_progress)
    if method(loaded) != "nli":
        from models.snippets import zero_shot as reference

        return reference.classify(loaded.model, loaded.tokenizer, text, candidates, bool(multi_label), HYPOTHESIS)
    result = loaded.pipeline("zero-shot-classification")(
        text, candidate_labels=candidates, multi_label=bool(multi_label), hypothesis_template=HYPOTHESIS)
    return dict(sorted(((k, float(v)) for k, v in zip(result["labels"], result["scores"])), key=lambda kv: -kv[1]))


def code(text: str, labels: str, multi_label: bool = False, choice: str | None = None) -> str:
    """The pipeline call that prints what `classify` returns; offline, models/snippets/zero_shot.py and a call."""
    resolved = loader.resolve("zero_shot", choice)
    candidates = parse_labels(labels)
    if resolved.source != "offline":
        return (
            "import json\n\nfrom transformers import pipeline\n\n"
            f"classifier = pipeline(\"zero-shot-classification\", model={resolved.location_for_code!r}"
            f"{resolved.pipeline_args})\n"
            f"result = classifier({text!r}, candidate_labels={candidates!r},\n"
            f"                    multi_label={bool(multi_label)}, hypothesis_template={HYPOTHESIS!r})\n"
            "print(json.dumps(dict(zip(result[\"labels\"], result[\"scores\"]))))\n"
        )
    return snippets.program(
        ["zero_shot"], resolved.load_code("AutoModel"),
        "scores = " + snippets.call("classify", "model", "tokenizer", text=text, labels=candidates,
                                    multi_label=bool(multi_label), hypothesis=HYPOTHESIS),
        "print(json.dumps(scores))")
