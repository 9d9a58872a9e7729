"""Why? tab: seven ways to see why a model answered as it did, each with its own endpoint and Show code.

One tab rather than a section in seven others: the views answer one question across tasks (attribution and head
ablation work on several task models), and learners compare them side by side.
"""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from models import limits
from models.tasks import (
    attribution,
    cross_attention,
    embedding_projection,
    head_ablation,
    internals,
    logit_lens,
    neuron_view,
    sampling_distribution,
    translate,
    why_common,
)
from tabs import _common, _learning, _views

TITLE = "Why?"
TASK_NAMES = {"sentiment": "Sentiment", "zero_shot": "Zero-shot", "fill_mask": "Fill-mask",
              "generate": "Text generation (next token)"}
DEFAULT_MODEL = ("The task's default model", why_common.DEFAULT_CHOICE)
ATTRIBUTION_EXAMPLES = [
    ["The service was slow and the staff were rude.", "sentiment", ""],
    ["The food was cold and bland.", "sentiment", ""],
    ["The striker scored twice before half-time.", "zero_shot", "sport"],
    ["Paris is the [MASK] of France.", "fill_mask", ""],
    ["The capital of France is", "generate", ""],
]
ABLATION_EXAMPLES = [
    ["The service was slow and the staff were rude.", "0.1, 2.3", "sentiment"],
    ["The food was cold and bland.", "5.*", "sentiment"],
    ["Paris is the [MASK] of France.", "0.0, 1.*", "fill_mask"],
]
LENS_EXAMPLES = [["The capital of France is"], ["Once upon a time there was a"]]
SAMPLING_EXAMPLES = [
    ["Once upon a time, a small robot", 1.0, 50, 1.0],
    ["The best way to learn a language is", 0.5, 10, 0.9],
    ["The weather today is", 2.0, 0, 1.0],
]
CROSS_EXAMPLES = [["The house is wonderful.", "German"], ["Where is the nearest train station?", "French"]]
NEURON_EXAMPLES = [["The cat sat on the mat.", 2, 0],
                   ["The animal didn't cross the street because it was tired.", 4, 3]]
PROJECTION_EXAMPLE = "\n".join([
    "I loved this film.", "What a wonderful movie.", "The acting was superb.",
    "The stock market fell today.", "Shares dropped sharply after the report.",
    "My cat sleeps all day.", "The dog chased the ball.",
])


# ---- handlers: plain data from the model layer, drawn by tabs/_views -------------------------------------

def attribute(text, task, target, method, steps, choice, progress=gr.Progress()) -> tuple:
    result = attribution.explain(text, task, target, method, steps, choice,
                                 _common.progress_callback(progress))
    return _views.highlight.attributed(text, result), result


def ablate(text, heads, task, choice, progress=gr.Progress()) -> tuple:
    result = head_ablation.ablate(text, heads, task, choice, _common.progress_callback(progress))
    return _views.figures.ablation(result), result


def lens(text, choice, progress=gr.Progress()) -> tuple:
    result = logit_lens.lens(text, choice, _common.progress_callback(progress))
    return _views.figures.logit_lens(result), result


def sample(prompt, temperature, top_k, top_p, choice, progress=gr.Progress()) -> tuple:
    result = sampling_distribution.distribution(prompt, temperature, top_k, top_p, choice,
                                                _common.progress_callback(progress))
    return _views.figures.sampling(result, float(temperature), int(top_k), float(top_p)), result


def cross(text, target_language, layer, head, max_new_tokens, choice, progress=gr.Progress()) -> tuple:
    view = cross_attention.attend(text, target_language, layer, head, max_new_tokens, choice,
                                  _common.progress_callback(progress))
    return _views.bertviz.cross_attention(view), _views.figures.cross_attention(view.result), view.result


def neurons(text, layer, head, choice, progress=gr.Progress()) -> tuple:
    view = neuron_view.neuron(text, layer, head, choice, _common.progress_callback(progress))
    return _views.bertviz.neuron(view), view.result


def project(sentences, layer, choice, progress=gr.Progress()) -> tuple:
    result = embedding_projection.project(sentences, layer, choice, _common.progress_callback(progress))
    return _views.figures.projection(result), result


# ---- shared pieces of the layout ----------------------------------------------------------------------------

