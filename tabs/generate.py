"""Text generation studio: GPT-2 continues a prompt token by token, with every decoding control,
what the model was thinking at each step, and greedy vs sampling vs beam search side by side."""

import gradio as gr

from models import limits
from models.tasks import generate
from models.tasks.generate import GenerationSettings
from serving.bridge import Bridge
from tabs import _common, _learning, _views

TITLE = "Text generation"
EXAMPLES = [
    ["Once upon a time, a small robot", "sampling", 40],
    ["The key idea of attention is", "greedy", 40],
    ["The best way to learn a new language is", "beam search", 30],
]
BAND_COLOURS = dict(zip((label for label, _ in generate.BANDS), ("#4caf50", "#cddc39", "#ff9800", "#f44336")))
STRATEGY_NOTES = {
    "greedy": "**Greedy:** always the likeliest next token. Deterministic, often repetitive; one sequence.",
    "sampling": "**Sampling:** each token is drawn from the distribution reshaped by temperature, top-k "
                "and top-p. The seed makes the draw repeatable.",
    "beam search": "**Beam search:** keeps the likeliest few partial texts (beams) and picks the best at "
                   "the end, so **the text appears when it is done**: transformers cannot stream beam "
                   "search (until then the output shows the prompt alone).",
}
CAPS = (f"**Limits:** prompt up to {limits.PROMPT_CHARS:,} characters; up to {limits.GENERATE_NEW_TOKENS} "
        f"new tokens, {limits.GENERATE_SEQUENCES} sequences and {limits.GENERATE_BEAMS} beams; temperature "
        f"0.01–{limits.TEMPERATURE_MAX:g}; top-k up to {limits.GENERATE_TOP_K:,}; repetition penalty "
        f"1–{limits.REPETITION_PENALTY_MAX:g}; no-repeat n-gram size up to {limits.NO_REPEAT_NGRAM_MAX}.")


def run(prompt: str, settings: GenerationSettings, choice: str | None = None,
        progress=gr.Progress()) -> Bridge[tuple[str, list[str]]]:
    return generate.stream(prompt, settings, choice, _common.progress_callback(progress)).map(
        lambda texts: (texts[0], texts))


def think(prompt: str, settings: GenerationSettings, choice: str | None = None,
          progress=gr.Progress()) -> Bridge[tuple[list[tuple[str, str | None]], list[dict]]]:
    return generate.thinking(prompt, settings, choice, _common.progress_callback(progress)).map(
        lambda view: (_views.highlight.generated(prompt, view), view["steps"]))


def compare_settings(max_new_tokens, temperature, top_k, top_p, seed, num_beams=generate.COMPARE_BEAMS,
                     repetition_penalty=1.0, no_repeat_ngram_size=0) -> GenerationSettings:
    """The side-by-side's inputs (one sequence each; do_sample and beams follow each strategy)."""
    return GenerationSettings.for_strategy(
        "beam search", max_new_tokens=max_new_tokens, temperature=temperature, top_k=top_k, top_p=top_p,
        seed=seed, num_beams=num_beams, repetition_penalty=repetition_penalty,
        no_repeat_ngram_size=no_repeat_ngram_size)


def compare(prompt: str, settings: GenerationSettings, choice: str | None = None,
            progress=gr.Progress()) -> Bridge[tuple[str, str, str]]:
    return generate.compare(prompt, settings, choice, _common.progress_callback(progress)).map(
        lambda texts: tuple(texts.get(strategy, "") for strategy in generate.STRATEGIES))


def attend(prompt: str, settings: GenerationSettings, layer: int = -1, head: int = -1, choice: str | None = None,
           progress=gr.Progress()) -> tuple:
    result = generate.attending(prompt, settings, layer, head, choice, _common.progress_callback(progress))
    return _views.figures.generated_attention(result), result


# The endpoints' inputs, one per setting (API.md's order), made into one GenerationSettings per call.
RUN = _common.with_settings(run, GenerationSettings.checked)
CODE = _common.with_settings(generate.code, GenerationSettings.checked)
THINK = _common.with_settings(think, GenerationSettings.checked)
THINK_CODE = _common.with_settings(generate.probabilities_code, GenerationSettings.checked)
ATTEND = _common.with_settings(attend, GenerationSettings.checked)
ATTEND_CODE = _common.with_settings(generate.attention_code, GenerationSettings.checked)
COMPARE = _common.with_settings(compare, compare_settings)
COMPARE_CODE = _common.with_settings(generate.compare_code, compare_settings)


def pick_strategy(strategy: str, num_beams: int) -> tuple:
    """The radio drives the API's do_sample and num_beams, and shows the controls that strategy uses."""
    beam = strategy == "beam search"
    beams = (int(num_beams) if num_beams and num_beams > 1 else generate.COMPARE_BEAMS) if beam else 1
    return (strategy == "sampling", gr.update(value=beams, visible=beam),
            gr.update(visible=strategy == "sampling"), STRATEGY_NOTES[strategy])


