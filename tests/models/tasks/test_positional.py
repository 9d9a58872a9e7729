"""Positional encoding: the closed form, its properties, and the learned tables of the loaded models."""

import math

import numpy as np
import pytest

from models import loader
from models.errors import InputError
from models.tasks import positional
from tests.support import snippets


def test_closed_form_values():
    pe = positional.sinusoidal(4, 4)  # pairs i=0 (rate 1) and i=1 (rate 1/10000^(2/4) = 1/100)
    expected = [
        [0.0, 1.0, 0.0, 1.0],
        [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)],
        [math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)],
        [math.sin(3), math.cos(3), math.sin(0.03), math.cos(0.03)],
    ]
    np.testing.assert_allclose(pe, expected, atol=1e-12)
    np.testing.assert_allclose(pe[1], [0.8414709848, 0.5403023059, 0.0099998333, 0.9999500004], atol=1e-9)


@pytest.mark.parametrize("pos, i, d", [(0, 0, 512), (7, 3, 512), (99, 100, 512), (511, 255, 512), (33, 5, 64)])
def test_every_entry_follows_the_formula(pos, i, d):
    pe = positional.sinusoidal(pos + 1, d)
    angle = pos / 10000 ** (2 * i / d)
    assert pe[pos, 2 * i] == pytest.approx(math.sin(angle), abs=1e-12)
    assert pe[pos, 2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-12)


def test_each_pair_lies_on_the_unit_circle_and_similarity_depends_only_on_distance():
    pe = positional.sinusoidal(64, 32)
    np.testing.assert_allclose(pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2, 1.0, atol=1e-12)
    dots = pe @ pe.T  # sum over pairs of cos(angle difference): a function of pos1 - pos2 alone
    np.testing.assert_allclose(dots[10, 15], dots[40, 45], atol=1e-9)
    assert dots[10, 10] == pytest.approx(16.0) and dots[10, 11] > dots[10, 30]


@pytest.mark.parametrize("seq_len, d_model, message", [
    (0, 64, "Sequence length must be between 1 and 1024"),
    (2000, 64, "Sequence length must be between 1 and 1024"),
    (10, 65, "d_model must be even"),
    (10, 4096, "D_model must be between 2 and 1024"),
    ("ten", 64, "Sequence length must be a number"),
])
def test_sizes_out_of_range_are_refused(seq_len, d_model, message):
    with pytest.raises(InputError, match=message):
        positional.encoding(seq_len, d_model)


def test_the_endpoints_encoding_is_the_formula_once_sizes_are_checked():
    np.testing.assert_array_equal(positional.encoding(50, 64.0), positional.sinusoidal(50, 64))


def test_learned_table_is_the_models_own(offline_pack):
    table, name, _ = positional.learned(20)
    weight = loader.get("encoder").model.embeddings.position_embeddings.weight  # MiniLM: (512, 384)
    assert name == "embeddings.position_embeddings" and table.shape == (20, 384)
    np.testing.assert_allclose(table, weight[:20].detach().double().numpy())
    gpt2_table, gpt2_name, _ = positional.learned(5, "openai-community/gpt2")
    assert gpt2_name.endswith("wpe") and gpt2_table.shape == (5, 32)


def test_learned_table_is_limited_to_the_models_positions(offline_pack):
    with pytest.raises(InputError, match="this model has 512 positions"):
        positional.learned(600)


def test_show_code_prints_the_encoding_and_the_learned_rows(offline_pack):
    printed = snippets.results([positional.code(12, 16), positional.learned_code(7),
                                positional.learned_code(5, "openai-community/gpt2")])
    assert printed[0] == np.round(positional.sinusoidal(12, 16), 4).tolist()
    assert printed[1] == np.round(positional.learned(7)[0], 4).tolist()
    assert printed[2] == np.round(positional.learned(5, "openai-community/gpt2")[0], 4).tolist()
