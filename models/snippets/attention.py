"""What attention looks like inside a transformer: one forward pass that keeps every attention map and
hidden state, one head's map (or the mean of a layer's heads), and the same word in two sentences.

The word in context: the word's vector (the mean of its tokens' vectors) in each sentence, compared by
cosine similarity at every layer (0: the embeddings, before any attention mixed in the context), and what
the word attends to in each sentence (last layer, mean over heads).

The Attention tab runs this file, and its Show code prints it: it runs on its own.
"""

import re
from dataclasses import dataclass

import numpy as np
import torch

TOP_ATTENDED = 8  # the word in context: how many attended tokens are listed


@dataclass(frozen=True)
class Seen:
    """One text through the model: its tokens and every layer's attentions and hidden states."""

    tokens: list[str]
    special: list[bool]  # [CLS], [SEP], <|endoftext|>: added by the tokenizer, not in the text
    offsets: list[tuple[int, int]]  # characters of the text each token covers
    attentions: np.ndarray  # (layers, heads, seq, seq): row i = how token i spreads its attention
    hidden: np.ndarray  # (layers + 1, seq, hidden): [0] the embeddings, [l] the output of layer l


def look(model, tokenizer, text: str) -> Seen:
    """Run `text` through the model (loaded with attn_implementation="eager"), keeping everything."""
    encoding = tokenizer(text, return_tensors="pt", return_offsets_mapping=True,
                         return_special_tokens_mask=True)  # each (1, seq)
    offsets = [tuple(pair) for pair in encoding.pop("offset_mapping")[0].tolist()]
    special = [bool(s) for s in encoding.pop("special_tokens_mask")[0].tolist()]
    with torch.inference_mode():  # the inputs go where the model is (a GPU, or the CPU)
        output = model(**encoding.to(model.device), output_attentions=True, output_hidden_states=True)
    if not output.attentions:
        raise ValueError("The model returned no attention weights (it was not loaded with eager attention).")
    return Seen(
        tokens=tokenizer.convert_ids_to_tokens(encoding["input_ids"][0].tolist()),
        special=special,
        offsets=offsets,
        attentions=torch.cat(output.attentions).double().cpu().numpy(),  # L x (1, H, S, S) -> (L, H, S, S)
        hidden=torch.cat(output.hidden_states).double().cpu().numpy(),  # (L+1) x (1, S, D) -> (L+1, S, D)
    )


# ---- one head's map ----------------------------------------------------------------------------

def shown_positions(seen: Seen, hide_special: bool) -> list[int]:
    """The token positions a map shows: all, or all but the special tokens."""
    return [i for i, special in enumerate(seen.special) if not (hide_special and special)]


def head_matrix(seen: Seen, layer: int, head: int, average_heads: bool, keep: list[int]) -> np.ndarray:
    """(shown, shown) attention of one head, or the mean over the layer's heads."""
    maps = seen.attentions[layer]  # (heads, seq, seq)
    matrix = maps.mean(axis=0) if average_heads else maps[head]
    return matrix[keep][:, keep]


def heatmap(seen: Seen, layer: int, head: int, average_heads: bool = False, hide_special: bool = False) -> dict:
    """The tokens and the matrix of the map (4 decimals)."""
    keep = shown_positions(seen, hide_special)
    return {"tokens": [seen.tokens[i] for i in keep],
            "attention": np.round(head_matrix(seen, layer, head, average_heads, keep), 4).tolist()}


# ---- the word in context -----------------------------------------------------------------------

def word_positions(seen: Seen, text: str, word: str) -> list[int] | None:
    """The tokens of the first whole-word occurrence of `word` in `text` (None: the word is not in the text)."""
    match = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, flags=re.IGNORECASE)
    if match is None:
        return None
    return [i for i, (start, end) in enumerate(seen.offsets)
            if not seen.special[i] and start < match.end() and end > match.start()]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))


def word_side(seen: Seen, text: str, positions: list[int]) -> dict:
    """What the word attends to in one sentence: last layer, mean over heads, over the word's own tokens."""
    weights = seen.attentions[-1].mean(axis=0)[positions].mean(axis=0)  # (seq,): sums to 1
    order = sorted(range(len(seen.tokens)), key=lambda i: -weights[i])
    return {
        "text": text,
        "word_tokens": [seen.tokens[i] for i in positions],
        "positions": positions,
        "attends_to": [{"token": seen.tokens[i], "position": i, "weight": round(float(weights[i]), 4)}
                       for i in order[:TOP_ATTENDED]],
    }


def word_in_context(word: str, sides: dict[str, tuple[Seen, str, list[int]]]) -> dict:
    """Cosine similarity of the word's vectors at every layer, and both sides; `sides`: label -> (seen, text,
    the word's positions)."""
    # A word of several tokens is the mean of its token vectors: (layers + 1, hidden) per sentence.
    a, b = (seen.hidden[:, positions].mean(axis=1) for seen, _, positions in sides.values())
    similarity = [round(cosine(x, y), 4) for x, y in zip(a, b)]
    return {"word": word, "layers": list(range(len(similarity))), "cosine_similarity": similarity,
            "sentences": {label: word_side(seen, text, positions) for label, (seen, text, positions) in sides.items()}}


def compare_word(model, tokenizer, sentence_a: str, sentence_b: str, word: str) -> dict:
    """The word in both sentences (it must be in both)."""
    sides = {}
    for label, text in (("a", sentence_a), ("b", sentence_b)):
        seen = look(model, tokenizer, text)
        sides[label] = (seen, text, word_positions(seen, text, word))
    return word_in_context(word, sides)
