"""Checks that turn bad user input into an InputError that says what to do."""

from __future__ import annotations

import math

from models.errors import InputError


def text(value: object, what: str, cap: int) -> str:
    """A non-empty string of at most `cap` characters, free of NUL bytes and lone surrogates."""
    if not isinstance(value, str):
        raise InputError(f"Expected {what} as text, got {type(value).__name__}.")
    if not value.strip():
        raise InputError(f"Enter {what}: it is empty.")
    if len(value) > cap:
        raise InputError(f"{what.capitalize()} is {len(value):,} characters; the limit is {cap:,}. Shorten it.")
    return characters(value, what)


def characters(value: str, what: str) -> str:
    """Text free of NUL bytes and lone surrogates (which no tokenizer or JSON encoder takes)."""
    if "\x00" in value:
        raise InputError(f"{what.capitalize()} contains NUL characters; remove them.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{what.capitalize()} contains invalid characters (lone surrogates); "
                         "paste it again as plain text.") from None
    return value


def number(value: object, what: str, low: float, high: float) -> float:
    """A finite number within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)  # gradio may pass numbers as strings from some clients
        except (TypeError, ValueError):
            raise InputError(f"{what.capitalize()} must be a number between {low:g} and {high:g}.") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise InputError(f"{what.capitalize()} must be between {low:g} and {high:g}; got {value}.")
    return float(value)


def integer(value: object, what: str, low: int, high: int) -> int:
    """A whole number within [low, high]."""
    number_value = number(value, what, low, high)
    if number_value != int(number_value):
        raise InputError(f"{what.capitalize()} must be a whole number between {low} and {high}.")
    return int(number_value)
