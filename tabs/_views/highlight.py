"""gr.HighlightedText values: tokens over their text, entities, the answer in its context, generated tokens."""

from __future__ import annotations

from models import limits
from tabs._views import received

SPECIAL = "special token"  # the label special tokens get over the text
TOKEN_LABELS = ("token", "next token")  # alternate, so that neighbouring tokens get different colours
# A token per UTF-8 byte at most (byte-level BPE), plus the special tokens around the text.
TOKENS_MAX = 4 * limits.TOKENIZE_CHARS + 8


def _offset(value: object, where: str, length: int) -> tuple[int, int]:
    start, end = received.each(value, where, 2, lambda v, place: received.integer(v, place, 0, length), least=2)
    if start > end:
        raise received.refused(where, "[start, end] with start <= end")
    return start, end


def tokens(text: str, result: dict) -> list[tuple[str, str | None]]:
    """(piece, label) pairs: every token over its own characters of the text (labels alternate so neighbours
    differ), the characters no token covers as plain text, and special tokens inserted where they sit,
    labelled as such. `result` is what /tokenize returns for `text` (or one tokenizer of /compare_tokenizers).

    Tokens sharing characters (GPT-2 splits an emoji's bytes over several tokens) become one piece.
    """
    text = received.text(text, "the text", limits.TOKENIZE_CHARS)
    result = received.record(result, "the result", ("tokens", "special_tokens_mask", "offsets"))
    names = received.each(result["tokens"], "tokens", TOKENS_MAX, received.text)
    specials = received.each(result["special_tokens_mask"], "special_tokens_mask", len(names),
                             lambda v, place: received.integer(v, place, 0, 1), least=len(names))
    offsets = received.each(result["offsets"], "offsets", len(names), lambda v, place: _offset(v, place, len(text)),
                            least=len(names))
    pieces: list[list] = []
    cursor = 0
    for token, special, (start, end) in zip(names, specials, offsets):
        if special or start == end:  # no characters of its own: show the token itself
            pieces.append([token, SPECIAL if special else TOKEN_LABELS[len(pieces) % 2]])
            continue
        if start < cursor and pieces and pieces[-1][1] != SPECIAL:  # overlaps the previous token
            pieces[-1][0] += text[cursor:end]
            cursor = max(cursor, end)
            continue
        if start > cursor:
            pieces.append([text[cursor:start], None])
        pieces.append([text[max(start, cursor):end], TOKEN_LABELS[len(pieces) % 2]])
        cursor = max(cursor, end)
    if cursor < len(text):
        pieces.append([text[cursor:], None])
    return [(piece, label) for piece, label in pieces]


def entities(text: str, found: list[dict]) -> dict:
    """The original text with each entity's span labelled by its group (what /ner found)."""
    return {
        "text": text,
        "entities": [{"entity": e["entity_group"], "start": e["start"], "end": e["end"]} for e in found],
    }


def answer(context: str, answers: list[dict]) -> dict:
    """The context with the best answer marked (nothing for no answer)."""
    best = answers[0] if answers else None
    marked = [] if best is None or best["end"] <= best["start"] else [
        {"entity": "answer", "start": best["start"], "end": best["end"]}]
    return {"text": context, "entities": marked}


def generated(prompt: str, view: dict) -> list[tuple[str, str | None]]:
    """The prompt, then each generated token labelled by its probability band; while the generation still
    runs (no steps yet), the text so far, uncoloured."""
    if not view["steps"]:
        return [(prompt, None), (view["text"][len(prompt):], None)]
    return [(prompt, None)] + [(step["token"], step["band"]) for step in view["steps"]]
