"""Sentiment tab: a sentence in, every class with its probability out."""

import gradio as gr

from models import limits
from models.tasks import sentiment
from tabs import _common

TITLE = "Sentiment"
EXAMPLES = [
    "I loved this film: the cast is wonderful and the ending made me smile.",
    "The battery died after two days and support never answered.",
    "The start was slow, but the second half was worth the wait.",
]


def classify(text: str, choice: str, progress=gr.Progress()) -> dict[str, float]:
    return sentiment.classify(text, choice, _common.progress_callback(progress))


def build() -> None:
    _common.explain("The text is split into tokens, run through a fine-tuned encoder, and the "
                    "classification head's scores become probabilities with a softmax.")
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="Text", lines=3, max_length=limits.TEXT_CHARS,
                              info=f"Up to {limits.TEXT_CHARS:,} characters.")
            picker, _ = _common.model_picker("sentiment")
            button = gr.Button("Classify", variant="primary")
            gr.Examples(EXAMPLES, [text])
        with gr.Column():
            scores = gr.Label(label="Probability of each class")
    event = gr.on([button.click, text.submit], _common.guarded(classify), [text, picker], scores,
                  api_name="sentiment", concurrency_id=_common.concurrency_id("sentiment"),
                  concurrency_limit=sentiment.MAX_BATCH)  # concurrent requests are batched in the model layer
    _common.show_code(event, "sentiment", [text, picker], sentiment.code)
