"""The Why? tab's views: what each draws from its endpoint's result; the summary refuses data no endpoint sends."""

import html
import re

import gradio as gr
import numpy as np
import pytest

from models.tasks import attribution, cross_attention, head_ablation, logit_lens, neuron_view, sampling_distribution
from tabs._views import bertviz, figures, highlight

REFUSED = "This view was sent data its endpoint never returns"
BLAND = "The food was cold and bland."


def srcdoc(frame: str) -> str:
    return html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))


@pytest.fixture(scope="module")
def bland(offline_pack) -> dict:
    return attribution.explain(BLAND, steps=8)


def test_attributed_pieces_are_the_text_scored_against_the_largest(bland):
    pieces = highlight.attributed(BLAND, bland)
    assert "".join(piece for piece, _ in pieces) == BLAND
    scored = dict((piece, score) for piece, score in pieces if score is not None)
    assert max(abs(score) for score in scored.values()) == 1.0 and scored["bland"] == 1.0
    assert {piece for piece, score in pieces if score is None} == {" "}  # the gaps between words


def test_tokens_sharing_characters_are_one_piece(offline_pack):
    """GPT-2 spells an emoji with several byte tokens over the same characters: one piece, scores added."""
    text = "I love 🤗 so much"
    result = attribution.explain(text, "generate", "", "gradient_x_input")
    pieces = highlight.attributed(text, result)
    assert "".join(piece for piece, _ in pieces) == text
    assert sum(" 🤗" in piece or piece == "🤗" for piece, _ in pieces) == 1


def test_the_summary_says_what_is_explained_and_how_well_it_adds_up(bland):
    summary = highlight.attribution_summary(bland)
    assert "probability of the class 'NEGATIVE'" in summary and "with 8 steps" in summary
    assert summary.index("'bland'") < summary.index("'cold'")  # most supporting first


@pytest.mark.parametrize("junk", [
    "not an object",
    {"tokens": ["a"]},
    "scores of another length",
    "an unknown method",
    "steps beyond the cap",
])
def test_the_summary_refuses_data_no_endpoint_returns(bland, junk):
    if junk == "scores of another length":
        junk = {**bland, "scores": bland["scores"][:-1]}
    elif junk == "an unknown method":
        junk = {**bland, "method": "saliency"}
    elif junk == "steps beyond the cap":
        junk = {**bland, "steps": 10**9}
    with pytest.raises(gr.Error, match=REFUSED):
        highlight.attribution_summary(junk)


def test_the_logit_lens_figure_is_the_top_probabilities_with_the_last_layer_on_top(offline_pack):
    result = logit_lens.lens("The capital of France is")
    (ax, _colorbar) = figures.logit_lens(result).axes
    np.testing.assert_array_equal(np.asarray(ax.get_images()[0].get_array()), result["top_probs"])
    assert [label.get_text() for label in ax.get_yticklabels()] == ["embeddings", "1", "2"]
    assert len(ax.texts) == 3 * 5  # a guess written in every cell


def test_the_sampling_figure_greys_what_the_processors_cut(offline_pack):
    result = sampling_distribution.distribution("Once upon a time", 1.0, 5, 1.0)
    raw, final = figures.sampling(result, 1.0, 5, 1.0).axes
    colours = [bar.get_facecolor() for bar in final.patches]
    assert sum(colour[:3] != colours[-1][:3] for colour in colours) == 5  # the 5 kept, then grey
    assert [bar.get_width() for bar in raw.patches] == pytest.approx(result["raw_probs"])


def test_the_ablation_figure_crosses_the_silenced_heads(offline_pack):
    result = head_ablation.ablate(BLAND, "0.1, 2.3")
    bars, heat, _colorbar = figures.ablation(result).axes
    assert sorted((text.get_position(), text.get_text()) for text in heat.texts) == [((1, 0), "×"), ((3, 2), "×")]
    np.testing.assert_array_equal(np.asarray(heat.get_images()[0].get_array()), result["one_at_a_time"]["change"])


def test_the_cross_attention_view_renders_offline_and_opens_at_the_head(offline_pack):
    view = cross_attention.attend("The house is wonderful.", "German", 1, 1, 6)
    document = srcdoc(bertviz.cross_attention(view))
    assert "cdnjs" not in document and document.count("requirejs(['jquery', 'd3']") == 2
    assert '"layer": 1, "heads": [1]' in document and '"name": "Cross"' in document
    assert document.count("window.bertvizAttention = [[[[") == 1  # written once, shared by both views
    ax = figures.cross_attention(view.result).axes[0]
    assert ax.get_ylabel() == "target token being written" and ax.get_xlabel() == "source token it looked at"


def test_the_neuron_view_carries_bertviz_data_for_every_layer(offline_pack):
    view = neuron_view.neuron("The cat sat.", 2, 3)
    frame = bertviz.neuron(view)
    document = srcdoc(frame)
    assert "cdnjs" not in document and "require.config" not in document
    assert '"default_filter": "all"' in document and '"layer": 2, "head": 3' in document
    assert document.count("window.bertviz_params = ") == 1 and "function showComputation" in document
    assert len(frame) < 1_500_000
