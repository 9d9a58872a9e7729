"""Fill-mask: the masked language model's top candidates for one mask token."""

from __future__ import annotations

from models import limits, loader, validate
from models.errors import InputError
from models.loader import ProgressCallback


def fill(text: str, top_k: int = 5, choice: str | None = None,
         on_progress: ProgressCallback | None = None) -> list[dict]:
    """Candidates as {token_str, score, sequence}, best first."""
    text = validate.text(text, "a sentence with a mask token", limits.TEXT_CHARS)
    top_k = validate.integer(top_k, "top k", 1, limits.FILL_MASK_TOP_K)
    loaded = loader.get("fill_mask", choice, on_progress)
    mask = loaded.tokenizer.mask_token if loaded.tokenizer is not None else "[MASK]"
    count = text.count(mask)
    if count != 1:
        found = "no" if count == 0 else str(count)
        raise InputError(f"Put exactly one {mask} in the text (this model's mask token); found {found}. "
                         f"Example: \"Paris is the {mask} of France.\"")
    if loaded.tokenizer is not None:  # a local model: the text must fit its position table
        validate.fits_positions(loaded.model, len(loaded.tokenizer(text)["input_ids"]), 0, "The text",
                                loaded.tokenizer)
    candidates = loaded.pipeline("fill-mask")(text, top_k=top_k)
    return [
        {"token_str": c["token_str"], "score": float(c["score"]), "sequence": c["sequence"]}
        for c in candidates
    ]


def mask_token(choice: str | None = None) -> str:
    """The mask token the chosen model expects (loads the model)."""
    return loader.get("fill_mask", choice).tokenizer.mask_token


def code(text: str, top_k: int = 5, choice: str | None = None) -> str:
    resolved = loader.resolve("fill_mask", choice)
    return (
        "import json\n\nfrom transformers import pipeline\n\n"
        f"unmasker = pipeline(\"fill-mask\", model={resolved.location_for_code!r}{resolved.pipeline_args})\n"
        f"candidates = unmasker({text!r}, top_k={int(top_k)})\n"
        "print(json.dumps([{k: c[k] for k in (\"token_str\", \"score\", \"sequence\")} for c in candidates]))\n"
    )
