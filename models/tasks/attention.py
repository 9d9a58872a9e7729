"""Attention: bertviz head and model views that render offline, heatmaps per head, and the word in context."""

from __future__ import annotations

from typing import Any

from models import snippets, validate
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import bertviz_offline, internals, plots
from models.tasks.internals import Forward

DECIMALS = 3  # attention sent to the browser: 3 decimals keep a 64-token view small
WORD_CHARS = 100


# ---- attention maps ---------------------------------------------------------------------------

def shown_positions(run: Forward, hide_special: bool) -> list[int]:
    """The token positions a view shows: all, or all but [CLS]/[SEP]-like special tokens."""
    from models.snippets import attention as reference

    keep = reference.shown_positions(run, hide_special)
    if not keep:
        raise InputError("Every token is a special token: untick \"hide special tokens\" or enter some words.")
    return keep


def _title(run: Forward, layer: int, head: int, average_heads: bool, hidden: bool) -> str:
    which = f"mean over the {run.heads} heads" if average_heads else f"head {head}"
    notes = [" (causal: no token sees a later one)" if run.causal else "",
             "\nspecial tokens hidden: rows no longer sum to 1" if hidden else ""]
    return f"Layer {layer}, {which}{''.join(notes)}"


def _frame_height(tokens: int, layers: int, heads: int) -> int:
    # The heights bertviz's own scripts compute (head_view.js, model_view.js), plus headings and menus.
    head_view = 22.5 * tokens + 30 + 80
    model_view = max(layers * (tokens * 7 * 12 / heads + 10) + 38, 18 * tokens + 55) + 80
    return int(head_view + model_view + 40)


def bertviz_views(run: Forward, keep: list[int], layer: int, head: int) -> str:
    """bertviz's head view (opened at this layer and head) and model view, as an iframe that renders offline."""
    import numpy as np
    import torch
    from bertviz import head_view, model_view

    maps = np.round(run.attentions[:, :, keep][:, :, :, keep], DECIMALS)  # (layers, heads, shown, shown)
    attention = [torch.from_numpy(layer_maps)[None] for layer_maps in maps]  # layers x (1, heads, S, S)
    tokens = [run.tokens[i] for i in keep]
    head_html = head_view(attention, tokens, layer=layer, heads=[head], html_action="return").data
    model_html = model_view(attention, tokens, display_mode="light", html_action="return").data
    document = bertviz_offline.page([
        ("Head view: lines from each token to the tokens it attends to (pick layer and heads)", head_html),
        ("Model view: every head of every layer (click one to enlarge)", model_html),
    ], attention=maps.tolist())
    return bertviz_offline.iframe(document, _frame_height(len(tokens), run.layers, run.heads))


def attention(text: str, layer: int, head: int, average_heads: bool = False, hide_special: bool = False,
              choice: str | None = None, on_progress: ProgressCallback | None = None) -> tuple[str, Any]:
    """bertviz views (HTML for gr.HTML) and a heatmap figure of one head's (or the mean) attention."""
    from models.snippets import attention as reference

    run = internals.forward(text, choice, on_progress)
    layer, head = internals.layer_and_head(run, layer, head)
    keep = shown_positions(run, bool(hide_special))
    tokens = [run.tokens[i] for i in keep]
    matrix = reference.head_matrix(run, layer, head, bool(average_heads), keep)
    title = _title(run, layer, head, bool(average_heads), len(keep) < len(run.tokens))
    return bertviz_views(run, keep, layer, head), plots.token_heatmap(matrix, tokens, tokens, title)


def attention_code(text: str, layer: int, head: int, average_heads: bool = False, hide_special: bool = False,
                   choice: str | None = None) -> str:
    """models/snippets/attention.py and a call on these inputs: prints the heatmap's tokens and matrix."""
    return snippets.program(
        ["attention"], internals.load_code(choice), f"seen = look(model, tokenizer, {text!r})",
        "print(json.dumps(" + snippets.call("heatmap", "seen", layer=int(layer), head=int(head),
                                            average_heads=bool(average_heads), hide_special=bool(hide_special)) + "))")


# ---- the word in context ----------------------------------------------------------------------

def word_positions(run: Forward, text: str, word: str, label: str) -> list[int]:
    """The positions of the tokens that make up the first whole-word occurrence of `word` in `text`."""
    from models.snippets import attention as reference

    positions = reference.word_positions(run, text, word)
    if positions is None:
        raise InputError(f"The word {word!r} is not in sentence {label} ({text!r}). "
                         "Enter a word that appears in both sentences.")
    if not positions:
        raise InputError(f"The word {word!r} was found in sentence {label} but no token covers it; try another word.")
    return positions


def compare_word(sentence_a: str, sentence_b: str, word: str, choice: str | None = None,
                 on_progress: ProgressCallback | None = None) -> dict:
    """Cosine similarity of the word's two contextual vectors at every layer (0 = the embeddings), and
    what the word attends to in each sentence (last layer, mean over heads)."""
    from models.snippets import attention as reference

    word = validate.text(word, "the word", WORD_CHARS).strip()
    sides = {}
    for label, text in (("a", sentence_a), ("b", sentence_b)):
        run = internals.forward(text, choice, on_progress, what=f"sentence {label.upper()}")
        sides[label] = (run, text, word_positions(run, text, word, label.upper()))
    return reference.word_in_context(word, sides)


def compare_word_figure(result: dict) -> Any:
    """The plot of a compare_word result: similarity by layer over both sentences' attention."""
    return plots.word_in_context(result)


def compare_word_code(sentence_a: str, sentence_b: str, word: str, choice: str | None = None) -> str:
    """models/snippets/attention.py and a call on these inputs: prints what `compare_word` returns."""
    return snippets.program(
        ["attention"], internals.load_code(choice),
        "result = " + snippets.call("compare_word", "model", "tokenizer", sentence_a=sentence_a,
                                    sentence_b=sentence_b, word=word.strip()),
        "print(json.dumps(result))")
