"""Named entities: token classification with word pieces merged into entities."""

from __future__ import annotations

from models import limits, loader, validate
from models.loader import ProgressCallback


def extract(text: str, choice: str | None = None, on_progress: ProgressCallback | None = None) -> list[dict]:
    """Entities as {entity_group, word, score, start, end}; start/end index the text as given."""
    text = validate.text(text, "some text", limits.TEXT_CHARS)
    pipe = loader.get("ner", choice, on_progress).pipeline("token-classification", aggregation_strategy="simple")
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


def code(text: str, choice: str | None = None) -> str:
    resolved = loader.resolve("ner", choice)
    return (
        "import json\n\nfrom transformers import pipeline\n\n"
        f"ner = pipeline(\"token-classification\", model={resolved.location_for_code!r}{resolved.pipeline_args}, "
        "aggregation_strategy=\"simple\")\n"
        f"entities = ner({text!r})\n"
        "print(json.dumps([{**e, \"score\": float(e[\"score\"])} for e in entities]))\n"
    )
