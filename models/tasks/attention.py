"""Attention: every head's maps over a text (what the bertviz views and heatmaps draw), and the word in context."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from models import validate
from models.errors import InputError
from models.loader import ProgressCallback
from models.tasks import internals
from models.tasks.internals import Forward

TOP_ATTENDED = 8  # the word in context: how many attended tokens the plot shows
WORD_CHARS = 100


# ---- attention maps ---------------------------------------------------------------------------

def shown_positions(run: Forward, hide_special: bool) -> list[int]:
    """The token positions a view shows: all, or all but [CLS]/[SEP]-like special tokens."""
    keep = [i for i, special in enumerate(run.special) if not (hide_special and special)]
    if not keep:
        raise InputError("Every token is a special token: untick \"hide special tokens\" or enter some words.")
    return keep


def head_matrix(run: Forward, layer: int, head: int, average_heads: bool, keep: list[int]) -> Any:
    """(shown, shown) attention of one head, or the mean over the layer's heads."""
    maps = run.attentions[layer]  # (heads, seq, seq)
    matrix = maps.mean(axis=0) if average_heads else maps[head]
    return matrix[keep][:, keep]


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
    run = internals.forward(text, choice, on_progress)
    layer, head = internals.layer_and_head(run, layer, head)
    keep = shown_positions(run, bool(hide_special))
    return Maps(
        tokens=[run.tokens[i] for i in keep],
        positions=keep,
        attentions=run.attentions[:, :, keep][:, :, :, keep],
        matrix=head_matrix(run, layer, head, bool(average_heads), keep),
        layer=layer,
        head=head,
        average_heads=bool(average_heads),
        causal=run.causal,
        special_hidden=len(keep) < len(run.tokens),
    )


def attention_code(text: str, layer: int, head: int, average_heads: bool = False, hide_special: bool = False,
                   choice: str | None = None) -> str:
    """Plain transformers code that prints the heatmap's tokens and matrix."""
    pick = "maps.mean(dim=0)" if average_heads else f"maps[{int(head)}]"
    return (
        "import json\nimport torch\n" + internals.code_header(choice) +
        f"\ninputs = tokenizer({text!r}, return_tensors=\"pt\", return_special_tokens_mask=True)\n"
        "special = inputs.pop(\"special_tokens_mask\")[0].bool()\n"
        "with torch.inference_mode():\n"
        "    attentions = model(**inputs, output_attentions=True).attentions  # layers x (1, heads, seq, seq)\n"
        f"maps = attentions[{int(layer)}][0]  # (heads, seq, seq)\n"
        f"matrix = {pick}  # (seq, seq): row i = how token i spreads its attention\n"
        f"keep = {'~special' if hide_special else 'torch.ones_like(special)'}\n"
        "tokens = tokenizer.convert_ids_to_tokens(inputs[\"input_ids\"][0][keep])\n"
        "matrix = matrix[keep][:, keep]\n"
        "print(json.dumps({\"tokens\": tokens, \"attention\": matrix.double().round(decimals=4).tolist()}))\n"
    )


# ---- the word in context ----------------------------------------------------------------------

def word_positions(run: Forward, text: str, word: str, label: str) -> list[int]:
    """The positions of the tokens that make up the first whole-word occurrence of `word` in `text`."""
    match = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, flags=re.IGNORECASE)
    if match is None:
        raise InputError(f"The word {word!r} is not in sentence {label} ({text!r}). "
                         "Enter a word that appears in both sentences.")
    positions = [i for i, (start, end) in enumerate(run.offsets)
                 if not run.special[i] and start < match.end() and end > match.start()]
    if not positions:
        raise InputError(f"The word {word!r} was found in sentence {label} but no token covers it; try another word.")
    return positions


def _cosine(a: Any, b: Any) -> float:
    import numpy as np

    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))


def _side(run: Forward, text: str, positions: list[int]) -> dict:
    # Last layer, mean over heads, averaged over the word's own tokens: (seq,) weights summing to 1.
    weights = run.attentions[-1].mean(axis=0)[positions].mean(axis=0)
    order = sorted(range(len(run.tokens)), key=lambda i: -weights[i])
    return {
        "text": text,
        "word_tokens": [run.tokens[i] for i in positions],
        "positions": positions,
        "attends_to": [{"token": run.tokens[i], "position": i, "weight": round(float(weights[i]), 4)}
                       for i in order[:TOP_ATTENDED]],
    }


def compare_word(sentence_a: str, sentence_b: str, word: str, choice: str | None = None,
                 on_progress: ProgressCallback | None = None) -> dict:
    """Cosine similarity of the word's two contextual vectors at every layer (0 = the embeddings), and
    what the word attends to in each sentence (last layer, mean over heads)."""
    word = validate.text(word, "the word", WORD_CHARS).strip()
    runs, sides = {}, {}
    for label, text in (("a", sentence_a), ("b", sentence_b)):
        runs[label] = internals.forward(text, choice, on_progress, what=f"sentence {label.upper()}")
        sides[label] = word_positions(runs[label], text, word, label.upper())
    # A word of several tokens is the mean of its token vectors: (layers + 1, hidden) per sentence.
    vectors = {label: runs[label].hidden[:, sides[label]].mean(axis=1) for label in runs}
    cosine = [round(_cosine(a, b), 4) for a, b in zip(vectors["a"], vectors["b"])]
    return {
        "word": word,
        "layers": list(range(len(cosine))),
        "cosine_similarity": cosine,
        "sentences": {label: _side(runs[label], text, sides[label])
                      for label, text in (("a", sentence_a), ("b", sentence_b))},
    }


def compare_word_code(sentence_a: str, sentence_b: str, word: str, choice: str | None = None) -> str:
    """Plain transformers code that prints what `compare_word` returns."""
    return (
        "import json\nimport re\nimport torch\n" + internals.code_header(choice) + f"""
word = {word.strip()!r}


def look(text):
    inputs = tokenizer(text, return_tensors="pt", return_offsets_mapping=True, return_special_tokens_mask=True)
    offsets = inputs.pop("offset_mapping")[0].tolist()
    special = inputs.pop("special_tokens_mask")[0].tolist()
    with torch.inference_mode():
        out = model(**inputs, output_attentions=True, output_hidden_states=True)
    match = re.search(rf"(?<!\\w){{re.escape(word)}}(?!\\w)", text, flags=re.IGNORECASE)
    positions = [i for i, (s, e) in enumerate(offsets) if not special[i] and s < match.end() and e > match.start()]
    hidden = torch.cat(out.hidden_states).double()  # (layers + 1, seq, hidden)
    weights = out.attentions[-1][0].double().mean(dim=0)[positions].mean(dim=0)  # (seq,)
    tokens = tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])
    order = sorted(range(len(tokens)), key=lambda i: -weights[i])
    side = {{"text": text, "word_tokens": [tokens[i] for i in positions], "positions": positions,
            "attends_to": [{{"token": tokens[i], "position": i, "weight": round(float(weights[i]), 4)}}
                           for i in order[:{TOP_ATTENDED}]]}}
    return hidden[:, positions].mean(dim=1), side


vec_a, side_a = look({sentence_a!r})
vec_b, side_b = look({sentence_b!r})
cosine = [round(float(torch.nn.functional.cosine_similarity(a, b, dim=0)), 4) for a, b in zip(vec_a, vec_b)]
print(json.dumps({{"word": word, "layers": list(range(len(cosine))), "cosine_similarity": cosine,
                  "sentences": {{"a": side_a, "b": side_b}}}}))
"""
    )
