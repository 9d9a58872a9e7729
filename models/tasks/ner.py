"""Named entities: token classification with word pieces merged into entities, and every token's own tag."""

from __future__ import annotations

from models import limits, loader, snippets, validate
from models.errors import ModelUnavailable
from models.loader import ProgressCallback

# The pipeline's arguments for each view: entities merged from the tags ("simple": a B- tag starts one, I- tags of
# the same type continue it, its score the mean of its tokens'), or every token with its tag, "O" included.
ENTITIES = {"aggregation_strategy": "simple"}
TOKENS = {"aggregation_strategy": "none", "ignore_labels": ()}


def extract(text: str, choice: str | None = None, on_progress: ProgressCallback | None = None) -> list[dict]:
    """Entities as {entity_group, word, score, start, end}; start/end index the text as given."""
    text = validate.text(text, "some text", limits.TEXT_CHARS)
    pipe = loader.get("ner", choice, on_progress).pipeline("token-classification", **ENTITIES)
    return [
        {
            "entity_group": entity["entity_group"],
            "word": entity["word"],
            "score": float(entity["score"]),
            "start": int(entity["start"]),
            "end": int(entity["end"]),
        }
        for entity in pipe(text)
    ]


def token_tags(text: str, choice: str | None = None, on_progress: ProgressCallback | None = None) -> list[dict]:
    """Every token of the text (special tokens aside) with the tag the model gave it, as {token, tag, score, start,
    end}: B-/I- and the entity type, or O; the score is that tag's probability. /ner merges these into entities."""
    text = validate.text(text, "some text", limits.TEXT_CHARS)
    pipe = loader.get("ner", choice, on_progress).pipeline("token-classification", **TOKENS)
    tokens = pipe(text)
    if any("entity" not in token for token in tokens):  # a remote endpoint that merges entities itself
        raise ModelUnavailable("This model's endpoint returns merged entities only, not each token's tag: pick a "
                               "local model for this view.")
    return [{"token": token["word"], "tag": token["entity"], "score": float(token["score"]),
             "start": int(token["start"]), "end": int(token["end"])} for token in tokens]


def _pipeline_line(choice: str | None, arguments: dict) -> str:
    resolved = loader.resolve("ner", choice)
    extra = snippets.arguments({key: list(value) if isinstance(value, tuple) else value
                                for key, value in arguments.items()})
    return (f"ner = pipeline(\"token-classification\", model={resolved.location_for_code!r}{resolved.pipeline_args}"
            f"{extra})\n")


def code(text: str, choice: str | None = None) -> str:
    return (
        "import json\n\nfrom transformers import pipeline\n\n" + _pipeline_line(choice, ENTITIES)
        + f"entities = ner({text!r})\n"
        "print(json.dumps([{**e, \"score\": float(e[\"score\"])} for e in entities]))\n"
    )


def token_tags_code(text: str, choice: str | None = None) -> str:
    """Plain transformers code that prints what /ner_tokens returns (its list of tokens)."""
    return (
        "import json\n\nfrom transformers import pipeline\n\n" + _pipeline_line(choice, TOKENS)
        + f"tokens = ner({text!r})  # every token, O included (ignore_labels=[])\n"
        "print(json.dumps([{\"token\": t[\"word\"], \"tag\": t[\"entity\"], \"score\": float(t[\"score\"]),\n"
        "                   \"start\": t[\"start\"], \"end\": t[\"end\"]} for t in tokens]))\n"
    )
