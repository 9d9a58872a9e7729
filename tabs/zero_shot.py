"""Zero-shot tab: score labels the model was never trained on."""

import gradio as gr

from models import limits
from models.tasks import zero_shot
from tabs import _common

TITLE = "Zero-shot"
EXAMPLES = [
    ["The new graphics card renders games at twice the frame rate.", "technology, sport, politics, cooking", False],
    ["The striker scored twice before half-time.", "sport, finance, weather", False],
    ["Bake the bread for forty minutes, then let it cool.", "cooking, instructions, travel", True],
]


def classify(text: str, labels: str, multi_label: bool, choice: str, progress=gr.Progress()) -> dict[str, float]:
    return zero_shot.classify(text, labels, multi_label, choice, _common.progress_callback(progress))


def build() -> None:
    _common.explain(
        "Each label becomes a hypothesis, \"This example is {label}.\". An NLI model (the Hub default, "
        "bart-large-mnli) scores how strongly the text entails it; offline, the MiniLM encoder instead "
        "compares sentence embeddings (cosine similarity; a softmax across labels unless multi-label).")
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="Text", lines=3, max_length=limits.TEXT_CHARS)
            labels = gr.Textbox(label="Candidate labels, comma-separated",
                                info=f"1 to {limits.ZERO_SHOT_LABELS} labels.")
            multi_label = gr.Checkbox(label="Labels are independent (multi-label)", value=False)
            picker, _ = _common.model_picker("zero_shot")
            button = gr.Button("Classify", variant="primary")
            gr.Examples(EXAMPLES, [text, labels, multi_label])
        with gr.Column():
            scores = gr.Label(label="Score of each label")
    inputs = [text, labels, multi_label, picker]
    event = gr.on([button.click, text.submit, labels.submit], _common.guarded(classify), inputs, scores,
                  api_name="zero_shot", concurrency_id=_common.concurrency_id("zero_shot"))
    _common.show_code(event, "zero_shot", inputs, zero_shot.code)
