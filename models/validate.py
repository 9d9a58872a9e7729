"""Checks that turn bad user input into an InputError that says what to do."""

from __future__ import annotations

import math
from typing import Any

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
    if isinstance(value, bool):  # a checkbox's value, not a number (True would pass as 1)
        raise InputError(f"{what.capitalize()} must be a number between {low:g} and {high:g}; got {value}.")
    if not isinstance(value, (int, float)):
        try:
            value = float(value)  # gradio may pass numbers as strings from some clients
        except (TypeError, ValueError):
            raise InputError(f"{what.capitalize()} must be a number between {low:g} and {high:g}.") from None
    try:
        inside = math.isfinite(value) and low <= value <= high
    except OverflowError:  # an integer too large for a float
        inside = False
    if not inside:
        digits = int(abs(value).bit_length() * math.log10(2)) + 1 if isinstance(value, int) else 0
        shown = f"a number of about {digits:,} digits" if digits > 20 else str(value)  # never a 4,000-digit echo
        raise InputError(f"{what.capitalize()} must be between {low:g} and {high:g}; got {shown}.")
    return float(value)


def integer(value: object, what: str, low: int, high: int) -> int:
    """A whole number within [low, high]."""
    number_value = number(value, what, low, high)
    if number_value != int(number_value):
        raise InputError(f"{what.capitalize()} must be a whole number between {low} and {high}.")
    return int(number_value)


def layer_and_head(layer: object, head: object, layers: int, heads: int, mean: bool = False) -> tuple[int, int]:
    """Layer and head as whole numbers in the model's range (counted from 0); with `mean`, -1 too (the mean over
    all layers, or over the layer's heads)."""
    low, counted = (-1, "counted from 0; -1 for their mean") if mean else (0, "counted from 0")
    return (integer(layer, f"layer (this model has {layers} layers, {counted})", low, layers - 1),
            integer(head, f"head (this model has {heads} heads per layer, {counted})", low, heads - 1))


def position_table(model: Any, tokenizer: Any = None) -> int | None:
    """How many tokens the model's position table holds (GPT-2's n_positions, BERT's and BART's
    max_position_embeddings; RoBERTa's positions start after its padding id, so its 514 rows hold 512), capped by
    the tokenizer's model_max_length when given: no sequence may run past it. None for relative positions (T5),
    which have no table."""
    config = model.config
    if getattr(config, "relative_attention_num_buckets", None) is not None:
        return None
    for key in ("n_positions", "max_position_embeddings"):
        value = getattr(config, key, None)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            offset = getattr(getattr(getattr(model, "base_model", None), "embeddings", None), "padding_idx", None)
            value -= offset + 1 if isinstance(offset, int) else 0
            most = getattr(tokenizer, "model_max_length", None)
            return min(value, most) if isinstance(most, int) and most < 100_000 else value  # larger: "no limit"
    return None


def fits_positions(model: Any, prompt_tokens: int, new_tokens: int, what: str = "The prompt",
                   tokenizer: Any = None) -> None:
    """An InputError saying what to shorten or lower when `prompt_tokens` plus `new_tokens` (0 for a model that
    reads only) run past the model's position table: checked before running, since past it the model fails with
    an IndexError part-way."""
    limit = position_table(model, tokenizer)
    if limit is None or prompt_tokens + new_tokens <= limit:
        return
    if new_tokens == 0:
        raise InputError(f"{what} is {prompt_tokens:,} tokens; this model reads at most {limit:,} (its position "
                         "table). Shorten it.")
    if prompt_tokens >= limit:
        raise InputError(f"{what} is {prompt_tokens:,} tokens; this model has {limit:,} positions for the prompt and "
                         f"the new tokens together, so it takes at most {limit - 1:,} prompt tokens. Shorten it.")
    raise InputError(f"{what} ({prompt_tokens:,} tokens) and {new_tokens:,} new tokens make "
                     f"{prompt_tokens + new_tokens:,}, more than this model's {limit:,} positions. Lower max new "
                     f"tokens to {limit - prompt_tokens:,} or shorten {what.lower()}.")
