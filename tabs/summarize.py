"""Summarization tab: an encoder-decoder writes a shorter text; long texts go piece by piece."""

import gradio as gr

from models import limits
from models.tasks import summarize
from tabs import _common

TITLE = "Summarization"
ARTICLE = (
    "The city council voted on Tuesday to turn the old railway yard into a public park. The site has been "
    "empty for twenty years and was used as a car park for the last decade. The plan includes a playground, "
    "a community garden and a path along the river. Work is expected to start in the spring and to take two "
    "years. Some residents asked for more housing instead, but the council said the park would be paid for "
    "by a national fund that cannot be used for housing. The mayor called the vote a turning point for the "
    "neighbourhood."
)
EXAMPLES = [[ARTICLE, 60, 20, 4]]


# The settings travel as one SummarySettings (`_common.with_settings`); each defaults to None, which gradio lists
# as optional (default null: the model's own) for API callers, as the empty boxes are on the page.
def run(text: str, settings: summarize.SummarySettings, choice: str | None = None, progress=gr.Progress()) -> str:
    return summarize.summarize(text, settings, choice, _common.progress_callback(progress))


RUN = _common.with_settings(run, summarize.SummarySettings.checked)
NOTE = _common.with_settings(summarize.note, summarize.SummarySettings.checked)
CODE = _common.with_settings(summarize.code, summarize.SummarySettings.checked)


def _own_setting(label: str, low: float, high: float, precision: int | None = 0) -> gr.Number:
    return gr.Number(None, minimum=low, maximum=high, precision=precision, label=label, placeholder="the model's own")


def own_settings(choice: str) -> list:
    """Each setting's box, its placeholder showing what the picked model uses when the box is left empty."""
    own = summarize.model_defaults(choice)
    return [gr.update(placeholder=f"the model's own: {own[name]}" if name in own else "the model's own")
            for name in summarize.OWN_NAMES]


def build() -> None:
    _common.explain(
        "An encoder reads the whole text; a decoder writes the summary token by token, here with beam "
        "search (several candidate summaries kept at each step). T5 is told the task by the prefix "
        "\"summarize: \" from its config. A text longer than the model reads at once is cut on sentence "
        "boundaries, each piece is summarized, and the summaries are joined.")
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="Text", lines=10, max_length=limits.SUMMARIZE_CHARS,
                              info=f"Up to {limits.SUMMARIZE_CHARS:,} characters.")
            # Empty means the model's own setting (its generation config), as for an API call that leaves it out;
            # each box shows that value once the model is picked (`own_settings`).
            with gr.Row():
                max_new_tokens = _own_setting("Max new tokens", 1, limits.SEQ2SEQ_NEW_TOKENS)
                min_new_tokens = _own_setting("Min new tokens", 0, limits.SEQ2SEQ_NEW_TOKENS)
                num_beams = _own_setting("Beams", 1, limits.SEQ2SEQ_BEAMS)
            with gr.Accordion("More settings (empty: the model's own)", open=False):
                length_penalty = _own_setting("Length penalty (above 1 favours longer summaries)", 0.0,
                                              limits.LENGTH_PENALTY_MAX, precision=None)
                no_repeat = _own_setting("No-repeat n-gram size (0: off)", 0, limits.NO_REPEAT_NGRAM_MAX)
            picker, _ = _common.model_picker("summarize")
            button = gr.Button("Summarize", variant="primary")
            gr.Examples(EXAMPLES, [text, max_new_tokens, min_new_tokens, num_beams])
        with gr.Column():
            summary = gr.Textbox(label="Summary", lines=8, interactive=False)
            how = gr.Markdown()
    inputs = [text, max_new_tokens, min_new_tokens, num_beams, length_penalty, no_repeat, picker]
    # No triggers: at page load and whenever the model changes (as the picker's note).
    gr.on(None, own_settings, picker, inputs[1:6], api_visibility="private")
    event = gr.on([button.click], _common.guarded(RUN), inputs, summary,
                  api_name="summarize", concurrency_id=_common.concurrency_id("summarize"))
    event.success(NOTE, inputs, how, api_visibility="private")
    _common.show_code(event, "summarize", inputs, CODE)
