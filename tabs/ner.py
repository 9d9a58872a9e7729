"""Named entities tab: entities highlighted over the original text, and as a table."""

import gradio as gr

from models import limits
from models.tasks import ner
from tabs import _common
from tabs._views import highlight

TITLE = "Named entities"
EXAMPLES = [
    "Angela Merkel met Emmanuel Macron in Paris to discuss Airbus.",
    "Hugging Face was founded in New York by Clément Delangue.",
]
TABLE_HEADERS = ["entity", "label", "score", "start", "end"]


def extract(text: str, choice: str, progress=gr.Progress()) -> tuple[dict, list[dict]]:
    entities = ner.extract(text, choice, _common.progress_callback(progress))
    return highlight.entities(text, entities), entities


def as_table(entities: list[dict]) -> list[list]:
    return [[e["word"], e["entity_group"], round(e["score"], 4), e["start"], e["end"]] for e in entities]


def build() -> None:
    _common.explain("Every token gets a tag (B-/I- for the beginning and inside of a person, "
                    "organisation, location or misc entity); tokens of one entity are merged back "
                    "into a span of the original text.")
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="Text", lines=3, max_length=limits.TEXT_CHARS,
                              info=f"Up to {limits.TEXT_CHARS:,} characters.")
            picker, _ = _common.model_picker("ner")
            button = gr.Button("Find entities", variant="primary")
            gr.Examples(EXAMPLES, [text])
        with gr.Column():
            highlighted = gr.HighlightedText(label="Entities in the text")
            table = gr.Dataframe(headers=TABLE_HEADERS, label="Entities", interactive=False)
            raw = gr.JSON(label="As returned by the API", open=False)
    event = gr.on([button.click, text.submit], _common.guarded(extract), [text, picker],
                  [highlighted, raw], api_name="ner", concurrency_id=_common.concurrency_id("ner"))
    event.success(as_table, raw, table, api_visibility="private")
    _common.show_code(event, "ner", [text, picker], ner.code)
