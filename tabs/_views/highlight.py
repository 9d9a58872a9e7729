"""gr.HighlightedText values: tokens over their text, entities and each token's tag, the answer in its context,
generated tokens, tokens by attribution score (with the words under them), and what a generated token attended to."""

from __future__ import annotations

from models import limits
from tabs import _received

SPECIAL = "special token"  # the label special tokens get over the text
TOKEN_LABELS = ("token", "next token")  # alternate, so that neighbouring tokens get different colours
# A token per UTF-8 byte at most (byte-level BPE), plus the special tokens around the text.
TOKENS_MAX = 4 * limits.TOKENIZE_CHARS + 8


def _offset(value: object, where: str, length: int) -> tuple[int, int]:
    start, end = _received.each(value, where, 2, lambda v, place: _received.integer(v, place, 0, length), least=2)
    if start > end:
        raise _received.refused(where, "[start, end] with start <= end")
    return start, end


def tokens(text: str, result: dict) -> list[tuple[str, str | None]]:
    """(piece, label) pairs: every token over its own characters of the text (labels alternate so neighbours
    differ), the characters no token covers as plain text, and special tokens inserted where they sit,
    labelled as such. `result` is what /tokenize returns for `text` (or one tokenizer of /compare_tokenizers).

    Tokens sharing characters (GPT-2 splits an emoji's bytes over several tokens) become one piece.
    """
    text = _received.text(text, "the text", limits.TOKENIZE_CHARS)
    result = _received.record(result, "the result", ("tokens", "special_tokens_mask", "offsets"))
    names = _received.each(result["tokens"], "tokens", TOKENS_MAX, _received.text)
    specials = _received.each(result["special_tokens_mask"], "special_tokens_mask", len(names),
                             lambda v, place: _received.integer(v, place, 0, 1), least=len(names))
    offsets = _received.each(result["offsets"], "offsets", len(names), lambda v, place: _offset(v, place, len(text)),
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


def token_tags(text: str, tags: list[dict]) -> list[tuple[str, str | None]]:
    """The text with every token labelled by its own tag (what /ner_tokens found), O included; the characters
    between tokens unlabelled."""
    pieces: list[tuple[str, str | None]] = []
    cursor = 0
    for token in tags:
        start, end = max(token["start"], cursor), token["end"]
        if end <= start:  # no characters of its own
            continue
        if start > cursor:
            pieces.append((text[cursor:start], None))
        pieces.append((text[start:end], token["tag"]))
        cursor = end
    if cursor < len(text):
        pieces.append((text[cursor:], None))
    return pieces


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


# ---- the Why? tab (issue 17): which words mattered ----------------------------------------------------------

# An attribution's tokens: the text's (at most WHY_TOKENS), plus a zero-shot hypothesis and special tokens.
ATTRIBUTED_MAX = limits.WHY_TOKENS + 32
ABOUT_CHARS = 500  # what the score measures, and the baseline, in words


def attributed(text: str, result: dict) -> list[tuple[str, float | None]]:
    """The text as (piece, score) pairs for gr.HighlightedText: each token's score over the largest |score|
    (-1..1), the characters between tokens unscored. Tokens that share characters (an emoji in several byte
    tokens) are one piece, their scores added. `result` is what /attribution returns for `text`."""
    merged: list[list] = []  # [start, end, score]
    for span, score in zip(result["offsets"], result["scores"]):
        if span is None:  # special tokens and a zero-shot hypothesis are not part of the text
            continue
        if merged and span[0] < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], span[1])
            merged[-1][2] += score
        else:
            merged.append([span[0], span[1], score])
    peak = max((abs(score) for *_, score in merged), default=0.0) or 1.0
    pieces: list[tuple[str, float | None]] = []
    end = 0
    for start, stop, score in merged:
        if start > end:
            pieces.append((text[end:start], None))
        pieces.append((text[start:stop], round(score / peak, 4)))
        end = stop
    if end < len(text):
        pieces.append((text[end:], None))
    return pieces


