"""Attention tab: bertviz views and heatmaps, the word in context, and one head computed from scratch."""

import gradio as gr

from models import limits
from models.tasks import attention, self_attention
from tabs import _common, _learning, _views

TITLE = "Attention"
EXAMPLES = ["The animal didn't cross the street because it was too tired.", "I read a good novel."]
WORD_EXAMPLES = [["I read a good novel.", "Attention is a novel idea.", "novel"],
                 ["She sat on the river bank.", "He robbed the bank downtown.", "bank"]]
EXPLAIN = ("Each token's vector is compared with every other token's (query · key / √d), a softmax turns "
           "the scores into weights that sum to 1, and the token's new vector is the weighted sum of the values. "
           "A layer has several heads doing this in parallel. bertviz draws the weights as lines (head view) "
           "and every head at once (model view); the heatmap shows one head, or their mean. GPT-2 is causal: "
           "a token never attends to later ones, so its maps are triangular.")


def maps(text, layer, head, average_heads, hide_special, choice, progress=gr.Progress()) -> tuple[str, object]:
    shown = attention.attention(text, layer, head, average_heads, hide_special, choice,
                                _common.progress_callback(progress))
    return _views.bertviz.views(shown), _views.figures.attention_heatmap(shown)


def compare_word(sentence_a, sentence_b, word, choice, progress=gr.Progress()) -> dict:
    return attention.compare_word(sentence_a, sentence_b, word, choice, _common.progress_callback(progress))


def scratch(text, layer, head, choice, progress=gr.Progress()) -> dict:
    return self_attention.walk_through(text, layer, head, choice, _common.progress_callback(progress))


def layer_head() -> tuple[gr.Slider, gr.Slider]:
    # Layer 1: past the first layer's broad patterns, and inside any model of two layers or more. The sliders
    # follow the model's shape once the page has loaded, but a default past its last layer would be refused.
    return (gr.Slider(0, 11, value=1, step=1, label="Layer (counted from 0)"),
            gr.Slider(0, 11, value=0, step=1, label="Head (counted from 0)"))


def _maps(picker: gr.Dropdown) -> None:
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="Text", lines=2, value=EXAMPLES[0], max_length=limits.ATTENTION_CHARS,
                              info=f"Up to {limits.ATTENTION_TOKENS} tokens.")
            layer, head = layer_head()
            _learning.follow_shape(picker, layer, head)
            with gr.Row():
                average_heads = gr.Checkbox(label="Heatmap: mean over the layer's heads")
                hide_special = gr.Checkbox(label="Hide special tokens ([CLS], [SEP])")
            button = gr.Button("Show attention", variant="primary")
            gr.Examples(EXAMPLES, [text])
        heatmap = gr.Plot(label="Heatmap (rows: the token attending; columns: what it attends to)")
    views = gr.HTML(label="bertviz head view and model view")
    inputs = [text, layer, head, average_heads, hide_special, picker]
    event = gr.on([button.click, text.submit], _common.guarded(maps), inputs, [views, heatmap],
                  api_name="attention", concurrency_id=_common.concurrency_id("encoder"))
    _common.show_code(event, "attention", inputs, attention.attention_code)


def _word(picker: gr.Dropdown) -> None:
    gr.Markdown("A word's vector starts the same in every sentence (its embedding) and is then rewritten by "
                "attention to its context. The cosine similarity of the word's two vectors, layer by layer, "
                "shows how far context moves it; below, what the word attends to in each sentence.")
    with gr.Row():
        sentence_a = gr.Textbox(label="Sentence A", value=WORD_EXAMPLES[0][0], max_length=limits.ATTENTION_CHARS)
        sentence_b = gr.Textbox(label="Sentence B", value=WORD_EXAMPLES[0][1], max_length=limits.ATTENTION_CHARS)
        word = gr.Textbox(label="Word in both", value=WORD_EXAMPLES[0][2], max_length=attention.WORD_CHARS)
    button = gr.Button("Compare the word", variant="primary")
    gr.Examples(WORD_EXAMPLES, [sentence_a, sentence_b, word])
    plot = gr.Plot(label="Similarity by layer, and what the word attends to")
    raw = _learning.api_result()
    inputs = [sentence_a, sentence_b, word, picker]
    event = button.click(_common.guarded(compare_word), inputs, raw, api_name="compare_word",
                         concurrency_id=_common.concurrency_id("encoder"))
    event.success(_views.figures.word_in_context, raw, plot, api_visibility="private")
    _common.show_code(event, "compare_word", inputs, attention.compare_word_code)


