"""Zero-shot classification: NLI entailment where the model has it, else embedding similarity.

The Hub default (bart-large-mnli) scores "This example is {label}." as an entailment of the text,
as the transformers pipeline does. The offline encoder has no NLI head, so it compares mean-pooled
sentence embeddings of the text and of each hypothesis instead (the tab names the method).
"""

from __future__ import annotations

from models import limits, loader, validate
from models.errors import InputError
from models.loader import Loaded, ProgressCallback

HYPOTHESIS = "This example is {}."
SIMILARITY_SCALE = 20.0  # softmax temperature 0.05 over cosine similarities (single-label)


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
    if method(loaded) == "nli":
        result = loaded.pipeline("zero-shot-classification")(
            text, candidate_labels=candidates, multi_label=bool(multi_label), hypothesis_template=HYPOTHESIS)
        scores = dict(zip(result["labels"], result["scores"]))
    else:
        scores = _by_similarity(loaded, text, candidates, bool(multi_label))
    return dict(sorted(((k, float(v)) for k, v in scores.items()), key=lambda kv: -kv[1]))


def _by_similarity(loaded: Loaded, text: str, candidates: list[str], multi_label: bool) -> dict[str, float]:
    sentences = [text] + [HYPOTHESIS.format(label) for label in candidates]
    embeddings = embed(loaded, sentences)  # (1 + labels, hidden)
    cosine = embeddings[1:] @ embeddings[0]  # (labels,)
    # Multi-label: each label on its own, as its cosine similarity clipped at 0.
    # Single-label: a softmax across labels, so the scores compete and sum to 1.
    import torch

    scores = cosine.clamp(min=0) if multi_label else torch.softmax(cosine * SIMILARITY_SCALE, dim=0)
    return dict(zip(candidates, scores.tolist()))


def embed(loaded: Loaded, sentences: list[str]):
    """Mean-pooled, L2-normalised sentence embeddings (a torch tensor), as sentence-transformers does."""
    import torch

    batch = loaded.tokenizer(sentences, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.inference_mode():
        hidden = loaded.model(**batch).last_hidden_state  # (sentences, seq, hidden)
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (sentences, seq, 1)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # (sentences, hidden)
    return torch.nn.functional.normalize(pooled, dim=-1)


def code(text: str, labels: str, multi_label: bool = False, choice: str | None = None) -> str:
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
    scoring = ("cosine.clamp(min=0)" if multi_label
               else f"torch.softmax(cosine * {SIMILARITY_SCALE}, dim=0)")
    return (
        "import json\n\nimport torch\nfrom transformers import AutoModel, AutoTokenizer\n\n"
        f"path = {resolved.location_for_code!r}\n"
        f"tokenizer = AutoTokenizer.from_pretrained(path{resolved.tokenizer_args})\n"
        f"model = AutoModel.from_pretrained(path{resolved.from_pretrained_args}).eval()\n"
        f"labels = {candidates!r}\n"
        f"sentences = [{text!r}] + [{HYPOTHESIS!r}.format(label) for label in labels]\n"
        "batch = tokenizer(sentences, padding=True, truncation=True, max_length=256, return_tensors=\"pt\")\n"
        "with torch.inference_mode():\n"
        "    hidden = model(**batch).last_hidden_state\n"
        "mask = batch[\"attention_mask\"].unsqueeze(-1).float()\n"
        "emb = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)\n"
        "cosine = emb[1:] @ emb[0]\n"
        f"scores = {scoring}\n"
        "print(json.dumps(dict(sorted(zip(labels, scores.tolist()), key=lambda kv: -kv[1]))))\n"
    )
