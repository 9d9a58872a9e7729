"""What the learning tabs share: one model picker for the encoder and GPT-2, and the raw API result panel."""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from models.errors import InputError
from models.tasks import internals
from tabs import _common


def note(choice: str | None) -> str:
    """Which model serves, and a visible warning for an offline stand-in (demo weights included)."""
    try:
        task = internals.task_of(choice)
    except InputError as exc:
        return f"⚠️ {exc}"
    kind = "causal: each token sees only the ones before it" if task == "generate" else "bidirectional encoder"
    return f"{_common.model_note(task, choice)}\n\n*{kind}*"


def picker() -> tuple[gr.Dropdown, gr.Markdown]:
    """A dropdown of the encoder's and GPT-2's models, and the note saying which one serves."""
    options = internals.choices()
    dropdown = gr.Dropdown(options, value=options[0], label="Model (a BERT-family encoder, or GPT-2)",
                           allow_custom_value=False)
    shown = gr.Markdown()
    # On each page load and each change (triggers=None): start-up never waits on the Hub probe, and unlike
    # a callable value this adds no public endpoint.
    gr.on(None, note, dropdown, shown, api_visibility="private")
    return dropdown, shown


def follow_shape(dropdown: gr.Dropdown, layer: gr.Slider, head: gr.Slider,
                 shape: Callable[[str], tuple[int, int]] = internals.shape, mean: bool = False) -> None:
    """Keep the layer and head sliders within the picked model's range: `shape(choice)` gives (layers, heads),
    read from its config only. `mean`: the sliders also offer -1, the mean of all layers or heads."""
    also = "; -1: the mean" if mean else ""

    def update(choice: str, layer_now: int, head_now: int):
        try:
            layers, heads = shape(choice)
        except Exception:  # a remote or unreadable model: leave the sliders; the task says what is wrong
            return gr.update(), gr.update()
        return (gr.update(maximum=layers - 1, value=min(layers - 1, int(layer_now)),
                          label=f"Layer (0-{layers - 1}{also})"),
                gr.update(maximum=heads - 1, value=min(heads - 1, int(head_now)),
                          label=f"Head (0-{heads - 1}{also})"))
    dropdown.change(update, [dropdown, layer, head], [layer, head], api_visibility="private")
    # And at each page load, for the first choice: the sliders' defaults may not fit it (an operator's own model,
    # or a small one, may have fewer layers or heads). No inputs: a load trigger only, with the built values.
    gr.on(None, lambda: update(dropdown.value, layer.value, head.value), None, [layer, head],
          api_visibility="private")


def api_result(label: str = "As returned by the API") -> gr.JSON:
    """The endpoint's own result, folded away under the views drawn from it."""
    with gr.Accordion(label, open=False):
        return gr.JSON(show_label=False)
