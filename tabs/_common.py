"""What every tab shares: errors as gr.Error, the model picker and note, progress, the code panel, links."""

from __future__ import annotations

import functools
import inspect
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import gradio as gr
from gradio import utils as gr_utils
from gradio.context import get_blocks_context

import config
from models import limits, loader, validate
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
LINKS_AT_ONCE = 8  # page loads opening a link at once: filling is cheap (no model), each still bounded


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


PLAIN_LABEL = "Plain transformers (same model and settings)"
# api_name -> (its code function, its input components): docs/python.md is built from these.
SNIPPETS: dict[str, tuple[Callable[..., str], list]] = {}


def show_code(event, api_name: str, inputs: Sequence[gr.components.Component],
              transformers_code: Callable[..., str], *, link_runs: bool = True,
              link_also: dict[str, gr.components.Component] | None = None, plain_label: str = PLAIN_LABEL) -> None:
    """A "Show code" panel refreshed after each successful run: plain transformers (or `plain_label`'s library) and
    gradio_client; then the view's "Copy link" (`link_runs`: whether opening the link runs the view, see
    `open_links`; `link_also`: page controls the link sets too, by name, such as a radio that drives inputs)."""
    SNIPPETS[api_name] = (transformers_code, list(inputs))
    with gr.Accordion("Show code", open=False):
        plain = gr.Code(language="python", label=plain_label, interactive=False)
        remote = gr.Code(language="python", label="gradio_client (this app)", interactive=False)

    def render(request: gr.Request, *values):  # gradio injects the request by its annotation
        return transformers_code(*values), client_code(api_name, values, app_url(request))

    event.success(render, list(inputs), [plain, remote], api_visibility="private")
    _link_row(event, api_name, inputs, link_runs, link_also or {})


# ---- links: a URL that opens a view with its inputs filled in (and runs it where that is cheap) --------------

LINK_KEY = "open"  # ?open=<api_name>&<input>=<value>...: inputs named as in docs/api.md ("view" is gradio's own)
LINK_CHARS = 8_000  # longer URLs are refused by servers and proxies on the way: the Copy link button says so
# A link runs its view once filled, unless the view says not to (trainings, paid services, work that needs an
# earlier step), or it asks for more new tokens than this: a long generation is the user's to start.
LINK_RUN_NEW_TOKENS = 64
LINK_CHOICE_CHARS = 200  # a choice typed into an open dropdown (a language, a Bedrock model id)
LINKABLE = (gr.Textbox, gr.Number, gr.Slider, gr.Checkbox, gr.Dropdown, gr.Radio)  # a chat history is not


@dataclass
class _Linked:
    """A view a link can open: its endpoint's inputs by parameter name, and the button that runs it."""

    api_name: str
    inputs: dict[str, gr.components.Component]
    button: gr.Button | None  # None: the link fills the inputs only
    layout: list = field(default_factory=list)  # (block, props) that show it: tabs to select, accordions to open


_LINKED: list[_Linked] = []  # views built since the last open_links()


def _link_js(api_name: str, names: Sequence[str], shown: str, fixed: dict[str, str] | None = None) -> str:
    """A browser-only handler (no request to the server): the values of `names`' inputs -> `shown`, a JS template
    of `url` (this page's address with the link's query string), or why there is no link."""
    return f"""(...values) => {{
        const query = new URLSearchParams({json.dumps({LINK_KEY: api_name, **(fixed or {})})});
        {json.dumps(list(names))}.forEach((name, i) => {{
            if (values[i] !== null && values[i] !== undefined) query.set(name, String(values[i]));
        }});
        const url = `${{location.origin}}${{location.pathname}}?${{query}}`;
        if (url.length > {LINK_CHARS}) return "The inputs are too long for a link ({LINK_CHARS:,} characters at most).";
        return {shown};
    }}"""


def _link_row(event, api_name: str, inputs: Sequence[gr.components.Component], runs: bool,
              also: dict[str, gr.components.Component]) -> None:
    names = [name for name, *_ in gr_utils.get_function_params(event.fn)][: len(inputs)]
    if len(names) != len(inputs):
        raise ValueError(f"/{api_name}: its handler names {len(names)} of its {len(inputs)} inputs")
    linked = {name: c for name, c in [*zip(names, inputs), *also.items()] if isinstance(c, LINKABLE)}
    blocks = get_blocks_context().blocks
    buttons = [blocks[target] for target, kind in event["targets"] if kind == "click"]
    button = buttons[0] if runs and buttons else None
    if button is not None and not button.elem_id:
        button.elem_id = f"run-{api_name}"  # what the opened link clicks
    _LINKED.append(_Linked(api_name, linked, button))
    with gr.Row(equal_height=True):
        copy = gr.Button("Copy link", size="sm", scale=0, min_width=110)
        box = gr.Textbox(show_label=False, container=False, scale=4, buttons=["copy"],
                         placeholder="A link that opens this view with these inputs: send it, and it fills them in"
                                     + (" and runs." if button is not None else "."))
    # Copied where the page may (a secure origin), and shown to copy by hand elsewhere.
    copy.click(None, list(linked.values()), box,
               js=_link_js(api_name, list(linked), "(navigator.clipboard?.writeText(url).catch(() => {}), url)"))


def link_to(api_name: str, inputs: dict[str, gr.components.Component], label: str,
            fixed: dict[str, str] | None = None) -> gr.Markdown:
    """A link to another view (`api_name`) that carries these inputs' current values (and the `fixed` ones), kept
    current in the browser as they change."""
    shown = gr.Markdown()
    js = _link_js(api_name, list(inputs), f"`[{label}](${{url}})`", fixed)
    for component in inputs.values():
        component.change(None, list(inputs.values()), shown, js=js)
    return shown


