"""What every tab shares: errors as gr.Error, the model picker and note, progress, the code panel."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Sequence

import gradio as gr

import config
from models import loader
from models.errors import InputError, ModelUnavailable
from tabs import _safety

log = logging.getLogger(__name__)

GENERIC_FAILURE = ("Something went wrong in this tab and it has been logged. "
                   "Try again, or try a shorter input; the other tabs are unaffected.")


def _as_gr_error(exc: Exception) -> gr.Error:
    # print_exception=False: a user mistake is no traceback in the log (one bad client could flood it);
    # a model that cannot load is logged by the loader, anything else just below.
    if isinstance(exc, gr.Error):
        return exc
    if isinstance(exc, (InputError, ModelUnavailable)):
        return gr.Error(str(exc), print_exception=False)
    log.exception("handler failed")
    return gr.Error(GENERIC_FAILURE, print_exception=False)


def guarded(fn: Callable, budget_s: float | None = None) -> Callable:
    """Wrap an event handler so a user mistake or a failing model becomes a gr.Error that says what to do,
    and a run past its time budget (`budget_s`, else Settings.time_budget_s) a clear timeout that frees
    the worker (a generator is closed, which stops its work).

    The signature is kept (functools.wraps), so gradio still injects gr.Progress and gr.Request.
    """
    def budget() -> float:
        return budget_s if budget_s is not None else config.current().time_budget_s

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def stream(*args, **kwargs):
            try:
                yield from _safety.stream_within(budget(), fn, *args, **kwargs)
            except Exception as exc:
                raise _as_gr_error(exc) from exc
        return stream

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return _safety.call_within(budget(), fn, *args, **kwargs)
        except Exception as exc:
            raise _as_gr_error(exc) from exc
    return call


def concurrency_id(task: str) -> str:
    """The event queue's concurrency group for `task`'s model: tabs whose default model is the same checkpoint
    (e.g. the tokenizer, attention and fill-mask tabs on bert-base-uncased) share one limit, so a shared
    model never runs more requests at once than one tab would. Use it as `concurrency_id=` on model events."""
    return f"model:{loader.choices(task)[0]}"


def progress_callback(progress: gr.Progress) -> loader.ProgressCallback:
    """Adapt gr.Progress to the model layer's (fraction, message) callback."""
    return lambda fraction, message: progress(fraction, desc=message)


def explain(text: str) -> gr.Markdown:
    """The tab's short "what happens here" note."""
    return gr.Markdown(f"**What happens here.** {text}")


def model_note(task: str, choice: str | None) -> str:
    """Which model serves the tab, and a visible warning when it is an offline stand-in."""
    try:
        resolved = loader.resolve(task, choice)
    except InputError as exc:
        return f"⚠️ {exc}"
    note = f"**Model:** `{resolved.choice}`"
    if resolved.source == "offline":
        note += f"\n\n⚠️ **Offline:** running on {resolved.label.split(': ', 1)[1]}."
        if resolved.demo_weights:
            note += " **Demo weights: output is not meaningful.**"
    elif resolved.source == "sagemaker":
        note += " (served by a SageMaker endpoint)"
    return note


def model_picker(task: str) -> tuple[gr.Dropdown, gr.Markdown]:
    """A dropdown limited to the registry's models for `task`, and the note saying which one serves."""
    options = loader.choices(task)
    picker = gr.Dropdown(options, value=options[0], label="Model", allow_custom_value=False)
    note = gr.Markdown()
    # No triggers: runs on page load and on every change of the picker, so building the app never
    # waits on the Hub probe that resolving may need.
    gr.on(None, lambda choice: model_note(task, choice), picker, note, api_visibility="private")
    return picker, note


def app_url(request: gr.Request | None) -> str:
    """This app's URL as the browser that sent `request` reached it (proxies included)."""
    if request is None:
        return "http://127.0.0.1:7860/"
    headers = request.headers
    host = (headers.get("x-forwarded-host") or headers.get("host") or "127.0.0.1:7860").split(",")[0]
    proto = headers.get("x-forwarded-proto", "http").split(",")[0]
    return f"{proto}://{host}{config.current().root_path}/"


def client_code(api_name: str, values: Sequence, url: str) -> str:
    """The gradio_client call that reproduces an event with these input values."""
    args = "".join(f"    {value!r},\n" for value in values)
    return (
        "from gradio_client import Client\n\n"
        f"client = Client({url!r})\n"
        f"result = client.predict(\n{args}    api_name=\"/{api_name}\",\n)\n"
        "print(result)\n"
    )


# api_name -> (its code function, its input components): docs/python.md is built from these.
SNIPPETS: dict[str, tuple[Callable[..., str], list]] = {}


def show_code(event, api_name: str, inputs: Sequence[gr.components.Component],
              transformers_code: Callable[..., str]) -> None:
    """A "Show code" panel refreshed after each successful run: plain transformers and gradio_client."""
    SNIPPETS[api_name] = (transformers_code, list(inputs))
    with gr.Accordion("Show code", open=False):
        plain = gr.Code(language="python", label="Plain transformers (same model and settings)",
                        interactive=False)
        remote = gr.Code(language="python", label="gradio_client (this app)", interactive=False)

    def render(request: gr.Request, *values):  # gradio injects the request by its annotation
        return transformers_code(*values), client_code(api_name, values, app_url(request))

    event.success(guarded(render), list(inputs), [plain, remote], api_visibility="private")
