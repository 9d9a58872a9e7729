"""Data for gradio's own charts (gr.BarPlot): the alternatives the generation model weighed at one step."""

from __future__ import annotations

from typing import Any

from models import limits
from models.tasks import generate
from tabs import _received


def _alternative(value: object, where: str) -> dict:
    alternative = _received.record(value, where, ("token", "token_id", "probability"))
    return {"token": _received.text(alternative["token"], f"{where}.token"),
            "token_id": _received.integer(alternative["token_id"], f"{where}.token_id", 0, _received.TOKEN_IDS),
            "probability": _received.number(alternative["probability"], f"{where}.probability")}


def _step(value: object, where: str) -> dict:
    step = _received.record(value, where, ("step", "band", "alternatives"))
    return {**_alternative(step, where),
            "step": _received.integer(step["step"], f"{where}.step", 1, limits.GENERATE_NEW_TOKENS),
            "band": _received.text(step["band"], f"{where}.band"),
            "alternatives": _received.each(step["alternatives"], f"{where}.alternatives", generate.TOP_ALTERNATIVES,
                                          _alternative)}


def alternatives(steps: object, step: object) -> tuple[Any, str]:
    """One step of a /generate_probabilities result: its top alternatives as bar rows (token, probability,
    chosen or not), and a sentence saying what the model chose. `step` counts from 1."""
    import pandas as pd

    if not steps:
        return None, "Run **Show probabilities** first."
    steps = _received.items(steps, "steps", limits.GENERATE_NEW_TOKENS)
    index = min(max(int(_received.number(step, "step")), 1), len(steps)) - 1
    chosen = _step(steps[index], f"steps[{index}]")
    rows = [{"token": f"{rank}. {alt['token']!r}", "probability": alt["probability"],
             "kind": "chosen" if alt["token_id"] == chosen["token_id"] else "alternative"}
            for rank, alt in enumerate(chosen["alternatives"], 1)]
    caption = (f"Step {chosen['step']} of {len(steps)}: the model chose {chosen['token']!r} with probability "
               f"{chosen['probability']:.4f} ({chosen['band']}).")
    if all(row["kind"] == "alternative" for row in rows):
        caption += f" It was not among the top {len(rows)}: sampling or a penalty picked it."
    return pd.DataFrame(rows), caption