def _layout(components: Sequence[gr.blocks.Block]) -> list[tuple[gr.blocks.Block, dict]]:
    """What must open to show all of `components`, outermost first: (a gr.Tabs, the props that select the enclosing
    tab) and (an enclosing accordion, the props that open it). A view's inputs may sit in different places (the
    prompt above, the view's own controls and button in an accordion)."""
    opened: dict[gr.blocks.Block, dict] = {}
    for component in components:
        chain, block = [], component.parent
        while block is not None:
            if isinstance(block, gr.Tab):
                if block.id is None:  # gr.Tabs selects a tab by its id: its label is unique among its neighbours
                    block.id = block.label
                chain.append((block.parent, {"selected": block.id}))
            elif isinstance(block, gr.Accordion):
                chain.append((block, {"open": True}))
            block = block.parent
        for block, props in chain[::-1]:
            opened.setdefault(block, props)
    return list(opened.items())


def _from_link(component: gr.components.Component, raw: str, name: str) -> object:
    """A value from the link's query string for `component`, checked as that input is (caps, choices)."""
    what = f"the link's {name}"
    if isinstance(component, gr.Checkbox):
        if raw.lower() not in ("true", "false", "1", "0"):
            raise InputError(f"{what.capitalize()} must be true or false; got {raw[:40]!r}.")
        return raw.lower() in ("true", "1")
    if isinstance(component, (gr.Dropdown, gr.Radio)):
        options = {str(value): value for _, value in component.choices}
        if raw in options:
            return options[raw]
        if getattr(component, "allow_custom_value", False):  # checked by its view when it runs
            return validate.text(raw, what, LINK_CHOICE_CHARS)
        raise InputError(f"{what.capitalize()} must be one of: {', '.join(options)}; got {raw[:60]!r}.")
    if isinstance(component, (gr.Number, gr.Slider)):
        low = -math.inf if component.minimum is None else component.minimum
        high = math.inf if component.maximum is None else component.maximum
        whole = component.precision == 0 if isinstance(component, gr.Number) else \
            float(component.step).is_integer() and float(low).is_integer()
        return (validate.integer if whole else validate.number)(raw, what, low, high)
    cap = component.max_length or limits.TEXT_CHARS
    if len(raw) > cap:
        raise InputError(f"{what.capitalize()} is {len(raw):,} characters; that box takes at most {cap:,}.")
    return validate.characters(raw, what)


def _opened(views: dict[str, _Linked], run: gr.Textbox, query: dict[str, str]) -> dict:
    """The updates that open a link: the view's tabs and accordions, its inputs, and which button to click."""
    query = {key: value for key, value in query.items() if not key.startswith("__")}  # gradio's own: ?__theme=
    if LINK_KEY not in query:
        return {run: ""}  # not {}: gradio reads an empty dict as one value, not as "no updates"
    name = query.pop(LINK_KEY)
    view = views.get(name)
    if view is None:
        raise InputError(f"This link opens {name[:60]!r}, which this app does not have. A link opens one of: "
                         f"{', '.join(sorted(views))}.")
    updates: dict = {block: gr.update(**props) for block, props in view.layout}
    for key, raw in query.items():
        if key not in view.inputs:
            raise InputError(f"This link sets {key[:60]!r}, which /{name} does not take. Its inputs: "
                             f"{', '.join(view.inputs)}.")
        updates[view.inputs[key]] = _from_link(view.inputs[key], raw, key)
    tokens = view.inputs.get("max_new_tokens")
    long = tokens is not None and updates.get(tokens, tokens.value) > LINK_RUN_NEW_TOKENS
    return {**updates, run: view.button.elem_id if view.button is not None and not long else ""}


# Clicks the view's button once it is on the page (an inactive tab's content appears once the tab is selected).
_CLICK_JS = """(id) => {
    if (!id) return;
    const started = Date.now();
    const click = () => {
        const button = document.getElementById(id);
        if (button) button.click();
        else if (Date.now() - started < 15000) setTimeout(click, 100);
    };
    click();
}"""


def open_links(demo: gr.Blocks) -> dict[str, _Linked]:
    """The page-load event that opens a link (`?open=<api_name>&<input>=<value>...`, as a view's Copy link makes
    it): the view's tab is selected, its inputs filled, each value checked as that input is (a bad one is a
    gr.Error that says what is wrong), then its button clicked unless the view fills only. Call it once, inside
    `demo`, after every tab is built. Returns the views a link can open, by api_name."""
    views = {}
    for view in _LINKED:
        first = next(iter(view.inputs.values()))
        if demo.blocks.get(first._id) is first:  # views of a demo built earlier (a tab built alone) are dropped
            view.layout = _layout([*view.inputs.values(), *([view.button] if view.button else [])])
            views[view.api_name] = view
    _LINKED.clear()
    run = gr.Textbox(visible=False)
    outputs = dict.fromkeys([block for view in views.values() for block, _ in view.layout]
                            + [component for view in views.values() for component in view.inputs.values()] + [run])

    def fill(request: gr.Request) -> dict:
        try:
            return _opened(views, run, dict(request.query_params))
        except InputError as exc:  # a bad link: its message stays on the page until closed (a toast fades in 10 s)
            raise gr.Error(str(exc), duration=None, print_exception=False) from None

    # Its own concurrency group: filling reads no model, and must not wait behind the page's other load events
    # (model notes, shapes), which share the helpers' small group.
    event = demo.load(fill, None, list(outputs), show_progress="hidden", api_name="open_link",
                      api_visibility="private", concurrency_id="open_link", concurrency_limit=LINKS_AT_ONCE)
    event.success(None, run, None, js=_CLICK_JS)
    return views
