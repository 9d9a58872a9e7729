"""Matplotlib figures shared by the learning tabs: token heatmaps, encodings, masks, similarity curves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

ANNOTATE_UP_TO = 16  # write the value in each cell only while the cells are big enough to read


def figure(width: float, height: float) -> Any:
    """A matplotlib Figure on the Agg canvas, outside pyplot's global state (safe across threads)."""
    import matplotlib

    matplotlib.use("Agg")  # headless server: never a GUI backend
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _tick_labels(ax, rows: Sequence[str], cols: Sequence[str]) -> None:
    size = 9 if max(len(rows), len(cols)) <= 32 else 6
    ax.set_xticks(range(len(cols)), labels=list(cols), rotation=90, fontsize=size)
    ax.set_yticks(range(len(rows)), labels=list(rows), fontsize=size)


def _annotate(ax, matrix, fmt: str = "{:.2f}") -> None:
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=7,
                    color="white" if value > 0.5 * max(1e-9, float(matrix.max())) else "black")


def token_heatmap(matrix, rows: Sequence[str], cols: Sequence[str], title: str,
                  xlabel: str = "attends to (key)", ylabel: str = "token (query)") -> Any:
    """A (rows, cols) matrix with tokens on both axes, e.g. one head's attention probabilities."""
    side = min(12.0, 3.0 + 0.28 * max(len(rows), len(cols)))
    fig = figure(side + 1.2, side)
    ax = fig.add_subplot()
    image = ax.imshow(matrix, cmap="viridis", vmin=0.0, aspect="auto")
    _tick_labels(ax, rows, cols)
    if max(len(rows), len(cols)) <= ANNOTATE_UP_TO:
        _annotate(ax, matrix)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    fig.colorbar(image, ax=ax, shrink=0.8)
    return fig


def encoding_figure(matrix, name: str, dims: Sequence[int], raw=None) -> Any:
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


def mask_grid(tokens: Sequence[Sequence[str]], mask: Sequence[Sequence[int]], title: str) -> Any:
    """Sentences as rows, positions as columns: each cell shows its token, coloured by the attention mask."""
    import numpy as np
    from matplotlib.colors import ListedColormap

    grid = np.asarray(mask, dtype=float)  # (sentences, padded length)
    fig = figure(min(24.0, 2.0 + 0.95 * grid.shape[1]), 1.4 + 0.7 * grid.shape[0])
    ax = fig.add_subplot()
    ax.imshow(grid, cmap=ListedColormap(["#e5e7eb", "#86efac"]), vmin=0, vmax=1, aspect="auto")  # pad grey
    for i, row in enumerate(tokens):
        for j, token in enumerate(row):
            ax.text(j, i, f"{token}\n{int(grid[i, j])}", ha="center", va="center", fontsize=8)
    ax.set_yticks(range(len(tokens)), labels=[f"sentence {i + 1}" for i in range(len(tokens))])
    ax.set_xticks(range(grid.shape[1]))
    ax.set(title=title, xlabel="position (cell: token, and its attention mask: 1 attend, 0 padding)")
    return fig


def word_in_context(result: dict) -> Any:
    """The cosine similarity of the word's two vectors per layer, over what it attends to in each sentence."""
    fig = figure(11, 8)
    grid = fig.add_gridspec(2, 2, height_ratios=(1, 1.2))
    top = fig.add_subplot(grid[0, :])
    top.plot(result["layers"], result["cosine_similarity"], marker="o")
    top.set(title=f"{result['word']!r}: cosine similarity of its two contextual vectors",
            xlabel="layer (0 = embeddings)", ylabel="cosine similarity",
            ylim=(min(0.0, min(result["cosine_similarity"])), 1.02))
    top.grid(alpha=0.3)
    for index, key in enumerate(("a", "b")):
        side = result["sentences"][key]
        ax = fig.add_subplot(grid[1, index])
        pairs = side["attends_to"]
        rows = range(len(pairs))[::-1]  # the most attended at the top; numeric rows keep repeated tokens apart
        ax.barh(rows, [p["weight"] for p in pairs], color="tab:orange")
        ax.set_yticks(rows, labels=[f"{p['token']} ({p['position']})" for p in pairs])
        ax.set(title=f"{side['text']}\n(last layer, mean over heads)", xlabel="attention weight", xlim=(0, 1))
    return fig
