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
from serving import budget

log = logging.getLogger(__name__)

GENERIC_FAILURE = ("Something went wrong in this tab and it has been logged. "
                   "Try again, or try a shorter input; the other tabs are unaffected.")
# A page helper (Show code, a note, a view drawn from a result the page sends back) given values no page sends.
HELPER_FAILURE = ("This part of the page could not use the values it was sent. Run the tab's button again; "
                  "scripts call the endpoints of docs/api.md.")
# A page helper's time budget: each is a few milliseconds to a second on values the page sends (a note may wait
# for the model its run just loaded).
HELPER_BUDGET_S = 60.0


def _as_gr_error(exc: Exception) -> gr.Error:
    # print_exception=False: a user mistake is no traceback in the log (one bad client could flood it);
    # a model that cannot load is logged by the loader, anything else just below.
    if isinstance(exc, gr.Error):
        return exc
    if isinstance(exc, (InputError, ModelUnavailable)):
        return gr.Error(str(exc), print_exception=False)
    log.exception("handler failed")
    return gr.Error(GENERIC_FAILURE, print_exception=False)


def _as_helper_error(exc: Exception) -> gr.Error:
    if isinstance(exc, (gr.Error, InputError, ModelUnavailable)):
        return _as_gr_error(exc)
    # One line, no traceback: any client can send a helper junk, and each call must not flood the log.
    log.warning("a page helper could not use its values: %s: %.200s", type(exc).__name__, exc)
    return gr.Error(HELPER_FAILURE, print_exception=False)


def helper(fn: Callable) -> Callable:
    """The guard of every event that is not a public endpoint (app.build_demo puts it on each through
    serving.guards.seal): within HELPER_BUDGET_S, a user mistake as for `guarded`, and values no page would send
    a short message (HELPER_FAILURE) rather than the generic failure and a traceback."""
    return budget.handler(fn, HELPER_BUDGET_S, errors=_as_helper_error)


def guarded(fn: Callable, budget_s: float | None = None) -> Callable:
    """Wrap an event handler so a user mistake or a failing model becomes a gr.Error that says what to do, and
    a run past its time budget (`budget_s`, else Settings.time_budget_s) is stopped with a clear message
    (serving/budget.py). fn runs on a background thread; it streams when it returns a Bridge or is a generator.

    The signature is kept, so gradio still injects gr.Progress and gr.Request.
    """
    return budget.handler(fn, budget_s, errors=_as_gr_error)


def with_settings(fn: Callable, build: Callable) -> Callable:
    """fn(..., settings, ...) as a handler that gradio calls with one positional input per setting.

    The parameters of `build` stand in for fn's `settings` parameter (same names, order and defaults, so the
    endpoint's inputs stay as they are); each call makes one settings object with build(**those values) and
    passes it to fn. A value out of range is build's InputError.
    """
    own = inspect.signature(fn, eval_str=True)
    settings = list(inspect.signature(build, eval_str=True).parameters.values())
    parameters = [p for name, p in own.parameters.items() if name != "settings"]
    at = list(own.parameters).index("settings")
    signature = own.replace(parameters=parameters[:at] + settings + parameters[at:])

    def handler(*args, **kwargs):
        values = signature.bind(*args, **kwargs).arguments
        made = build(**{p.name: values.pop(p.name) for p in settings if p.name in values})
        return fn(**values, settings=made)

    functools.update_wrapper(handler, fn, updated=())
    handler.__signature__ = signature
    handler.__annotations__ = {name: p.annotation for name, p in signature.parameters.items()
                               if p.annotation is not inspect.Parameter.empty}
    return handler


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
