"""Remote model backends: what a model served elsewhere answers, and the backends app.py registers by prefix.

The model layer imports no cloud SDK. app.py registers a backend (cloud.sagemaker) for a choice prefix
such as "sagemaker:"; the loader turns such a choice into a RemoteModel through `connect`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from models.errors import ModelUnavailable

SAGEMAKER_PREFIX = "sagemaker:"


@dataclass(frozen=True)
class GenerationRequest:
    """One text generation, in terms every backend can translate into its own payload."""

    prompt: str
    generate_kwargs: dict[str, Any]  # model.generate's: max_new_tokens, do_sample, num_beams, top_k...
    seed: int
    count_tokens: Callable[[str], int]  # a text's length in tokens, for payloads whose length limit counts the prompt


class RemoteModel(Protocol):
    """A model served elsewhere, called where a task would call its transformers pipeline."""

    name: str  # the choice it serves, e.g. "sagemaker:sst2"

    def __call__(self, inputs: Any, **parameters: Any) -> Any:
        """`pipeline(inputs, **parameters)` run remotely: the pipeline's JSON answer."""

    def generate_body(self, request: GenerationRequest) -> dict[str, Any]:
        """The request body this backend sends for `request`; InputError names a setting it cannot honour."""

    def generate(self, request: GenerationRequest) -> list[str]:
        """The full texts (prompt included), one per sequence."""


class Backend(Protocol):
    """What app.py registers for a prefix: it connects to a remote model, and writes the code that calls one."""

    def __call__(self, name: str) -> RemoteModel:
        """The remote model `name` (what follows the prefix, e.g. an endpoint name)."""

    def request_code(self, name: str, body: dict[str, Any]) -> str:
        """Runnable Python that sends `body` to the remote model `name` and prints its answer (Show code)."""


_backends: dict[str, Backend] = {}


def register(prefix: str, backend: Backend) -> None:
    """Serve the choices that start with `prefix` through `backend` (app.py, at start-up)."""
    _backends[prefix] = backend


def connect(choice: str) -> RemoteModel:
    """The remote model for a choice such as "sagemaker:NAME"; ModelUnavailable when no backend serves it."""
    backend, name = _backend(choice)
    return backend(name)


def request_code(choice: str, body: dict[str, Any]) -> str:
    """Runnable Python that sends `body` to the remote model `choice` and prints its answer."""
    backend, name = _backend(choice)
    return backend.request_code(name, body)


def _backend(choice: str) -> tuple[Backend, str]:
    for prefix, backend in _backends.items():
        if choice.startswith(prefix):
            return backend, choice.removeprefix(prefix)
    raise ModelUnavailable(f"No backend serves {choice!r} in this process: start the app with `python app.py` "
                           "(it registers the SageMaker backend), or pick a local model.")