def attribution_summary(result: object) -> str:
    """Markdown under the coloured text: what the scores explain, the tokens that mattered most, and for
    integrated gradients how well the scores add up. `result` is /attribution's, as the browser sends it back."""
    from models.tasks.attribution import METHODS

    result = _received.record(result, "the result", ("tokens", "scores", "offsets", "target", "prediction",
                                                    "measure", "method", "steps", "target_score", "baseline_score",
                                                    "baseline"))
    tokens = _received.each(result["tokens"], "tokens", ATTRIBUTED_MAX, _received.text, least=1)
    scores = _received.each(result["scores"], "scores", len(tokens), _received.number, least=len(tokens))
    inside = _received.each(result["offsets"], "offsets", len(tokens), lambda v, where: v is not None,
                           least=len(tokens))
    words = {key: _received.text(result[key], key, ABOUT_CHARS)
             for key in ("target", "prediction", "measure", "method", "baseline")}
    if words["method"] not in METHODS:
        raise _received.refused("method", " or ".join(METHODS))
    at_input = _received.number(result["target_score"], "target_score")
    at_baseline = _received.number(result["baseline_score"], "baseline_score")
    ranked = sorted((score, token) for score, token, own in zip(scores, tokens, inside) if own)[::-1]
    lines = [f"**Explaining:** {words['measure']}: {at_input:.4f} for the text, {at_baseline:.4f} for the "
             f"baseline ({words['baseline']}). The model predicts **{words['prediction']}**.",
             "**Tokens, most supporting first:** " + ", ".join(f"{token!r} ({score:+.3f})" for score, token in ranked)]
    if words["method"] == "integrated_gradients":
        steps = _received.integer(result["steps"], "steps", 1, limits.ATTRIBUTION_STEPS)
        total, change = sum(scores), at_input - at_baseline
        lines.append(f"**Completeness:** the scores add up to {total:.4f}; the score changed by {change:.4f} "
                     f"(gap {total - change:+.4f} with {steps} steps: more steps make it smaller).")
    return "\n\n".join(lines)


# ---- the Text generation tab: what each new token was written from -----------------------------------------

def _attention_row(value: object, where: str) -> list[float]:
    return _received.each(value, where, limits.GENERATED_ATTENTION_TOKENS, _received.number, least=1)


def attended_step(result: object, step: object) -> tuple[list[tuple[str, float | None]], str]:
    """One step of a /generate_attention result (`step` counts from 1): the tokens the position that wrote it could
    see, each scored by its share of that position's attention over the largest share, then the token it wrote;
    and a sentence naming the tokens it looked at most. `result` is sent back by the browser: checked first."""
    if not result:
        return [], "Press **Show attention** first."
    result = _received.record(result, "the result", ("tokens", "prompt_tokens", "attention", "layer", "head"))
    tokens = _received.each(result["tokens"], "tokens", limits.GENERATED_ATTENTION_TOKENS, _received.text, least=2)
    prompt = _received.integer(result["prompt_tokens"], "prompt_tokens", 1, len(tokens) - 1)
    rows = _received.each(result["attention"], "attention", len(tokens) - prompt, _attention_row,
                         least=len(tokens) - prompt)
    index = min(max(int(_received.number(step, "step")), 1), len(rows)) - 1
    if len(rows[index]) != len(tokens):
        raise _received.refused(f"attention[{index}]", f"{len(tokens)} numbers, one per token")
    seen = tokens[: prompt + index]  # what the position that wrote new token `index` sees: itself the last
    weights = rows[index][: len(seen)]
    peak = max(weights) or 1.0
    written = tokens[prompt + index]
    top = sorted(zip(weights, range(len(seen))), reverse=True)[:3]
    caption = (f"Step {index + 1} of {len(rows)} wrote {written!r}, from the position of {seen[-1]!r}. It looked most "
               "at " + ", ".join(f"{seen[at]!r} ({weight:.2f})" for weight, at in top) + ".")
    pieces = [(token, round(weight / peak, 4)) for token, weight in zip(seen, weights)]
    return [*pieces, (f" → {written}", None)], caption
