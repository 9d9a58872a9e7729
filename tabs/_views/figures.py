"""Matplotlib figures for gr.Plot: attention heatmaps, positional encodings, a padded batch, the word in
context, the training labs' loss curves, confusion matrix and LSTM-vs-T5 comparison, and the Why? tab's views.

matplotlib is imported on the first drawing, never at app start. Views drawn from data a client sends
back check it first (tabs/_views/_received.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from models import limits
from models.tasks import attention, lstm
from tabs import _received

ANNOTATE_UP_TO = 16  # write the value in each cell only while the cells are big enough to read
LAYERS_MAX = 128  # the word in context: hidden states per model (embeddings + layers), beyond any model offered
# Training results: a loss per step, and the longest run is a classifier's (epochs x examples at batch size 1).
STEPS_MAX = max(limits.FINETUNE_EPOCHS * limits.FINETUNE_ROWS, limits.LM_STEPS, limits.LSTM_STEPS)


def figure(width: float, height: float) -> Any:
    """A matplotlib Figure on the Agg canvas, outside pyplot's global state (safe across threads)."""
    import matplotlib

    matplotlib.use("Agg")  # headless server: never a GUI backend
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


# ---- attention ---------------------------------------------------------------------------------

def _tick_labels(ax, rows: Sequence[str], cols: Sequence[str]) -> None:
    size = 9 if max(len(rows), len(cols)) <= 32 else 6
    ax.set_xticks(range(len(cols)), labels=list(cols), rotation=90, fontsize=size)
    ax.set_yticks(range(len(rows)), labels=list(rows), fontsize=size)


def _annotate(ax, matrix, fmt: str = "{:.2f}") -> None:
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=7,
                    color="white" if value > 0.5 * max(1e-9, float(matrix.max())) else "black")


def token_heatmap(matrix, rows: Sequence[str], cols: Sequence[str], title: str) -> Any:
    """A (rows, cols) matrix with tokens on both axes, e.g. one head's attention probabilities."""
    side = min(12.0, 3.0 + 0.28 * max(len(rows), len(cols)))
    fig = figure(side + 1.2, side)
    ax = fig.add_subplot()
    image = ax.imshow(matrix, cmap="viridis", vmin=0.0, aspect="auto")
    _tick_labels(ax, rows, cols)
    if max(len(rows), len(cols)) <= ANNOTATE_UP_TO:
        _annotate(ax, matrix)
    ax.set(title=title, xlabel="attends to (key)", ylabel="token (query)")
    fig.colorbar(image, ax=ax, shrink=0.8)
    return fig


def attention_heatmap(maps: attention.Maps) -> Any:
    """The heatmap of /attention: the picked head (or the layer's mean) over the shown tokens."""
    heads = maps.attentions.shape[1]
    which = f"mean over the {heads} heads" if maps.average_heads else f"head {maps.head}"
    notes = [" (causal: no token sees a later one)" if maps.causal else "",
             "\nspecial tokens hidden: rows no longer sum to 1" if maps.special_hidden else ""]
    return token_heatmap(maps.matrix, maps.tokens, maps.tokens, f"Layer {maps.layer}, {which}{''.join(notes)}")


def _side(value: object, where: str) -> dict:
    from models.snippets.attention import TOP_ATTENDED  # imports torch: only once there is a result to draw

    side = _received.record(value, where, ("text", "attends_to"))
    return {"text": _received.text(side["text"], f"{where}.text", limits.ATTENTION_CHARS),
            "attends_to": _received.each(side["attends_to"], f"{where}.attends_to", TOP_ATTENDED,
                                        _attended)}


def _attended(value: object, where: str) -> dict:
    pair = _received.record(value, where, ("token", "position", "weight"))
    return {"token": _received.text(pair["token"], f"{where}.token"),
            "position": _received.integer(pair["position"], f"{where}.position", 0, limits.ATTENTION_TOKENS - 1),
            "weight": _received.number(pair["weight"], f"{where}.weight")}