def task_picker(tasks: tuple[str, ...], value: str = "sentiment") -> tuple[gr.Radio, gr.Dropdown]:
    """A task radio and a model dropdown that offers the chosen task's models (empty: its default)."""
    task = gr.Radio([(TASK_NAMES[key], key) for key in tasks], value=value, label="Task")
    picker = gr.Dropdown([DEFAULT_MODEL, *why_common.choices(tasks)], value=why_common.DEFAULT_CHOICE,
                         label="Model", allow_custom_value=False)
    note = gr.Markdown()

    def offer(chosen: str) -> dict:
        return gr.update(choices=[DEFAULT_MODEL, *why_common.choices([chosen])], value=why_common.DEFAULT_CHOICE)

    task.change(offer, task, picker, api_visibility="private")
    # No triggers: on page load and on every change, so building the app never waits on the Hub probe.
    gr.on(None, lambda chosen, choice: _common.model_note(chosen, choice or None), [task, picker], note,
          api_visibility="private")
    return task, picker


def layer_head(layers: int = 11, heads: int = 11) -> tuple[gr.Slider, gr.Slider]:
    return (gr.Slider(0, layers, value=0, step=1, label="Layer (counted from 0)"),
            gr.Slider(0, heads, value=0, step=1, label="Head (counted from 0)"))


def outputs_json() -> gr.JSON:
    return _learning.api_result("The numbers (as the API returns them)")


def text_box(value: str, info: str = f"Up to {limits.WHY_CHARS:,} characters and {limits.WHY_TOKENS} tokens.",
             label: str = "Text") -> gr.Textbox:
    """A view's text input, its caps stated beside it."""
    return gr.Textbox(label=label, lines=2, value=value, max_length=limits.WHY_CHARS, info=info)


def plot_and_numbers(label: str) -> tuple[gr.Plot, gr.JSON]:
    """The right-hand column of a view: its figure, and its numbers folded away under it."""
    with gr.Column():
        return gr.Plot(label=label, show_label=False), outputs_json()  # the figure has its own titles


def wire(triggers: list, handler: Callable, inputs: list, outputs: list, api_name: str, task: str,
         code: Callable[..., str]) -> gr.events.Dependency:
    """The view's public event, in its model's concurrency group, and its Show code panel."""
    event = gr.on(triggers, _common.guarded(handler), inputs, outputs, api_name=api_name,
                  concurrency_id=_common.concurrency_id(task))
    _common.show_code(event, api_name, inputs, code)
    return event


# ---- the seven views -------------------------------------------------------------------------------------------

def _attribution() -> None:
    _common.explain("Integrated gradients blanks the text's words out (each token's embedding becomes [PAD]'s) and "
                    "brings them back in small steps, adding up how much each token moved the score: the shares "
                    "sum to the score's change. Gradient × input is the one-step shortcut. Red pushes the score up, "
                    "purple down.")
    with gr.Row():
        with gr.Column():
            text = text_box(ATTRIBUTION_EXAMPLES[0][0])
            task, picker = task_picker(tuple(attribution.EXPLAINERS))
            target = gr.Textbox("", label="Target (empty: the model's own prediction)",
                                max_length=limits.ATTRIBUTION_TARGET_CHARS,
                                info="A class (sentiment), a label (zero-shot: required), or one token (fill-mask, "
                                     "next token; GPT-2 tokens often start with a space). Up to "
                                     f"{limits.ATTRIBUTION_TARGET_CHARS} characters.")
            method = gr.Radio([("Integrated gradients", "integrated_gradients"),
                               ("Gradient × input", "gradient_x_input")], value="integrated_gradients",
                              label="Method")
            steps = gr.Slider(1, limits.ATTRIBUTION_STEPS, value=32, step=1, label="Steps (integrated gradients)",
                              info=f"Points on the path, up to {limits.ATTRIBUTION_STEPS}: each costs a forward "
                                   "and a backward pass; more steps, smaller completeness gap.")
            button = gr.Button("Explain", variant="primary")
            gr.Examples(ATTRIBUTION_EXAMPLES, [text, task, target])
        with gr.Column():
            tokens = gr.HighlightedText(label="Tokens by score (share of the largest)", show_legend=True,
                                        combine_adjacent=False)
            summary = gr.Markdown()
            raw = outputs_json()
    event = wire([button.click, text.submit], attribute, [text, task, target, method, steps, picker], [tokens, raw],
                 "attribution", "sentiment", attribution.code)
    event.success(_views.highlight.attribution_summary, raw, summary, api_visibility="private")


