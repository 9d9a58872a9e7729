"""Self-attention from scratch: NumPy on the model's own weights matches its attention probabilities."""

import numpy as np
import pytest

import config
from models.errors import InputError
from models.tasks import internals, self_attention
from tests.support import snippets

TEXT = "The animal was too tired."


@pytest.fixture(autouse=True)
def float32_weights(settings):
    # On a CPU with native bf16 (or with PLAYGROUND_DTYPE=bfloat16) GPT-2 runs in bfloat16; the 1e-5 check is
    # about float32.
    config.use(config.Settings(**{**settings.__dict__, "dtype": "float32"}))
    yield
    config.use(settings)


@pytest.mark.parametrize("choice", [None, "openai-community/gpt2"])
def test_every_head_matches_the_model_to_1e_5(offline_pack, choice):
    run = internals.forward(TEXT, choice)
    for layer in range(run.layers):
        for head in range(run.heads):
            steps = self_attention.compute(run, layer, head)
            np.testing.assert_allclose(steps.weights, run.attentions[layer, head], atol=1e-5, rtol=0)


def test_the_steps_fit_together(offline_pack):
    run = internals.forward(TEXT)
    steps = self_attention.compute(run, 3, 4)
    seq, d_head = len(run.tokens), 384 // 12
    assert steps.q.shape == steps.k.shape == steps.v.shape == steps.output.shape == (seq, d_head)
    np.testing.assert_allclose(steps.scores, steps.q @ steps.k.T / np.sqrt(d_head))
    np.testing.assert_allclose(steps.weights.sum(axis=1), 1.0)
    np.testing.assert_allclose(steps.output, steps.weights @ steps.v)


def test_causal_scores_are_minus_infinity_above_the_diagonal(offline_pack):
    result = self_attention.walk_through(TEXT, 1, 0, "openai-community/gpt2")
    assert result["causal"] and result["scores"][0][1:] == [None] * (len(result["tokens"]) - 1)
    assert result["weights"][0][0] == 1.0  # the first token can only attend to itself


def test_walk_through_reports_top3_and_the_check(offline_pack):
    result = self_attention.walk_through(TEXT, 2, 5)
    assert result["max_abs_difference_from_model"] < 1e-5
    for row, weights in zip(result["top"], result["weights"]):
        assert [p["weight"] for p in row["attends_to"]] == sorted(weights, reverse=True)[:3]


def test_long_sentences_are_refused(offline_pack):
    with pytest.raises(InputError, match="at most 16"):
        self_attention.walk_through("one two three four five six seven eight nine ten eleven twelve thirteen "
                                    "fourteen fifteen", 0, 0)


def test_code_prints_what_the_endpoint_returns(offline_pack):
    # GPT-2 takes the longer path (layer norm before attention, causal mask); MiniLM the encoder's.
    cases = [(TEXT, 1, 1, "openai-community/gpt2"), (TEXT, 2, 5, None)]
    printed = snippets.results([self_attention.code(*case) for case in cases])
    for case, shown in zip(cases, printed):
        snippets.assert_same(shown, self_attention.walk_through(*case))