def word_in_context(result: object) -> Any:
    """A /compare_word result: the cosine similarity of the word's two vectors per layer, over what it
    attends to in each sentence."""
    result = _received.record(result, "the result", ("word", "layers", "cosine_similarity", "sentences"))
    word = _received.text(result["word"], "word", attention.WORD_CHARS)
    layers = _received.each(result["layers"], "layers", LAYERS_MAX,
                           lambda value, where: _received.integer(value, where, 0, LAYERS_MAX), least=1)
    cosine = _received.each(result["cosine_similarity"], "cosine_similarity", len(layers), _received.number,
                           least=len(layers))
    sentences = _received.record(result["sentences"], "sentences", ("a", "b"))
    sides = [_side(sentences[key], f"sentences.{key}") for key in ("a", "b")]
    fig = figure(11, 8)
    grid = fig.add_gridspec(2, 2, height_ratios=(1, 1.2))
    top = fig.add_subplot(grid[0, :])
    top.plot(layers, cosine, marker="o")
    top.set(title=f"{word!r}: cosine similarity of its two contextual vectors",
            xlabel="layer (0 = embeddings)", ylabel="cosine similarity", ylim=(min(0.0, min(cosine)), 1.02))
    top.grid(alpha=0.3)
    for index, side in enumerate(sides):
        ax = fig.add_subplot(grid[1, index])
        pairs = side["attends_to"]
        rows = range(len(pairs))[::-1]  # the most attended at the top; numeric rows keep repeated tokens apart
        ax.barh(rows, [p["weight"] for p in pairs], color="tab:orange")
        ax.set_yticks(rows, labels=[f"{p['token']} ({p['position']})" for p in pairs])
        ax.set(title=f"{side['text']}\n(last layer, mean over heads)", xlabel="attention weight", xlim=(0, 1))
    return fig


# ---- positions and batches ---------------------------------------------------------------------

def encoding(matrix, name: str, dims: Sequence[int], raw=None) -> Any:
    """Three panels for a (positions, d) encoding: heatmap, a few dimensions as waves, and the cosine
    similarity of every position with every other (of `raw` when the shown matrix was rescaled)."""
    import numpy as np

    fig = figure(16, 4.8)
    fig.suptitle(name)
    heat = fig.add_subplot(1, 3, 1)
    image = heat.imshow(matrix, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
    heat.set(title="value by position and dimension", xlabel="dimension", ylabel="position")
    fig.colorbar(image, ax=heat, shrink=0.8)
    waves = fig.add_subplot(1, 3, 2)
    for dim in dims:
        waves.plot(matrix[:, dim], label=f"dim {dim}")
    waves.set(title="a few dimensions", xlabel="position", ylabel="value")
    waves.legend(fontsize=7, loc="upper right")
    raw = matrix if raw is None else raw
    unit = raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)
    sim = fig.add_subplot(1, 3, 3)
    image = sim.imshow(unit @ unit.T, cmap="viridis", vmin=-1, vmax=1, interpolation="nearest")
    sim.set(title="cosine similarity of positions", xlabel="position", ylabel="position")
    fig.colorbar(image, ax=sim, shrink=0.8)
    return fig


def scaled_encoding(table, name: str, dims: Sequence[int]) -> Any:
    """The same three panels for a learned (positions, d) table, its values scaled for colour."""
    import numpy as np

    # A few large outliers would wash the heatmap out: scale by the 99th percentile and clip the rest.
    scale = max(float(np.percentile(np.abs(table), 99)), 1e-12)
    title = f"{name} (shown divided by {scale:.3g}, clipped to [-1, 1])"
    return encoding(np.clip(table / scale, -1, 1), title, dims, raw=table)


def padded_batch(result: object) -> Any:
    """A /tokenize_batch result with sentences as rows and positions as columns: each cell shows its token,
    coloured by the attention mask."""
    import numpy as np
    from matplotlib.colors import ListedColormap

    result = _received.record(result, "the result", ("tokens", "attention_mask", "pad_token", "padding_side"))
    shape = limits.TOKENIZE_BATCH_SENTENCES, limits.TOKENIZE_BATCH_LENGTH
    tokens = _received.grid(result["tokens"], "tokens", *shape, _received.text)
    mask = _received.grid(result["attention_mask"], "attention_mask", *shape,
                         lambda value, where: _received.integer(value, where, 0, 1))
    if [len(row) for row in tokens] != [len(row) for row in mask]:
        raise _received.refused("attention_mask", "a 0 or 1 under every token")
    pad_token = _received.text(result["pad_token"], "pad_token")
    if result["padding_side"] not in ("left", "right"):
        raise _received.refused("padding_side", '"left" or "right"')
    grid = np.asarray(mask, dtype=float)  # (sentences, padded length)
    fig = figure(min(24.0, 2.0 + 0.95 * grid.shape[1]), 1.4 + 0.7 * grid.shape[0])
    ax = fig.add_subplot()
    ax.imshow(grid, cmap=ListedColormap(["#e5e7eb", "#86efac"]), vmin=0, vmax=1, aspect="auto")  # pad grey
    for i, row in enumerate(tokens):
        for j, token in enumerate(row):
            ax.text(j, i, f"{token}\n{int(grid[i, j])}", ha="center", va="center", fontsize=8)
    ax.set_yticks(range(len(tokens)), labels=[f"sentence {i + 1}" for i in range(len(tokens))])
    ax.set_xticks(range(grid.shape[1]))
    ax.set(title=f"Padded with {pad_token!r} on the {result['padding_side']}",
           xlabel="position (cell: token, and its attention mask: 1 attend, 0 padding)")
    return fig


