"""Named entities tab: entities highlighted over the original text, and as a table."""

import gradio as gr

from models import limits
from models.tasks import ner
from tabs import _common, _views

TITLE = "Named entities"
EXAMPLES = [
    "Angela Merkel met Emmanuel Macron in Paris to discuss Airbus.",
    "Hugging Face was founded in New York by Clément Delangue.",
]
TABLE_HEADERS = ["entity", "label", "score", "start", "end"]


def extract(text: str, choice: str, progress=gr.Progress()) -> tuple[dict, list[dict]]:
    entities = ner.extract(text, choice, _common.progress_callback(progress))
    return _views.highlight.entities(text, entities), entities


def tag_tokens(text: str, choice: str, progress=gr.Progress()) -> tuple[list, list[dict]]:
    tags = ner.token_tags(text, choice, _common.progress_callback(progress))
    return _views.highlight.token_tags(text, tags), tags


def as_table(entities: list[dict]) -> list[list]:
    return [[e["word"], e["entity_group"], round(e["score"], 4), e["start"], e["end"]] for e in entities]


def build() -> None:
    _common.explain("Every token gets a tag (B-/I- for the beginning and inside of a person, "
                    "organisation, location or misc entity, O outside any); tokens of one entity are merged "
                    "back into a span of the original text. Both are shown: the spans, and each token's own tag.")
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="Text", lines=3, max_length=limits.TEXT_CHARS,
                              info=f"Up to {limits.TEXT_CHARS:,} characters.")
            picker, _ = _common.model_picker("ner")
            button = gr.Button("Find entities", variant="primary")
            gr.Examples(EXAMPLES, [text])
        with gr.Column():
            highlighted = gr.HighlightedText(label="Entities in the text (merged spans)")
            tagged = gr.HighlightedText(label="Every token's tag (what the spans are merged from)",
                                        combine_adjacent=False, show_legend=True)
            table = gr.Dataframe(headers=TABLE_HEADERS, label="Entities", interactive=False)
            raw = gr.JSON(label="As returned by the API", open=False)
            tags = gr.JSON(label="Every token, as /ner_tokens returns it", open=False)
    triggers = [button.click, text.submit]
    event = gr.on(triggers, _common.guarded(extract), [text, picker], [highlighted, raw], api_name="ner",
                  concurrency_id=_common.concurrency_id("ner"))
    event.success(as_table, raw, table, api_visibility="private")
    _common.show_code(event, "ner", [text, picker], ner.code)
    # A separate endpoint: /ner's two outputs are a contract that scripts unpack. The same click runs both.
    tokens = gr.on(triggers, _common.guarded(tag_tokens), [text, picker], [tagged, tags], api_name="ner_tokens",
                   concurrency_id=_common.concurrency_id("ner"))
    _common.show_code(tokens, "ner_tokens", [text, picker], ner.token_tags_code)
