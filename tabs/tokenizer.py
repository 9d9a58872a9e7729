"""Tokenizer explorer tab: one tokenizer in detail, the three side by side, and a padded batch."""

import gradio as gr

from models import limits
from models.registry import TOKENIZERS
from models.tasks import tokens
from tabs import _common, _learning, _views

TITLE = "Tokenizer"
NAMES = list(TOKENIZERS)
EXAMPLES = ["I read a good novel.", "Tokenization isn't magic: it's unbelievably mundane! 🤗",
            "GPT-2 and BERT split   spaces, numbers like 1234567 and émigrés differently."]
BATCH_EXAMPLE = ("I read a good novel.\nAttention is a novel idea.\n"
                 "Transformers turn tokens into vectors, layer by layer.")
COLOURS = dict(zip((_views.highlight.SPECIAL, *_views.highlight.TOKEN_LABELS[:2]), ("#ef4444", "#93c5fd", "#fcd34d")))
TABLE_HEADERS = ["#", "token", "id", "special", "start", "end", "word", "type id", "mask"]


def tokenize(text: str, tokenizer: str) -> dict:
    return tokens.tokenize(text, tokenizer)


def tokenize_batch(sentences: str, tokenizer: str, max_length: int, padding: str) -> dict:
    return tokens.batch(sentences, tokenizer, max_length, padding)


def queue_group() -> str:
    """The explorer's first tokenizer is bert-base-uncased, the encoder's own checkpoint: one queue group."""
    return _common.concurrency_id("encoder")


def table(result: dict) -> list[list]:
    types = result.get("token_type_ids") or [""] * len(result["tokens"])
    return [[i, token, ident, "yes" if special else "", start, end, "" if word is None else word, kind, mask]
            for i, (token, ident, special, (start, end), word, kind, mask) in enumerate(zip(
                result["tokens"], result["input_ids"], result["special_tokens_mask"], result["offsets"],
                result["word_ids"], types, result["attention_mask"]))]


def show(text: str, name: str, result: dict) -> tuple:
    return (_views.highlight.tokens(text, result), table(result), result["decoded"], tokens.source_note(name))


def show_compared(text: str, compared: dict) -> list:
    shown = []
    for name in NAMES:
        item = compared[name]
        if "error" in item:
            shown += [f"**{name}**: unavailable ({item['error']})", None]
            continue
        shown += [f"{tokens.source_note(name)}\n\n**{item['count']} tokens**", _views.highlight.tokens(text, item)]
    return shown


def highlighted(label: str) -> gr.HighlightedText:
    return gr.HighlightedText(label=label, color_map=COLOURS, show_legend=False, combine_adjacent=False,
                              show_inline_category=False)


def _single() -> None:
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="Text", lines=3, max_length=limits.TOKENIZE_CHARS, value=EXAMPLES[0],
                              info=f"Up to {limits.TOKENIZE_CHARS:,} characters.")
            name = gr.Radio(NAMES, value=NAMES[0], label="Tokenizer")
            button = gr.Button("Tokenize", variant="primary")
            gr.Examples(EXAMPLES, [text])
        with gr.Column():
            note = gr.Markdown()
            colored = highlighted("Tokens over the text (special tokens in red)")
            decoded = gr.Textbox(label="Decoded back from the ids (the round trip)", interactive=False)
    rows = gr.Dataframe(headers=TABLE_HEADERS, label="Token by token", interactive=False)
    raw = _learning.api_result()
    event = gr.on([button.click, text.submit], _common.guarded(tokenize), [text, name], raw,
                  api_name="tokenize", concurrency_id=queue_group())
    event.success(show, [text, name, raw], [colored, rows, decoded, note],
                  api_visibility="private")
    _common.show_code(event, "tokenize", [text, name], tokens.code)
    _side_by_side(text, button)


def _side_by_side(text: gr.Textbox, button: gr.Button) -> None:
    gr.Markdown("### The three tokenizers side by side")
    outputs = []
    with gr.Row():
        for name in NAMES:
            with gr.Column():
                outputs += [gr.Markdown(f"**{name}**"), highlighted(TOKENIZERS[name].algorithm)]
    raw = _learning.api_result("Side by side, as returned by the API")
    event = gr.on([button.click, text.submit], _common.guarded(tokens.compare), [text], raw,
                  api_name="compare_tokenizers", concurrency_id=queue_group())
    event.success(show_compared, [text, raw], outputs, api_visibility="private")
    _common.show_code(event, "compare_tokenizers", [text], tokens.compare_code)


def _batch() -> None:
    gr.Markdown("### A batch: sentences padded and truncated together")
    with gr.Row():
        text = gr.Textbox(label="Sentences, one per line", lines=4, value=BATCH_EXAMPLE,
                          info=f"2 to {limits.TOKENIZE_BATCH_SENTENCES} sentences.")
        with gr.Column():
            name = gr.Radio(NAMES, value=NAMES[0], label="Tokenizer")
            max_length = gr.Slider(2, limits.TOKENIZE_BATCH_LENGTH, value=12, step=1,
                                   label="max_length (longer sentences are truncated)")
            padding = gr.Radio(list(tokens.PADDING), value="longest", label="Pad to")
    button = gr.Button("Tokenize the batch", variant="primary")
    grid = gr.Plot(label="The batch as the model gets it, with its attention mask")
    raw = _learning.api_result()
    inputs = [text, name, max_length, padding]
    event = button.click(_common.guarded(tokenize_batch), inputs, raw, api_name="tokenize_batch",
                         concurrency_id=queue_group())
    event.success(_views.figures.padded_batch, raw, grid, api_visibility="private")
    _common.show_code(event, "tokenize_batch", inputs, tokens.batch_code)


def build() -> None:
    _common.explain("A tokenizer cuts text into pieces from a fixed vocabulary and maps each to an id. BERT's "
                    "WordPiece marks word continuations with ##; GPT-2's byte-level BPE keeps the leading space "
                    "in the token (Ġ); T5's SentencePiece marks word starts with ▁. Special tokens such as "
                    "[CLS] [SEP], <|endoftext|> or </s> are added around the text. The attention mask says which "
                    "positions are real (1) and which are padding (0).")
    _single()
    _batch()