# ---- training ----------------------------------------------------------------------------------

def _loss_axes(ax, losses: Sequence[float], title: str) -> None:
    ax.plot(range(1, len(losses) + 1), losses, color="tab:blue", linewidth=1.2)
    ax.set(title=title, xlabel="step", ylabel="loss")
    ax.grid(alpha=0.3)


def _confusion_axes(ax, matrix: Sequence[Sequence[int]], labels: Sequence[str], accuracy: float | None) -> None:
    """Rows: the true label; columns: the predicted one; each cell the number of held-out examples."""
    import numpy as np

    grid = np.asarray(matrix)  # (labels, labels)
    ax.imshow(grid, cmap="Blues", vmin=0)
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            ax.text(j, i, str(grid[i, j]), ha="center", va="center",
                    color="white" if grid[i, j] > grid.max() / 2 else "black")
    ax.set_xticks(range(len(labels)), labels=list(labels), rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels=list(labels))
    suffix = f" (accuracy {accuracy:.1%})" if accuracy is not None else ""
    ax.set(title=f"held-out confusion matrix{suffix}", xlabel="predicted", ylabel="true")


def _confusion(result: dict) -> tuple[list[list[int]], list[str], float | None]:
    labels = _received.each(result.get("labels"), "labels", limits.FINETUNE_LABELS,
                           lambda value, where: _received.text(value, where, limits.LABEL_CHARS), least=2)
    matrix = _received.grid(result["confusion_matrix"], "confusion_matrix", len(labels), len(labels),
                           lambda value, where: _received.integer(value, where, 0, limits.FINETUNE_ROWS))
    if len(matrix) != len(labels) or len(matrix[0]) != len(labels):
        raise _received.refused("confusion_matrix", "a row and a column per label")
    accuracy = result.get("accuracy")
    return matrix, labels, None if accuracy is None else _received.number(accuracy, "accuracy")


def training_progress(result: object) -> Any:
    """The loss per step so far; once a classifier is done, its held-out confusion matrix beside it.

    `result` is what a training endpoint yields (a dict with "losses", maybe "confusion_matrix").
    """
    result = _received.record(result or {}, "the result")
    # A loss that went NaN reaches the browser, and so comes back, as null: drawn as a gap.
    losses = _received.each(result.get("losses") or [], "losses", STEPS_MAX,
                           lambda value, where: _received.number(value, where, missing=True))
    confusion = _confusion(result) if result.get("confusion_matrix") else None
    fig = figure(11 if confusion else 7, 4)
    ax = fig.add_subplot(1, 2, 1) if confusion else fig.add_subplot()
    title = f"training loss ({len(losses)} steps)" if losses else "training loss (no step yet)"
    _loss_axes(ax, losses, title)
    if confusion:
        _confusion_axes(fig.add_subplot(1, 2, 2), *confusion)
    return fig


def _bucket(value: object, where: str, phrases: int) -> dict:
    bucket = _received.record(value, where, ("bucket", "phrases", "lstm"))
    t5 = bucket.get("t5")
    return {"bucket": _received.text(bucket["bucket"], f"{where}.bucket"),
            "phrases": _received.integer(bucket["phrases"], f"{where}.phrases", 0, phrases),
            "lstm": _received.number(bucket["lstm"], f"{where}.lstm"),
            "t5": None if t5 is None else _received.number(t5, f"{where}.t5")}