def frame(result: dict, key: str, columns: list[str] | None = None):
    import pandas as pd

    rows = [[float("-inf") if value is None else value for value in row] for row in result[key]]
    labels = [f"{i} {token}" for i, token in enumerate(result["tokens"])]
    return pd.DataFrame(rows, index=labels, columns=columns or labels).reset_index(names="token")


def check(difference: float, dtype: str) -> str:
    # bf16 keeps 8 bits of mantissa: after a few roundings, weights near 1 agree to about 1e-2 at best.
    agreement = 1e-5 if dtype == "float32" else 1e-2
    verdict = "✅ The NumPy weights match" if difference < agreement else "⚠️ The NumPy weights differ from"
    note = "" if dtype == "float32" else f" The model runs in {dtype}, so agreement is only to its precision."
    return f"{verdict} the model's own attention probabilities (largest difference {difference:.1e}).{note}"


def show_steps(result: dict) -> tuple:
    d = result["d_head"]
    dims = [f"dim {i}" for i in range(d)]
    top = [[row["token"], *(f"{p['token']} ({p['weight']:.2f})" for p in row["attends_to"])] for row in result["top"]]
    causal = " with -∞ above the diagonal (causal)" if result["causal"] else ""
    summary = (f"**Layer {result['layer']}, head {result['head']}**, d_head = {d}. "
               f"Q = X·W_Q + b_Q, K and V alike, each ({len(result['tokens'])}, {d}); "
               f"scores = Q·Kᵀ / √{d}{causal}; weights = softmax of each row; output = weights·V.\n\n"
               + check(result["max_abs_difference_from_model"], result["model_dtype"]))
    return (summary, frame(result, "scores"), frame(result, "weights"), top,
            frame(result, "q", dims), frame(result, "k", dims), frame(result, "v", dims), frame(result, "output", dims))


def _scratch(picker: gr.Dropdown) -> None:
    gr.Markdown("One head of one layer redone in NumPy with the model's own weights: the input vectors X of "
                "that layer, projected to queries, keys and values, then scores, softmax and weighted sum.")
    with gr.Row():
        text = gr.Textbox(label="A short sentence", value=EXAMPLES[1], max_length=limits.ATTENTION_CHARS,
                          info=f"Up to {limits.SCRATCH_TOKENS} tokens (every matrix is shown).")
        layer, head = layer_head()
        _learning.follow_shape(picker, layer, head)
    button = gr.Button("Compute step by step", variant="primary")
    summary = gr.Markdown()
    with gr.Row():
        scores = gr.Dataframe(label="1. Scores Q·Kᵀ/√d (rows: queries, columns: keys)", interactive=False)
        weights = gr.Dataframe(label="2. Softmax of each row: the attention weights", interactive=False)
    top = gr.Dataframe(headers=["token", "1st", "2nd", "3rd"], label="3. Each token's top-3 attended tokens",
                       interactive=False)
    with gr.Accordion("Q, K, V and the output (weights·V)", open=False):
        qkv = [gr.Dataframe(label=name, interactive=False) for name in ("Q", "K", "V", "Output = weights·V")]
    raw = _learning.api_result()
    inputs = [text, layer, head, picker]
    event = button.click(_common.guarded(scratch), inputs, raw, api_name="attention_from_scratch",
                         concurrency_id=_common.concurrency_id("encoder"))
    event.success(show_steps, raw, [summary, scores, weights, top, *qkv],
                  api_visibility="private")
    _common.show_code(event, "attention_from_scratch", inputs, self_attention.code)


def build() -> None:
    _common.explain(EXPLAIN)
    picker, _ = _learning.picker()
    with gr.Tab("Attention maps"):
        _maps(picker)
    with gr.Tab("The word in context"):
        _word(picker)
    with gr.Tab("Self-attention from scratch"):
        _scratch(picker)
