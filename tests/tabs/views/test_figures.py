"""The figures: what each draws from its endpoint's result, and that data no endpoint returns is refused."""

import math

import gradio as gr
import numpy as np
import pytest

from models import limits
from models.tasks import attention, positional, tokens
from tabs import positional as positional_tab
from tabs._views import figures

NOVEL_A, NOVEL_B = "I read a good novel.", "Attention is a novel idea."
GPT2 = "openai-community/gpt2"
REFUSED = "This view was sent data its endpoint never returns"


def image(ax) -> np.ndarray:
    return np.asarray(ax.get_images()[0].get_array())


def test_the_heatmap_is_the_picked_head_with_the_tokens_on_both_axes(offline_pack):
    maps = attention.attention(NOVEL_A, 2, 3)
    (ax, _colorbar) = figures.attention_heatmap(maps).axes
    assert ax.get_title() == "Layer 2, head 3"
    np.testing.assert_array_equal(image(ax), maps.matrix)
    assert [label.get_text() for label in ax.get_xticklabels()] == maps.tokens
    assert len(ax.texts) == 8 * 8  # every cell written while the grid is small


@pytest.mark.parametrize("kwargs, title", [
    ({"average_heads": True, "hide_special": True},
     "Layer 1, mean over the 12 heads\nspecial tokens hidden: rows no longer sum to 1"),
    ({"choice": GPT2}, "Layer 1, head 1 (causal: no token sees a later one)"),
])
def test_the_heatmap_title_says_what_is_shown(offline_pack, kwargs, title):
    maps = attention.attention(NOVEL_A, 1, 1, **kwargs)
    assert figures.attention_heatmap(maps).axes[0].get_title() == title


def test_word_figure_draws_similarity_and_both_sentences(offline_pack):
    result = attention.compare_word(NOVEL_A, NOVEL_B, "novel")
    top, left, right = figures.word_in_context(result).axes
    assert list(top.lines[0].get_ydata()) == result["cosine_similarity"]
    assert NOVEL_A in left.get_title() and NOVEL_B in right.get_title()
    assert [bar.get_width() for bar in right.patches] == [p["weight"] for p in result["sentences"]["b"]["attends_to"]]


WORD = {"word": "novel", "layers": [0, 1], "cosine_similarity": [1.0, 0.9],
        "sentences": {key: {"text": NOVEL_A, "attends_to": [{"token": "novel", "position": 5, "weight": 0.5}]}
                      for key in ("a", "b")}}


@pytest.mark.parametrize("change, where", [
    ({"sentences": None}, "sentences: expected an object with a, b"),
    ({"cosine_similarity": [1.0]}, "cosine_similarity: expected a list of 2 items"),
    ({"layers": list(range(figures.LAYERS_MAX + 1))}, "layers: expected a list of 1 to 128 items"),
    ({"word": "x" * 101}, "word: expected text of at most 100 characters"),
    ({"sentences": {"a": WORD["sentences"]["a"],
                    "b": {"text": NOVEL_B, "attends_to": [{"token": "a", "position": 1, "weight": "high"}]}}},
     r"sentences.b.attends_to\[0\].weight: expected a number"),
    ({"sentences": {"a": {"text": NOVEL_A, "attends_to": WORD["sentences"]["a"]["attends_to"] * 9},
                    "b": WORD["sentences"]["b"]}}, "sentences.a.attends_to: expected a list of 0 to 8 items"),
])
def test_word_figure_refuses_what_compare_word_never_returns(change, where):
    figures.word_in_context(WORD)  # the unchanged result draws
    with pytest.raises(gr.Error, match=f"{REFUSED} \\({where}\\)"):
        figures.word_in_context({**WORD, **change})
    with pytest.raises(gr.Error, match=REFUSED):
        figures.word_in_context([WORD])


def test_encoding_has_heatmap_waves_and_similarity():
    fig = positional_tab.draw(50, 64)
    heat, _, waves, sim, _ = fig.axes
    assert fig.get_suptitle() == "Sinusoidal encoding, d_model=64"
    assert (heat.get_title(), waves.get_title(), sim.get_title()) == (
        "value by position and dimension", "a few dimensions", "cosine similarity of positions")
    np.testing.assert_array_equal(image(heat), positional.sinusoidal(50, 64))
    assert [line.get_label() for line in waves.lines] == [f"dim {d}" for d in positional.wave_dims(64)]
    np.testing.assert_allclose(np.diag(image(sim)), 1.0)


def test_a_learned_table_is_scaled_for_colour_but_compared_raw():
    table = np.ones((4, 100))
    table[0, 0] = 50.0  # one outlier: the 99th percentile of |values| is still 1
    fig = figures.scaled_encoding(table, "Learned wpe of gpt2", [0, 1])
    heat, _, _, sim, _ = fig.axes
    assert fig.get_suptitle() == "Learned wpe of gpt2 (shown divided by 1, clipped to [-1, 1])"
    assert image(heat).max() == 1.0  # the outlier clipped
    unit = table / np.linalg.norm(table, axis=1, keepdims=True)
    np.testing.assert_allclose(image(sim), unit @ unit.T)


def test_the_batch_grid_shows_each_token_over_its_mask(offline_pack):
    result = tokens.batch("Hi.\nHello there.", "bert-base-uncased", 6, "max_length")
    ax = figures.padded_batch(result).axes[0]
    assert ax.get_title() == "Padded with '[PAD]' on the right"
    assert [text.get_text() for text in ax.texts][:6] == ["[CLS]\n1", "hi\n1", ".\n1", "[SEP]\n1", "[PAD]\n0",
                                                          "[PAD]\n0"]
    np.testing.assert_array_equal(image(ax), result["attention_mask"])