def lstm_comparison(losses: Sequence[float], result: object) -> Any:
    """The LSTM's loss curve, and its held-out quality per sentence-length bucket beside T5's (from the
    "quality_by_length" of an /lstm_compare result)."""
    from models.snippets import lstm as reference  # imports torch: only once there is a result to draw

    result = _received.record(result, "the result", ("quality_by_length",))
    phrases = len(reference.read_pairs(lstm.phrases_path()))
    buckets = _received.each(result["quality_by_length"], "quality_by_length", len(reference.BUCKETS),
                            lambda value, where: _bucket(value, where, phrases))
    fig = figure(12, 4)
    _loss_axes(fig.add_subplot(1, 2, 1), losses, "LSTM training loss")
    ax = fig.add_subplot(1, 2, 2)
    names = [b["bucket"] for b in buckets]
    positions = range(len(names))
    ax.bar([p - 0.2 for p in positions], [b["lstm"] for b in buckets], width=0.4, label="LSTM")
    if any(b["t5"] is not None for b in buckets):
        ax.bar([p + 0.2 for p in positions], [b["t5"] or 0 for b in buckets], width=0.4, label="T5")
    ax.set_xticks(list(positions), labels=[f"{n}\n({b['phrases']} phrases)" for n, b in zip(names, buckets)])
    ax.set(title="held-out word overlap (BLEU-1) by sentence length", xlabel="English words", ylabel="BLEU-1",
           ylim=(0, 1))
    ax.legend()
    return fig


# ---- the Why? tab (issue 17): cross-attention, logit lens, sampling distribution, head ablation, projection --
# Drawn in the views' own handlers, from results the model layer has just returned (nothing a client sent).

KEPT, CUT = "#1976d2", "#bdbdbd"  # tokens generate() can draw, and tokens its processors cut
SENTENCE_LABEL = 32  # characters of a sentence written beside its point


def _short(token: str) -> str:
    shown = repr(token)[1:-1]  # spaces and newlines visible, as the tokenizer has them
    return shown if len(shown) <= 10 else shown[:9] + "…"


def cross_attention(result: dict) -> Any:
    """One head's cross-attention: rows the target tokens as written, columns the source tokens."""
    import numpy as np

    fig = token_heatmap(np.asarray(result["attention"]), result["target_tokens"], result["source_tokens"],
                        f"Decoder layer {result['layer']}, head {result['head']}: each row sums to 1")
    fig.axes[0].set(xlabel="source token it looked at", ylabel="target token being written")
    return fig


