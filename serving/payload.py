"""The payload hook: a request gradio cannot read, or one too large to keep, gets a clear gr.Error."""

from __future__ import annotations

import re
from typing import Any

import gradio as gr

from models import limits


def refuse_malformed_payloads(demo: gr.Blocks) -> None:
    """A payload gradio itself cannot read (a word for a slider, an object for a chat history, missing
    values) becomes a gr.Error that names the problem, instead of the blank error show_error=False gives;
    an oversized one is refused before gradio keeps a copy of it in the session."""
    original = demo.preprocess_data

    async def preprocess_data(block_fn, inputs, state, *args, **kwargs):
        try:
            size = _chars(inputs)
            if size > limits.PAYLOAD_CHARS:
                raise gr.Error(f"This request carries {size:,} characters; no input of this app takes more than "
                               f"{limits.PAYLOAD_CHARS:,} (each states its own, smaller limit). Shorten it.",
                               print_exception=False)
            return await original(block_fn, inputs, state, *args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            raise gr.Error(_malformed_message(block_fn, inputs, exc), print_exception=False) from exc

    demo.preprocess_data = preprocess_data


def _chars(value: Any) -> int:
    """Characters of text in a JSON payload (strings, also inside lists and dicts)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(_chars(k) + _chars(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return sum(_chars(item) for item in value)
    return 0


EXPECTED = {"Slider": "a number", "Number": "a number", "Checkbox": "true or false", "Textbox": "text",
            "Dropdown": "one of its choices", "Radio": "one of its choices",
            "Chatbot": "a list of messages, each {\"role\": \"user\" or \"assistant\", \"content\": text}"}


def _malformed_message(block_fn, inputs: list, exc: Exception) -> str:
    blocks = list(block_fn.inputs)
    labels = [getattr(block, "label", None) or type(block).__name__ for block in blocks]
    if not isinstance(inputs, list) or len(inputs) != len(blocks):
        return (f"This endpoint takes {len(blocks)} values ({', '.join(labels)}); send them in that order "
                "(the app's 'Use via API' page lists each one).")
    index = _failed_input(blocks, exc)
    if index is None:
        return (f"One of the values is not of the kind its input takes. Send each value as the app's "
                f"'Use via API' page shows it: {', '.join(labels)}.")
    kind = type(blocks[index]).__name__
    value = repr(inputs[index])
    value = value if len(value) <= 60 else value[:57] + "..."
    return (f"{labels[index]!r} takes {EXPECTED.get(kind, 'the form the API page shows')}; got {value}. "
            "Send it as the app's 'Use via API' page shows it.")


def _failed_input(blocks: list, exc: Exception) -> int | None:
    """Which input gradio could not read: its error names the index, pydantic's the data model."""
    match = re.search(r"component at index (\d+)", str(exc))
    if match and int(match.group(1)) < len(blocks):
        return int(match.group(1))
    title = getattr(exc, "title", None)  # pydantic.ValidationError: the data model's name
    for index, block in enumerate(blocks):
        if title and getattr(getattr(block, "data_model", None), "__name__", None) == title:
            return index
    return None