BATCH = {"tokens": [["a", "b"], ["c", "[PAD]"]], "attention_mask": [[1, 1], [1, 0]], "pad_token": "[PAD]",
         "padding_side": "right"}


@pytest.mark.parametrize("change, where", [
    ({"attention_mask": [[1, 1], [1]]}, "attention_mask: expected rows of the same length"),
    ({"attention_mask": [[1, 1]]}, "attention_mask: expected a 0 or 1 under every token"),
    ({"attention_mask": [[1, 1], [1, 2]]}, r"attention_mask\[1\]\[1\]: expected a whole number from 0 to 1"),
    ({"tokens": [["a"]] * (limits.TOKENIZE_BATCH_SENTENCES + 1)}, "tokens: expected a list of 1 to 8 items"),
    ({"tokens": [["a", "b"], ["c", "x" * 257]]}, r"tokens\[1\]\[1\]: expected text of at most 256 characters"),
    ({"padding_side": "up"}, 'padding_side: expected "left" or "right"'),
])
def test_the_batch_grid_refuses_what_tokenize_batch_never_returns(change, where):
    figures.padded_batch(BATCH)
    with pytest.raises(gr.Error, match=f"{REFUSED} \\({where}\\)"):
        figures.padded_batch({**BATCH, **change})


def test_training_progress_draws_the_losses_then_the_confusion_matrix():
    assert figures.training_progress(None).axes[0].get_title() == "training loss (no step yet)"
    ax, = figures.training_progress({"status": "training", "losses": [2.0, None, 1.0]}).axes
    assert ax.get_title() == "training loss (3 steps)"
    assert [1.0, 2.0, 3.0] == list(ax.lines[0].get_xdata())
    losses = list(ax.lines[0].get_ydata())
    assert losses[0] == 2.0 and math.isnan(losses[1]) and losses[2] == 1.0  # a NaN loss is a gap
    done = {"losses": [1.0, 0.5], "confusion_matrix": [[3, 1], [0, 4]], "labels": ["neg", "pos"], "accuracy": 0.875}
    loss, matrix = figures.training_progress(done).axes
    assert matrix.get_title() == "held-out confusion matrix (accuracy 87.5%)"
    assert [text.get_text() for text in matrix.texts] == ["3", "1", "0", "4"]
    assert [label.get_text() for label in matrix.get_yticklabels()] == ["neg", "pos"]


DONE = {"losses": [1.0], "confusion_matrix": [[1, 0], [0, 1]], "labels": ["a", "b"]}


@pytest.mark.parametrize("result, where", [
    ("losses", "the result: expected an object with named fields"),
    ({"losses": "1, 2"}, "losses: expected a list of 0 to 10,000 items"),
    ({"losses": [1.0] * (figures.STEPS_MAX + 1)}, "losses: expected a list of 0 to 10,000 items"),
    ({"losses": [1.0, "nan"]}, r"losses\[1\]: expected a number"),
    ({**DONE, "confusion_matrix": [[1, 0, 0], [0, 1, 0]]}, r"confusion_matrix\[0\]: expected a list of 1 to 2 items"),
    ({**DONE, "confusion_matrix": [[1, 0]]}, "confusion_matrix: expected a row and a column per label"),
    ({**DONE, "confusion_matrix": [[1, -1], [0, 1]]}, r"confusion_matrix\[0\]\[1\]: expected a whole number"),
    ({**DONE, "labels": ["a"] * 11}, "labels: expected a list of 2 to 10 items"),
    ({**DONE, "accuracy": True}, "accuracy: expected a number"),
])
def test_training_progress_refuses_what_training_never_yields(result, where):
    with pytest.raises(gr.Error, match=f"{REFUSED} \\({where}"):
        figures.training_progress(result)


BUCKETS = [{"bucket": "1-3 words", "phrases": 10, "lstm": 0.5, "t5": 0.75},
           {"bucket": "4-5 words", "phrases": 8, "lstm": 0.25, "t5": None}]


def test_the_lstm_comparison_puts_t5_beside_the_lstm_per_length():
    loss, quality = figures.lstm_comparison([3.0, 2.0], {"quality_by_length": BUCKETS}).axes
    assert loss.get_title() == "LSTM training loss" and list(loss.lines[0].get_ydata()) == [3.0, 2.0]
    assert [bar.get_height() for bar in quality.patches] == [0.5, 0.25, 0.75, 0]  # LSTM bars, then T5's
    assert [label.get_text() for label in quality.get_xticklabels()] == ["1-3 words\n(10 phrases)",
                                                                       "4-5 words\n(8 phrases)"]
    lstm_only = figures.lstm_comparison([3.0], {"quality_by_length": [{**b, "t5": None} for b in BUCKETS]})
    assert len(lstm_only.axes[1].patches) == 2


@pytest.mark.parametrize("buckets, where", [
    (BUCKETS * 2, "quality_by_length: expected a list of 0 to 3 items"),
    ([{**BUCKETS[0], "phrases": -1}], r"quality_by_length\[0\].phrases: expected a whole number"),
    ([{**BUCKETS[0], "lstm": None}], r"quality_by_length\[0\].lstm: expected a number"),
    ([{"bucket": "1-3 words"}], r"quality_by_length\[0\]: expected an object with bucket, phrases, lstm"),
])
def test_the_lstm_comparison_refuses_what_lstm_compare_never_returns(buckets, where):
    with pytest.raises(gr.Error, match=f"{REFUSED} \\({where}"):
        figures.lstm_comparison([1.0], {"quality_by_length": buckets})