def logit_lens(result: dict) -> Any:
    """Layers (rows, the last on top) x positions: the top guess for the next token, coloured by its probability."""
    import numpy as np

    probs = np.asarray(result["top_probs"])  # (layers + 1, positions)
    layers, positions = probs.shape
    fig = figure(min(24.0, 3.0 + 1.0 * positions), 1.5 + 0.45 * layers)
    ax = fig.add_subplot()
    image = ax.imshow(probs, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto", origin="lower")
    size = 8 if positions <= 16 else 6
    for layer, row in enumerate(result["top_tokens"]):
        for position, token in enumerate(row):
            ax.text(position, layer, _short(token), ha="center", va="center", fontsize=size,
                    color="white" if probs[layer, position] > 0.6 else "black")
    ax.set_xticks(range(positions), labels=[_short(token) for token in result["tokens"]], rotation=90)
    ax.set_yticks(range(layers), labels=["embeddings", *(str(layer) for layer in result["layers"][1:])])
    ax.set(title="Each layer's likeliest next token (the top row is the model's own prediction)",
           xlabel="input token (the guess is for the token after it)", ylabel="layer")
    fig.colorbar(image, ax=ax, shrink=0.8, label="probability of that guess")
    return fig


def sampling(result: dict, temperature: float, top_k: int, top_p: float) -> Any:
    """The raw and the processed distribution side by side, likeliest first; tokens the processors cut in grey."""
    fig = figure(12, 0.3 * len(result["tokens"]) + 1.8)
    colours = [KEPT if p > 0 else CUT for p in result["final_probs"]]
    labels = [_short(token) for token in result["tokens"]]
    rows = range(len(labels))[::-1]  # the likeliest at the top
    for index, (key, title) in enumerate((("raw_probs", "The model's own distribution"),
                                          ("final_probs", "What generate() samples from"))):
        ax = fig.add_subplot(1, 2, index + 1)
        ax.barh(rows, result[key], color=colours)
        ax.set_yticks(rows, labels=labels, fontsize=8)
        ax.set(title=title, xlabel="probability")
    settings = f"temperature {temperature:g}, top-k {top_k or 'off'}, top-p {'off' if top_p >= 1 else f'{top_p:g}'}"
    fig.suptitle(f"{settings}: {result['kept']:,} tokens can be drawn (grey: cut by top-k or top-p)", fontsize=10)
    return fig


def ablation(result: dict) -> Any:
    """Left: class probabilities before and after silencing the chosen heads. Right: each head silenced alone,
    the change in the predicted class's probability (layers x heads; the chosen heads crossed)."""
    import numpy as np

    fig = figure(13, 4.8)
    bars = fig.add_subplot(1, 2, 1)
    names = list(result["before"])
    rows = np.arange(len(names))[::-1]
    bars.barh(rows + 0.2, [result["before"][name] for name in names], height=0.4, label="all heads", color=KEPT)
    bars.barh(rows - 0.2, [result["after"][name] for name in names], height=0.4, color="#ef6c00",
              label=f"{len(result['silenced'])} head(s) silenced")
    bars.set_yticks(rows, labels=[_short(name) for name in names])
    bars.set(title="Probabilities", xlabel="probability", xlim=(0, 1))
    bars.legend(fontsize=8, loc="lower right")
    change = np.asarray(result["one_at_a_time"]["change"])  # (layers, heads)
    reach = float(np.abs(change).max()) or 1e-9
    heat = fig.add_subplot(1, 2, 2)
    image = heat.imshow(change, cmap="RdBu", vmin=-reach, vmax=reach, aspect="auto")
    for layer, head in result["silenced"]:
        heat.text(head, layer, "×", ha="center", va="center", fontsize=9)
    heat.set(title=f"One head silenced at a time: change in P({_short(result['one_at_a_time']['class'])})",
             xlabel="head", ylabel="layer")
    heat.set_xticks(range(change.shape[1]))
    heat.set_yticks(range(change.shape[0]))
    fig.colorbar(image, ax=heat, shrink=0.8)
    return fig


def projection(result: dict) -> Any:
    """The sentences as labelled points on the first two principal axes."""
    import numpy as np

    points = np.asarray(result["points"])  # (sentences, 2)
    first, second = result["explained_variance"]
    fig = figure(9, 6.5)
    ax = fig.add_subplot()
    ax.scatter(points[:, 0], points[:, 1], color=KEPT)
    for (x, y), sentence in zip(points, result["sentences"]):
        label = sentence if len(sentence) <= SENTENCE_LABEL else sentence[:SENTENCE_LABEL - 1] + "…"
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    layer = {-1: "the last layer", 0: "the embeddings"}.get(result["layer"], f"layer {result['layer']}")
    ax.set(title=f"Mean-pooled sentence vectors of {layer}, projected by PCA",
           xlabel=f"first principal axis ({first:.0%} of the variance)",
           ylabel=f"second principal axis ({second:.0%} of the variance)")
    ax.grid(alpha=0.3)
    return fig


def _which(layer: int, head: int) -> str:
    """"layer 3, head 5", or the mean a -1 stands for."""
    return (("the mean of all layers" if layer < 0 else f"layer {layer}") + ", "
            + ("the mean of their heads" if head < 0 else f"head {head}"))


def generated_attention(result: dict) -> Any:
    """Rows: the new tokens, in the order generate() wrote them; columns: every token. A row is what the position
    that wrote that token attended to (the token just before it, looking back); the prompt ends at the white line."""
    import numpy as np

    tokens, prompt = result["tokens"], result["prompt_tokens"]
    rows = [f"{step}: {_short(token)}" for step, token in enumerate(tokens[prompt:], 1)]
    fig = token_heatmap(np.asarray(result["attention"]), rows, [_short(token) for token in tokens],
                        f"{_which(result['layer'], result['head']).capitalize()}: each row sums to 1")
    ax = fig.axes[0]
    ax.axvline(prompt - 0.5, color="white", linewidth=1.5)  # prompt | generated
    ax.set(xlabel="token it looked at (the prompt, then the tokens written before)",
           ylabel="step: the token it wrote")
    return fig