def _ablation() -> None:
    _common.explain("Each head of a layer writes its own slice of one vector, which the layer then mixes. Zeroing a "
                    "head's slice silences it: the probabilities show what the model says without it, and the map "
                    "what each head, silenced alone, changes in the predicted class's probability.")
    with gr.Row():
        with gr.Column():
            text = text_box(ATTRIBUTION_EXAMPLES[0][0])
            heads = gr.Textbox(label="Heads to silence", value="0.1, 2.3", max_length=limits.ABLATION_HEADS_CHARS,
                               info="layer.head, counted from 0: \"0.1, 2.3\"; 2.* silences all of layer 2; "
                                    f"empty silences none. Up to {limits.ABLATION_HEADS_CHARS:,} characters.")
            task, picker = task_picker(head_ablation.TASKS)
            button = gr.Button("Silence them", variant="primary")
            gr.Examples(ABLATION_EXAMPLES, [text, heads, task])
        plot, raw = plot_and_numbers("Before and after; each head alone")
    wire([button.click, text.submit], ablate, [text, heads, task, picker], [plot, raw], "ablate_heads", "sentiment",
         head_ablation.code)


def _logit_lens() -> None:
    _common.explain("GPT-2 turns its last hidden vector into next-token scores with a final layer norm and its "
                    "language-model head. Applying the same two after every layer shows the guess forming: early "
                    "layers often echo the input, later ones settle on the answer.")
    with gr.Row():
        with gr.Column():
            text = text_box("The capital of France is")
            picker, _ = _common.model_picker("generate")
            button = gr.Button("Look through the layers", variant="primary")
            gr.Examples(LENS_EXAMPLES, [text])
        plot, raw = plot_and_numbers("Top guess per layer and position")
    wire([button.click, text.submit], lens, [text, picker], [plot, raw], "logit_lens", "generate", logit_lens.code)


def _sampling() -> None:
    _common.explain("Before drawing a token, generate() reshapes the model's distribution: temperature divides the "
                    "scores (below 1 sharpens, above 1 flattens), top-k keeps the k likeliest, top-p the likeliest "
                    "that reach p together. The right panel is exactly what it then samples from.")
    with gr.Row():
        with gr.Column():
            prompt = gr.Textbox(label="Prompt", lines=2, value="Once upon a time, a small robot",
                                max_length=limits.PROMPT_CHARS, info=f"Up to {limits.PROMPT_CHARS:,} characters.")
            temperature = gr.Slider(0.01, limits.TEMPERATURE_MAX, value=1.0, step=0.01, label="Temperature",
                                    info=f"0.01 to {limits.TEMPERATURE_MAX:g}.")
            top_k = gr.Slider(0, limits.GENERATE_TOP_K, value=50, step=1, label="Top-k (0: off)",
                              info=f"Up to {limits.GENERATE_TOP_K:,}.")
            top_p = gr.Slider(0.01, 1.0, value=1.0, step=0.01, label="Top-p (1: off)")
            picker, _ = _common.model_picker("generate")
            button = gr.Button("Show the distribution", variant="primary")
            gr.Examples(SAMPLING_EXAMPLES, [prompt, temperature, top_k, top_p])
        plot, raw = plot_and_numbers(f"The {limits.SAMPLING_SHOWN} likeliest next tokens, before and after")
    wire([button.click, prompt.submit], sample, [prompt, temperature, top_k, top_p, picker], [plot, raw],
         "sampling_distribution", "generate", sampling_distribution.code)


