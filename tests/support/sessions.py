"""Calls made as one gradio session makes them: per-session state (a fine-tuned "My model") is keyed by it."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

import state


def as_session(owner: str, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """fn(*args, **kwargs) as a request of gradio session `owner` runs it (serving.budget sets state.owner from
    the request's session_hash; a gradio_client Client's is `client.session_hash`)."""
    def run_as() -> Any:
        state.owner.set(owner)
        return fn(*args, **kwargs)

    return contextvars.copy_context().run(run_as)
