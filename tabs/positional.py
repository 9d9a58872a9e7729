"""Positional encoding tab: the sinusoidal formula drawn, beside a real model's learned position table."""

import gradio as gr

from models import limits
from models.tasks import positional
from tabs import _common, _learning, _views

TITLE = "Positional encoding"
FORMULA = r"""Attention alone does not know word order, so a vector that depends only on the position is added to
each token's embedding. The original Transformer uses fixed waves,
$$PE_{(pos,\,2i)} = \sin\!\left(\frac{pos}{10000^{2i/d}}\right),\qquad
PE_{(pos,\,2i+1)} = \cos\!\left(\frac{pos}{10000^{2i/d}}\right),$$
fast in the first dimensions and slow in the last, so that every position gets a distinct pattern and
nearby positions similar ones. BERT and GPT-2 instead *learn* a table with one vector per position:
compare its similarity matrix with the formula's."""


def draw(seq_len: int, d_model: int) -> object:
    """Heatmap, a few dimensions as waves, and the position-by-position cosine similarity."""
    table = positional.encoding(seq_len, d_model)  # (seq_len, d_model)
    d_model = table.shape[1]
    return _views.figures.encoding(table, f"Sinusoidal encoding, d_model={d_model}", positional.wave_dims(d_model))


def learned(seq_len: int, choice: str, progress=gr.Progress()) -> object:
    table, name, model = positional.learned(seq_len, choice, _common.progress_callback(progress))
    return _views.figures.scaled_encoding(table, f"Learned {name} of {model}", positional.wave_dims(table.shape[1]))


def build() -> None:
    _common.explain(FORMULA)
    with gr.Row():
        seq_len = gr.Slider(1, limits.POSITIONS_MAX, value=64, step=1, label="Sequence length (positions)")
        d_model = gr.Slider(2, limits.D_MODEL_MAX, value=128, step=2, label="d_model (even)")
        button = gr.Button("Draw", variant="primary")
    gr.Examples([[50, 128], [200, 512], [20, 16]], [seq_len, d_model])
    sinusoidal = gr.Plot(label="Sinusoidal encoding")
    event = gr.on([button.click], _common.guarded(draw), [seq_len, d_model], sinusoidal,
                  api_name="positional_encoding", concurrency_id="positional")
    _common.show_code(event, "positional_encoding", [seq_len, d_model], positional.code)

    gr.Markdown("### Learned position embeddings of a real model")
    with gr.Row():
        with gr.Column(scale=3):
            picker, _ = _learning.picker()
        learned_button = gr.Button("Draw the learned table", variant="primary", scale=1)
    table = gr.Plot(label="Learned position embeddings")
    learned_event = gr.on([learned_button.click], _common.guarded(learned), [seq_len, picker], table,
                          api_name="learned_positions", concurrency_id=_common.concurrency_id("encoder"))
    _common.show_code(learned_event, "learned_positions", [seq_len, picker], positional.learned_code)