def _cross_attention() -> None:
    _common.explain("While the decoder writes each target token it attends over the encoded source: a softmax "
                    "across the source tokens, so each row sums to 1. The translation is the Translation tab's "
                    "(same prefix, beams and length); the weights are read back from it.")
    with gr.Row():
        with gr.Column():
            text = text_box("The house is wonderful.", label="English text",
                            info=f"One piece: up to {limits.CROSS_ATTENTION_TOKENS} tokens with the task prefix.")
            language = gr.Dropdown(translate.offered(), value="German", label="Target language",
                                   allow_custom_value=True)
            layer, head = layer_head()
            max_new_tokens = gr.Slider(1, limits.CROSS_ATTENTION_NEW_TOKENS, value=limits.CROSS_ATTENTION_NEW_TOKENS,
                                       step=1, label=f"Max new tokens (up to {limits.CROSS_ATTENTION_NEW_TOKENS})")
            picker, _ = _common.model_picker("translate")
            _learning.follow_shape(picker, layer, head, cross_attention.shape)
            button = gr.Button("Show cross-attention", variant="primary")
            gr.Examples(CROSS_EXAMPLES, [text, language])
        with gr.Column():
            heatmap = gr.Plot(label="One head: target tokens (rows) over source tokens (columns)", show_label=False)
            raw = outputs_json()
    views = gr.HTML(label="bertviz head view and model view of the cross-attention")
    picker.change(lambda choice: gr.update(choices=translate.offered(choice), value=translate.offered(choice)[0]),
                  picker, language, api_visibility="private")
    wire([button.click, text.submit], cross, [text, language, layer, head, max_new_tokens, picker],
         [views, heatmap, raw], "cross_attention", "translate", cross_attention.code)


def _neuron_view() -> None:
    _common.explain("bertviz's neuron view opens up one head: each token's query vector, every key vector, their "
                    "elementwise product and dot product, and the softmax that turns the scores into attention. "
                    "Hover over a token on the left.")
    with gr.Row():
        with gr.Column():
            text = text_box("The cat sat on the mat.",
                            info=f"Up to {limits.NEURON_TOKENS} tokens: every vector is drawn.")
            layer, head = layer_head()
            picker, _ = _common.model_picker("encoder")
            _learning.follow_shape(picker, layer, head)
            button = gr.Button("Show the neuron view", variant="primary")
            gr.Examples(NEURON_EXAMPLES, [text, layer, head])
        raw = outputs_json()
    view = gr.HTML(label="bertviz neuron view")
    wire([button.click, text.submit], neurons, [text, layer, head, picker], [view, raw], "neuron_view", "encoder",
         neuron_view.code)


def _projection() -> None:
    _common.explain("Each sentence becomes one vector: the mean of its token vectors at the chosen layer. PCA keeps "
                    "the two directions along which these vectors differ most; sentences that the model treats "
                    "alike land close together.")
    with gr.Row():
        with gr.Column():
            sentences = gr.Textbox(label="Sentences, one per line", lines=7, value=PROJECTION_EXAMPLE,
                                   max_length=limits.PROJECTION_CHARS,
                                   info=f"{limits.PROJECTION_MIN_SENTENCES} to {limits.PROJECTION_SENTENCES} "
                                        f"sentences of up to {limits.PROJECTION_TOKENS} tokens; "
                                        f"{limits.PROJECTION_CHARS:,} characters in all.")
            layer = gr.Slider(-1, 12, value=-1, step=1, label="Layer (0: the embeddings; -1: the last)")
            picker, _ = _common.model_picker("encoder")
            button = gr.Button("Project", variant="primary")
            gr.Examples([[PROJECTION_EXAMPLE, -1], [PROJECTION_EXAMPLE, 0]], [sentences, layer])
        plot, raw = plot_and_numbers("The sentences in 2-D")

    def follow(choice: str, now: int) -> dict:
        try:
            layers = internals.shape(choice)[0]
        except Exception:  # a remote or unreadable model: leave the slider; the task says what is wrong
            return gr.update()
        return gr.update(maximum=layers, value=min(int(now), layers), label=f"Layer (0: the embeddings to "
                                                                         f"{layers}; -1: the last)")

    picker.change(follow, [picker, layer], layer, api_visibility="private")
    wire([button.click], project, [sentences, layer, picker], [plot, raw], "embedding_projection", "encoder",
         embedding_projection.code)


def build() -> None:
    _common.explain("Seven ways to ask a model why: which words drove its answer, what its heads do, what each "
                    "layer would predict, what generate() really samples from, where a translation looks, how "
                    "queries meet keys, and where sentences land. Each view prints the code that reproduces it.")
    for title, section in (("Which words mattered", _attribution), ("Silencing heads", _ablation),
                           ("Logit lens", _logit_lens), ("Sampling distribution", _sampling),
                           ("Cross-attention", _cross_attention), ("Neuron view", _neuron_view),
                           ("Embedding projection", _projection)):
        with gr.Tab(title):
            section()