def after_thinking(steps: list[dict]) -> tuple:
    plot, caption = _views.charts.alternatives(steps, 1)
    # A slider needs minimum < maximum, even for a one-step generation.
    return gr.update(maximum=max(len(steps), 2), value=1), plot, caption


def step_from_click(evt: gr.SelectData) -> int:
    # The highlighted text is the prompt followed by one entry per step.
    return max(int(evt.index), 1)


def _controls() -> dict:
    """The decoding controls, in a column; returns them by name."""
    c = {}
    c["strategy"] = gr.Radio(list(generate.STRATEGIES), value="sampling", label="Decoding strategy")
    with gr.Row():
        c["max_new_tokens"] = gr.Slider(1, limits.GENERATE_NEW_TOKENS, value=40, step=1,
                                        label=f"Max new tokens (up to {limits.GENERATE_NEW_TOKENS})")
        c["num_return_sequences"] = gr.Slider(1, limits.GENERATE_SEQUENCES, value=1, step=1,
                                              label=f"Sequences (up to {limits.GENERATE_SEQUENCES})")
    with gr.Row() as c["sampling_row"]:
        c["temperature"] = gr.Slider(0.01, limits.TEMPERATURE_MAX, value=1.0, step=0.01, label="Temperature",
                                     info="Below 1 sharpens the distribution, above 1 flattens it.")
        c["top_k"] = gr.Slider(0, limits.GENERATE_TOP_K, value=50, step=1, label="Top-k (0: off)",
                               info="Draw only from the k likeliest tokens.")
        c["top_p"] = gr.Slider(0.01, 1.0, value=1.0, step=0.01, label="Top-p (1: off)",
                               info="Draw only from the likeliest tokens that together reach p.")
    c["num_beams"] = gr.Slider(1, limits.GENERATE_BEAMS, value=1, step=1, visible=False,
                               label=f"Beams (up to {limits.GENERATE_BEAMS})")
    with gr.Row():
        c["repetition_penalty"] = gr.Slider(1.0, limits.REPETITION_PENALTY_MAX, value=1.0, step=0.05,
                                            label="Repetition penalty (1: off)",
                                            info="Divides the score of tokens already in the text.")
        c["no_repeat_ngram_size"] = gr.Slider(0, limits.NO_REPEAT_NGRAM_MAX, value=0, step=1,
                                              label="No-repeat n-gram size (0: off)",
                                              info="Never repeat a run of this many tokens.")
    c["seed"] = gr.Number(value=0, precision=0, label="Seed", minimum=0, maximum=limits.SEED_MAX)
    # The API's do_sample (docs/api.md); the strategy radio sets it.
    c["do_sample"] = gr.Checkbox(value=True, label="do_sample", visible=False)
    return c


def after_attention(result: object) -> tuple:
    view, caption = _views.highlight.attended_step(result, 1)  # checks what the browser sent back
    steps = len(result["attention"]) if view else 1
    # A slider needs minimum < maximum, even for a one-step generation.
    return gr.update(maximum=max(steps, 2), value=1), view, caption


def _thinking_panel(inputs: list, strategy: gr.Radio):
    with gr.Accordion("What the model was thinking", open=False):
        gr.Markdown("Re-runs the same settings (same seed, same text) and colours each generated token of "
                    "the first sequence by the probability the model gave it. Click a token, or move the "
                    "slider, to see the alternatives it weighed at that step.")
        button = gr.Button("Show probabilities")
        tokens = gr.HighlightedText(label="Generated tokens by probability", color_map=BAND_COLOURS,
                                    show_legend=True, show_inline_category=False, combine_adjacent=False)
        with gr.Row():
            step = gr.Slider(1, limits.GENERATE_NEW_TOKENS, value=1, step=1, label="Step")
            caption = gr.Markdown()
        plot = gr.BarPlot(x="token", y="probability", color="kind", sort="-y",
                          color_map={"chosen": "#1976d2", "alternative": "#9e9e9e"},
                          label="Top alternatives at this step")
        steps = gr.JSON(label="Every step (token, probability, alternatives)", open=False)
    event = button.click(_common.guarded(THINK), inputs, [tokens, steps], api_name="generate_probabilities",
                         concurrency_id=_common.concurrency_id("generate"))
    event.success(after_thinking, steps, [step, plot, caption], api_visibility="private")
    step.release(_views.charts.alternatives, [steps, step], [plot, caption], api_visibility="private")
    tokens.select(step_from_click, None, step, api_visibility="private").then(
        _views.charts.alternatives, [steps, step], [plot, caption], api_visibility="private")
    _common.show_code(event, "generate_probabilities", inputs, THINK_CODE, link_also={"strategy": strategy})
    return event


