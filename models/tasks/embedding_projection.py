"""Embedding projection: sentences' mean-pooled vectors at one layer of the encoder, in 2-D by PCA."""

from __future__ import annotations

from models import limits, snippets, validate
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import why_common


def parse_sentences(sentences: object) -> list[str]:
    """One sentence per line, stripped; empty lines dropped."""
    sentences = validate.text(sentences, "the sentences (one per line)", limits.PROJECTION_CHARS)
    lines = [line.strip() for line in sentences.splitlines() if line.strip()]
    if not limits.PROJECTION_MIN_SENTENCES <= len(lines) <= limits.PROJECTION_SENTENCES:
        raise InputError(f"Enter {limits.PROJECTION_MIN_SENTENCES} to {limits.PROJECTION_SENTENCES} sentences, "
                         f"one per line; got {len(lines)}.")
    return lines


def project(sentences: str, layer: int = -1, choice: str | None = None,
            on_progress: ProgressCallback | None = None) -> dict:
    """{sentences, layer, points, explained_variance}; layer 0 is the embeddings, -1 the last layer."""
    from models.snippets import embedding_projection

    lines = parse_sentences(sentences)
    loaded = why_common.local_model("encoder", choice, on_progress)
    layers = loaded.model.config.num_hidden_layers
    layer = validate.integer(layer, f"layer (this model has 0 = the embeddings to {layers} = the last; -1 = the "
                                    "last)", -1, layers)
    for number, line in enumerate(lines, 1):
        why_common.within_tokens(loaded.tokenizer, line, limits.PROJECTION_TOKENS, f"sentence {number}")
    return embedding_projection.project(loaded.model, loaded.tokenizer, lines, layer)


def code(sentences: str, layer: int = -1, choice: str | None = None) -> str:
    """The reference module and the call that prints what /embedding_projection returned (its dict)."""
    call = f"project(model, tokenizer, {parse_sentences(sentences)!r}, layer={int(layer)})"
    return snippets.program(["embedding_projection"], why_common.load_code(why_common.resolve("encoder", choice)),
                            f"print(json.dumps({call}))")
