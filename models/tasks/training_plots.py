"""Figures for the training labs: loss curves, a confusion matrix, quality by sentence length."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from models.tasks.plots import figure


def _loss_axes(ax, losses: Sequence[float], title: str) -> None:
    ax.plot(range(1, len(losses) + 1), losses, color="tab:blue", linewidth=1.2)
    ax.set(title=title, xlabel="step", ylabel="loss")
    ax.grid(alpha=0.3)


def progress_figure(result: dict | None) -> Any:
    """The loss per step so far; once a classifier is done, its held-out confusion matrix beside it.

    `result` is what a training endpoint yields (a dict with "losses", maybe "confusion_matrix").
    """
    result = result or {}
    losses = result.get("losses") or []
    matrix = result.get("confusion_matrix")
    fig = figure(11 if matrix else 7, 4)
    ax = fig.add_subplot(1, 2, 1) if matrix else fig.add_subplot()
    title = f"training loss ({len(losses)} steps)" if losses else "training loss (no step yet)"
    _loss_axes(ax, losses, title)
    if matrix:
        confusion_axes(fig.add_subplot(1, 2, 2), matrix, result["labels"], result.get("accuracy"))
    return fig


def confusion_axes(ax, matrix: Sequence[Sequence[int]], labels: Sequence[str], accuracy: float | None) -> None:
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


def comparison_figure(losses: Sequence[float], buckets: Sequence[dict]) -> Any:
    """The LSTM's loss curve, and its held-out quality per sentence-length bucket beside T5's."""
    fig = figure(12, 4)
    _loss_axes(fig.add_subplot(1, 2, 1), losses, "LSTM training loss")
    ax = fig.add_subplot(1, 2, 2)
    names = [b["bucket"] for b in buckets]
    positions = range(len(names))
    ax.bar([p - 0.2 for p in positions], [b["lstm"] for b in buckets], width=0.4, label="LSTM")
    if any(b.get("t5") is not None for b in buckets):
        ax.bar([p + 0.2 for p in positions], [b.get("t5") or 0 for b in buckets], width=0.4, label="T5")
    ax.set_xticks(list(positions), labels=[f"{n}\n({b['phrases']} phrases)" for n, b in zip(names, buckets)])
    ax.set(title="held-out word overlap (BLEU-1) by sentence length", xlabel="English words", ylabel="BLEU-1",
           ylim=(0, 1))
    ax.legend()
    return fig
