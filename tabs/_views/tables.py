"""HTML tables for gr.HTML: a padded batch of sentence pairs, each token over its ids and mask."""

from __future__ import annotations

import html

from models import limits
from models.tasks import finetune
from tabs import _received

ROWS = ("input_ids", "token_type_ids", "attention_mask")  # shown under each token; token_type_ids: BERT only


def _ids(value: object, where: str) -> int:
    return _received.integer(value, where, 0, _received.TOKEN_IDS)


def _shape(name: str, shape: object) -> str:
    """One tensor's name and shape, e.g. "input_ids (4, 17)": (pairs, longest), or (pairs,) for labels."""
    sizes = _received.each(shape, f"shapes.{name}", 2,
                          lambda size, where: _received.integer(size, where, 0, finetune.PAIR_MAX_TOKENS))
    return f"{_received.text(name, 'shapes')} {tuple(sizes)}"


def pair_batch(batch: object) -> str:
    """A /pair_view result as one small table per pair: its tokens, with input id, token type id and
    attention mask under each; the batch's tensor shapes above."""
    batch = _received.record(batch, "the batch", ("tokens", "labels", "shapes", "input_ids", "attention_mask"))
    tokens = _received.grid(batch["tokens"], "tokens", limits.PAIR_ROWS, finetune.PAIR_MAX_TOKENS, _received.text)
    size = [len(tokens), len(tokens[0])]  # (pairs, longest): every row tensor has this shape
    rows = {name: _received.grid(batch[name], name, *size, _ids) for name in ROWS if name in batch}
    if any([len(grid), len(grid[0])] != size for grid in rows.values()):
        raise _received.refused(", ".join(rows), f"a value under every token, {size[0]} rows of {size[1]}")
    labels = _received.each(batch["labels"], "labels", size[0], lambda value, where: _received.integer(
        value, where, -100, 1), least=size[0])  # -100: the user's pair, which has no label
    shapes = _received.record(batch["shapes"], "shapes")
    if len(shapes) > len(ROWS) + 1:  # the row tensors and the labels
        raise _received.refused("shapes", "a shape per tensor")
    described = ", ".join(_shape(name, shape) for name, shape in shapes.items())
    parts = []
    for i, pair in enumerate(tokens):
        header = "".join(f"<th>{html.escape(t)}</th>" for t in pair)
        body = "".join(f"<tr><td><b>{name}</b></td>" + "".join(f"<td>{v}</td>" for v in grid[i]) + "</tr>"
                       for name, grid in rows.items())
        parts.append(f"<p>pair {i + 1}, label {labels[i]}</p><div style='overflow-x:auto'>"
                     f"<table><tr><th></th>{header}</tr>{body}</table></div>")
    return f"<p><b>Batch tensors:</b> {html.escape(described)}</p>" + "".join(parts)
