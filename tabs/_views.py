"""Plain data -> what gradio shows: HighlightedText values, matplotlib figures, bertviz iframes."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from models.tasks import bertviz_offline, plots
from models.tasks.cross_attention import CrossAttention
from models.tasks.neuron_view import NeuronView

# ---- the "Why?" tab (issue 17): attribution, cross-attention, logit lens, sampling distribution, neuron view,
# head ablation, embedding projection --------------------------------------------------------------------------

DECIMALS = 3  # attention sent to the browser in a bertviz view
CUT = "#bdbdbd"  # tokens the processors cut, and other things left out
KEPT = "#1976d2"
LABEL_CHARS = 32  # a sentence's label in the projection


def attribution_highlights(text: str, result: dict) -> list[tuple[str, float | None]]:
    """The text as (piece, score) for gr.HighlightedText: each token's score over the largest |score| (-1..1),
    the gaps between tokens unscored. Tokens that share characters (an emoji in several byte tokens) are one piece."""
    merged: list[list] = []  # [start, end, score]
    for span, score in zip(result["offsets"], result["scores"]):
        if span is None:  # special tokens, a zero-shot hypothesis: not part of the text
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


def attribution_summary(result: dict) -> str:
    """What the colours explain, and for integrated gradients how well the scores add up."""
    ranked = sorted(zip(result["scores"], result["tokens"], result["offsets"]), key=lambda item: -item[0])
    top = ", ".join(f"{token!r} ({score:+.3f})" for score, token, span in ranked if span)
    lines = [f"**Explaining:** {result['measure']}: {result['target_score']:.4f} for the text, "
             f"{result['baseline_score']:.4f} for the baseline ({result['baseline']}). The model predicts "
             f"**{result['prediction']}**.", f"**Tokens, most supporting first:** {top}"]
    if result["method"] == "integrated_gradients":
        total, change = sum(result["scores"]), result["target_score"] - result["baseline_score"]
        lines.append(f"**Completeness:** the scores add up to {total:.4f}; the score changed by {change:.4f} "
                     f"(gap {total - change:+.4f} with {result['steps']} steps: more steps make it smaller).")
    return "\n\n".join(lines)


def _bertviz_height(rows: int, layers: int, heads: int) -> int:
    # bertviz's own layout (head_view.js, model_view.js) for `rows` tokens on the longer side, plus headings.
    head_view = 22.5 * rows + 110
    model_view = max(layers * (rows * 7 * 12 / heads + 10) + 38, 18 * rows + 55) + 80
    return int(head_view + model_view + 40)


def cross_attention_view(view: CrossAttention) -> str:
    """bertviz's head view (at the chosen layer and head) and model view of the cross-attention, offline."""
    import numpy as np
    import torch
    from bertviz import head_view, model_view

    maps = np.round(view.maps, DECIMALS)  # (layers, heads, target, source)
    cross = [torch.from_numpy(layer_maps)[None] for layer_maps in maps]  # layers x (1, heads, target, source)
    tokens = {"encoder_tokens": view.result["source_tokens"], "decoder_tokens": view.result["target_tokens"]}
    head_html = head_view(cross_attention=cross, **tokens, layer=view.result["layer"],
                          heads=[view.result["head"]], html_action="return").data
    model_html = model_view(cross_attention=cross, **tokens, display_mode="light", html_action="return").data
    document = bertviz_offline.page([
        ("Head view: lines from each target token (left) to the source tokens it looked at (right)", head_html),
        ("Model view: every head of every decoder layer (click one to enlarge)", model_html),
    ], attention=maps.tolist())
    rows = max(maps.shape[2], maps.shape[3])
    return bertviz_offline.iframe(document, _bertviz_height(rows, maps.shape[0], maps.shape[1]))


def cross_attention_heatmap(result: dict) -> Any:
    """One head's cross-attention: rows the target tokens as written, columns the source tokens."""
    import numpy as np

    title = f"Decoder layer {result['layer']}, head {result['head']}: each row sums to 1"
    return plots.token_heatmap(np.asarray(result["attention"]), result["target_tokens"], result["source_tokens"], title,
                               xlabel="source token it looked at", ylabel="target token being written")


def neuron_view_html(view: NeuronView) -> str:
    """bertviz's neuron view, from the data bertviz computed, in a sandboxed iframe that renders offline."""
    from bertviz import neuron_view

    script = Path(neuron_view.__file__).with_name("neuron_view.js").read_text(encoding="utf-8")
    root = f"bertviz-{uuid.uuid4().hex}"
    params = {"attention": view.bertviz, "default_filter": "all", "root_div_id": root, "bidirectional": True,
              "display_mode": "light", "layer": view.result["layer"], "head": view.result["head"]}
    # bertviz's own markup (neuron_view.show) with its two scripts as one block.
    markup = (f'<div id="{root}" style="padding:8px;font-family:Helvetica,Arial,sans-serif">'
              '<span style="user-select:none">Layer: <select id="layer"></select> '
              'Head: <select id="att_head"></select></span><div id="vis"></div></div>')
    body = f'{markup}<script type="text/javascript">window.bertviz_params = {json.dumps(params)};\n{script}</script>'
    document = bertviz_offline.page([("Neuron view: hover over a token to see its query, the keys, q × k "
                                      "and the softmax", body)])
    return bertviz_offline.iframe(document, 26 * len(view.result["tokens"]) + 260)


def _short(token: str) -> str:
    shown = repr(token)[1:-1]
    return shown if len(shown) <= 10 else shown[:9] + "…"


def logit_lens_figure(result: dict) -> Any:
    """Layers (rows, the last on top) x positions: the top guess for the next token, coloured by its probability."""
    import numpy as np

    probs = np.asarray(result["top_probs"])  # (layers + 1, positions)
    layers, positions = probs.shape
    fig = plots.figure(min(24.0, 3.0 + 1.0 * positions), 1.5 + 0.45 * layers)
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


def sampling_figure(result: dict, temperature: float, top_k: int, top_p: float) -> Any:
    """The raw and the processed distribution side by side, likeliest first; tokens the processors cut in grey."""
    fig = plots.figure(12, 0.3 * len(result["tokens"]) + 1.8)
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


def ablation_figure(result: dict) -> Any:
    """Left: class probabilities before and after silencing the chosen heads. Right: each head silenced alone,
    the change in the predicted class's probability (layers x heads; the chosen heads crossed)."""
    import numpy as np

    fig = plots.figure(13, 4.8)
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


def projection_figure(result: dict) -> Any:
    """The sentences as labelled points on the first two principal axes."""
    import numpy as np

    points = np.asarray(result["points"])  # (sentences, 2)
    first, second = result["explained_variance"]
    fig = plots.figure(9, 6.5)
    ax = fig.add_subplot()
    ax.scatter(points[:, 0], points[:, 1], color=KEPT)
    for (x, y), sentence in zip(points, result["sentences"]):
        label = sentence if len(sentence) <= LABEL_CHARS else sentence[:LABEL_CHARS - 1] + "…"
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    layer = "the last layer" if result["layer"] == -1 else (
        "the embeddings" if result["layer"] == 0 else f"layer {result['layer']}")
    ax.set(title=f"Mean-pooled sentence vectors of {layer}, projected by PCA",
           xlabel=f"first principal axis ({first:.0%} of the variance)",
           ylabel=f"second principal axis ({second:.0%} of the variance)")
    ax.grid(alpha=0.3)
    return fig
