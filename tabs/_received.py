"""What a client sends back to a view, checked: the shape its endpoint returns, within that endpoint's caps.

A private follow-up event (`event.success(view, raw_json, plot)`) draws from a result the browser holds and
sends back, so a client can send anything there. Views read that data through these checks: anything an
endpoint could not have returned becomes a gr.Error that says what to do, never a traceback or a drawing
of unbounded size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr

TOKEN_CHARS = 256  # one token's text: longer than any token of the vocabularies the app offers
TOKEN_IDS = 2**31  # a token id: any id a vocabulary can have


def refused(where: str, expected: str) -> gr.Error:
    """The error for data no endpoint returns; `where` names the spot, e.g. "tokens[3]"."""
    # print_exception=False: one client sending junk must not flood the log with tracebacks.
    return gr.Error(f"This view was sent data its endpoint never returns ({where}: expected {expected}). "
                    "Run the tab's button again to redraw it.", print_exception=False)


def record(value: object, where: str, keys: Sequence[str] = ()) -> dict:
    """A JSON object holding at least `keys`."""
    if not isinstance(value, dict) or any(key not in value for key in keys):
        raise refused(where, "an object with " + (", ".join(keys) or "named fields"))
    return value


def items(value: object, where: str, most: int, least: int = 0) -> list:
    """A JSON list of `least` to `most` items."""
    if not isinstance(value, list) or not least <= len(value) <= most:
        raise refused(where, f"a list of {most:,} items" if least == most else f"a list of {least} to {most:,} items")
    return value


def number(value: object, where: str, missing: bool = False) -> float:
    """A finite number, as a float; with `missing`, null too, as NaN (gradio's JSON sends NaN as null)."""
    if value is None and missing:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise refused(where, "a number")
    return float(value)


def integer(value: object, where: str, low: int, high: int) -> int:
    """A whole number within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise refused(where, f"a whole number from {low:,} to {high:,}")
    return value


def text(value: object, where: str, most: int = TOKEN_CHARS) -> str:
    """A string of at most `most` characters."""
    if not isinstance(value, str) or len(value) > most:
        raise refused(where, f"text of at most {most:,} characters")
    return value


def each(value: object, where: str, most: int, check: Callable[[Any, str], Any], least: int = 0) -> list:
    """A list of `least` to `most` items, each passed through `check(item, its place)`."""
    return [check(item, f"{where}[{i}]") for i, item in enumerate(items(value, where, most, least))]


def grid(value: object, where: str, rows: int, columns: int, check: Callable[[Any, str], Any]) -> list[list]:
    """1 to `rows` rows of the same length, 1 to `columns` cells each, every cell through `check`."""
    checked = each(value, where, rows, lambda row, place: each(row, place, columns, check, least=1), least=1)
    if len({len(row) for row in checked}) > 1:
        raise refused(where, "rows of the same length")
    return checked
