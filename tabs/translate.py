"""Translation tab: English into another language, with T5's task prefixes or a Marian model."""

import gradio as gr

from models import limits
from models.tasks import translate
from tabs import _common

TITLE = "Translation"
EXAMPLES = [
    ["The weather is lovely today, so we are going for a walk by the lake.", "German"],
    ["Where is the nearest train station?", "French"],
    ["I would like a cup of tea, please.", "Romanian"],
]
DEFAULT_NEW_TOKENS = 256  # the 4.x translation pipeline's default for t5-small


def run(text: str, target_language: str, max_new_tokens: int, choice: str, progress=gr.Progress()) -> str:
    return translate.translate(text, target_language, choice, _common.progress_callback(progress),
                               max_new_tokens=max_new_tokens)


def note(text: str, target_language: str, max_new_tokens: int, choice: str) -> str:
    return translate.note(text, target_language, choice, max_new_tokens)


def code(text: str, target_language: str, max_new_tokens: int, choice: str) -> str:
    return translate.code(text, target_language, choice, max_new_tokens=max_new_tokens)


def languages_for(choice: str) -> gr.Dropdown:
    offered = translate.offered(choice)
    return gr.Dropdown(choices=offered, value=offered[0])


def build() -> None:
    _common.explain(
        "An encoder-decoder reads the English and writes the translation token by token with beam search. "
        "T5 is one model for many tasks: the prefix from its config (\"translate English to German: \") "
        "says which. A Marian (opus-mt) model knows one language pair. Long texts are translated "
        "sentence by sentence.")
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="English text", lines=4, max_length=limits.TRANSLATE_CHARS,
                              info=f"Up to {limits.TRANSLATE_CHARS:,} characters.")
            # Custom values reach the model layer, which answers with the languages on offer.
            language = gr.Dropdown(translate.offered(), value="German", label="Target language",
                                   allow_custom_value=True)
            max_new_tokens = gr.Slider(1, limits.SEQ2SEQ_NEW_TOKENS, value=DEFAULT_NEW_TOKENS, step=1,
                                       label="Max new tokens per sentence")
            picker, _ = _common.model_picker("translate")
            button = gr.Button("Translate", variant="primary")
            gr.Examples(EXAMPLES, [text, language])
        with gr.Column():
            translation = gr.Textbox(label="Translation", lines=6, interactive=False)
            how = gr.Markdown()
    picker.change(languages_for, picker, language, api_visibility="private")
    inputs = [text, language, max_new_tokens, picker]
    event = gr.on([button.click, text.submit], _common.guarded(run), inputs, translation,
                  api_name="translate", concurrency_id=_common.concurrency_id("translate"))
    event.success(note, inputs, how, api_visibility="private")
    _common.show_code(event, "translate", inputs, code)
