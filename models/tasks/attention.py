"""Attention: every head's maps over a text (what the bertviz views and heatmaps draw), and the word in context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models import snippets, validate
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import internals
from models.tasks.internals import Forward

WORD_CHARS = 100


# ---- attention maps ---------------------------------------------------------------------------

def shown_positions(run: Forward, hide_special: bool) -> list[int]:
    """The token positions a view shows: all, or all but [CLS]/[SEP]-like special tokens."""
    from models.snippets import attention as reference

    keep = reference.shown_positions(run, hide_special)
    if not keep:
        raise InputError("Every token is a special token: untick \"hide special tokens\" or enter some words.")
    return keep


@dataclass(frozen=True)
class Maps:
    """What the attention views draw: the shown tokens, every head's attention over them, and the one
    head (or the layer's mean) picked for the heatmap."""

    tokens: list[str]  # the shown tokens (special ones dropped when hidden)
    positions: list[int]  # where they sit in the whole tokenized text
    attentions: Any  # numpy (layers, heads, shown, shown): row i = how token i spreads its attention
    matrix: Any  # numpy (shown, shown): the picked head, or the mean over the layer's heads
    layer: int
    head: int
    average_heads: bool
    causal: bool  # GPT-2: no token sees a later one
    special_hidden: bool  # special tokens were dropped, so the rows no longer sum to 1


def attention(text: str, layer: int, head: int, average_heads: bool = False, hide_special: bool = False,
              choice: str | None = None, on_progress: ProgressCallback | None = None) -> Maps:
    """Every layer's and head's attention over the text's tokens (special ones dropped if asked), and the
    heatmap's matrix: one head's, or the mean over the layer's heads."""
    from models.snippets import attention as reference

    run = internals.forward(text, choice, on_progress)
    layer, head = validate.layer_and_head(layer, head, run.layers, run.heads)
    keep = shown_positions(run, bool(hide_special))
    return Maps(
        tokens=[run.tokens[i] for i in keep],
        positions=keep,
        attentions=run.attentions[:, :, keep][:, :, :, keep],
        matrix=reference.head_matrix(run, layer, head, bool(average_heads), keep),
        layer=layer,
        head=head,
        average_heads=bool(average_heads),
        causal=run.causal,
        special_hidden=len(keep) < len(run.tokens),
    )


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


def compare_word_code(sentence_a: str, sentence_b: str, word: str, choice: str | None = None) -> str:
    """models/snippets/attention.py and a call on these inputs: prints what `compare_word` returns."""
    return snippets.program(
        ["attention"], internals.load_code(choice),
        "result = " + snippets.call("compare_word", "model", "tokenizer", sentence_a=sentence_a,
                                    sentence_b=sentence_b, word=word.strip()),
        "print(json.dumps(result))")