def _attention_panel(inputs: list, strategy: gr.Radio):
    with gr.Accordion("What each new token was written from (attention)", open=False):
        gr.Markdown("Re-runs the same settings (same seed, same text), then reads GPT-2's attention at each step: "
                    "row *i* is what the position that wrote new token *i* attended to, over the prompt and the "
                    "tokens written before it (a causal model never sees a later one). Move the slider to read one "
                    f"step over the text. Up to {limits.GENERATED_ATTENTION_TOKENS} tokens, prompt included.")
        with gr.Row():
            # Their range follows the picked model (GPT-2: 12 layers, distilgpt2 6, the offline stand-in 2).
            layer = gr.Slider(-1, 11, value=-1, step=1, label="Layer (counted from 0; -1: the mean of all layers)")
            head = gr.Slider(-1, 11, value=-1, step=1, label="Head (counted from 0; -1: the mean of the heads)")
        button = gr.Button("Show attention")
        plot = gr.Plot(label="Attention at each step", show_label=False)
        with gr.Row():
            step = gr.Slider(1, limits.GENERATE_NEW_TOKENS, value=1, step=1, label="Step")
            caption = gr.Markdown()
        attended = gr.HighlightedText(label="What it looked at (share of its attention, over the largest)",
                                      combine_adjacent=False, show_legend=False)
        raw = gr.JSON(label="Every step (as the API returns it)", open=False)
    _learning.follow_shape(inputs[-1], layer, head, mean=True)  # inputs[-1]: the model picker
    inputs = [*inputs[:-1], layer, head, inputs[-1]]
    event = button.click(_common.guarded(ATTEND), inputs, [plot, raw], api_name="generate_attention",
                         concurrency_id=_common.concurrency_id("generate"))
    event.success(after_attention, raw, [step, attended, caption], api_visibility="private")
    step.release(_views.highlight.attended_step, [raw, step], [attended, caption],
                 api_visibility="private")
    _common.show_code(event, "generate_attention", inputs, ATTEND_CODE, link_also={"strategy": strategy})
    return event


def _compare_panel(c: dict, prompt: gr.Textbox, picker: gr.Dropdown):
    with gr.Accordion("Side by side: greedy vs sampling vs beam search", open=False):
        gr.Markdown("The same prompt and length, decoded three ways (one sequence each). Sampling uses "
                    "the temperature, top-k, top-p and seed above.")
        with gr.Row():
            beams = gr.Slider(2, limits.GENERATE_BEAMS, value=generate.COMPARE_BEAMS, step=1,
                              label=f"Beams for beam search (up to {limits.GENERATE_BEAMS})")
            button = gr.Button("Compare")
        with gr.Row():
            boxes = [gr.Textbox(label=strategy.capitalize(), lines=6) for strategy in generate.STRATEGIES]
    inputs = [prompt, c["max_new_tokens"], c["temperature"], c["top_k"], c["top_p"], c["seed"], beams,
              c["repetition_penalty"], c["no_repeat_ngram_size"], picker]
    event = button.click(_common.guarded(COMPARE), inputs, boxes, api_name="generate_compare",
                         concurrency_id=_common.concurrency_id("generate"))
    _common.show_code(event, "generate_compare", inputs, COMPARE_CODE)
    return event


def build() -> None:
    _common.explain("A causal language model predicts the next token from the ones before it, again and "
                    "again. Greedy decoding takes the likeliest token; sampling draws one, shaped by "
                    "temperature, top-k and top-p; beam search follows several candidates and keeps the "
                    "best. The same seed and settings give the same text.")
    with gr.Row():
        with gr.Column():
            prompt = gr.Textbox(label="Prompt", lines=3, max_length=limits.PROMPT_CHARS,
                                info=f"Up to {limits.PROMPT_CHARS:,} characters.")
            c = _controls()
            picker, _ = _common.model_picker("generate")
            with gr.Row():
                button = gr.Button("Generate", variant="primary")
                stop = gr.Button("Stop", variant="stop")
            gr.Markdown(CAPS)
            gr.Examples(EXAMPLES, [prompt, c["strategy"], c["max_new_tokens"]])
        with gr.Column():
            note = gr.Markdown(STRATEGY_NOTES["sampling"])
            first = gr.Textbox(label="Generated text (first sequence)", lines=8)
            every = gr.JSON(label="All sequences")
    c["strategy"].change(pick_strategy, [c["strategy"], c["num_beams"]],
                         [c["do_sample"], c["num_beams"], c["sampling_row"], note], api_visibility="private")
    inputs = [prompt, c["max_new_tokens"], c["temperature"], c["top_k"], c["top_p"], c["do_sample"],
              c["num_return_sequences"], c["seed"], c["num_beams"], c["repetition_penalty"],
              c["no_repeat_ngram_size"], picker]
    event = gr.on([button.click, prompt.submit], _common.guarded(RUN), inputs, [first, every],
                  api_name="generate", concurrency_id=_common.concurrency_id("generate"))
    _common.show_code(event, "generate", inputs, CODE, link_also={"strategy": c["strategy"]})
    thinking = _thinking_panel(inputs, c["strategy"])
    attention = _attention_panel(inputs, c["strategy"])
    side_by_side = _compare_panel(c, prompt, picker)
    # Cancelling cancels the handler's task, which closes its bridge: generation stops at its next step.
    stop.click(None, None, None, cancels=[event, thinking, attention, side_by_side], api_visibility="private")
