"""Fill-mask tab: what the masked language model would put in the blank."""

import gradio as gr

from models import limits
from models.tasks import fill_mask
from tabs import _common

TITLE = "Fill-mask"
EXAMPLES = [["Paris is the [MASK] of France.", 5], ["I read a good [MASK] last night.", 5]]


def fill(text: str, top_k: int, choice: str, progress=gr.Progress()) -> tuple[dict[str, float], list[dict]]:
    candidates = fill_mask.fill(text, top_k, choice, _common.progress_callback(progress))
    return {c["token_str"]: c["score"] for c in candidates}, candidates


def build() -> None:
    _common.explain("BERT was trained to guess hidden words from both sides of the context. Put the "
                    "model's mask token in a sentence ([MASK] for BERT, <mask> for RoBERTa) to see its "
                    "top guesses and their probabilities.")
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="Text with one mask token", lines=2, max_length=limits.TEXT_CHARS)
            top_k = gr.Slider(1, limits.FILL_MASK_TOP_K, value=5, step=1, label="Candidates (top k)")
            picker, _ = _common.model_picker("fill_mask")
            button = gr.Button("Fill", variant="primary")
            gr.Examples(EXAMPLES, [text, top_k])
        with gr.Column():
            scores = gr.Label(label="Candidate tokens")
            filled = gr.JSON(label="Filled sentences", open=True)
    inputs = [text, top_k, picker]
    event = gr.on([button.click, text.submit], _common.guarded(fill), inputs, [scores, filled],
                  api_name="fill_mask", concurrency_id=_common.concurrency_id("fill_mask"))
    _common.show_code(event, "fill_mask", inputs, fill_mask.code)
