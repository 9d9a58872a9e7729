"""The generation studio through gradio_client: streaming, seeds, beams, the probability view, the
side-by-side, clear errors, and a cancelled job that stops its generation thread and frees the worker."""

import inspect
import time

import pytest
from gradio_client.exceptions import AppError

from models import loader
from models.errors import InputError
from models.tasks import generate as gen
from serving import bridge
from serving.bridge import Bridge
from tabs import generate as tab
from tabs._views import charts
from tests.support.waiting import slow_down, wait_until

PROMPT = "Once upon a time"
# prompt, max_new_tokens, temperature, top_k, top_p, do_sample, num_return_sequences, seed (docs/api.md)
SAMPLING = (PROMPT, 16, 0.9, 40, 0.95, True, 1, 21)


def settings(*values) -> gen.GenerationSettings:
    return gen.GenerationSettings.checked(*values[1:])


@pytest.fixture
def slow_model(client, monkeypatch):
    """The app's generation model (same process) with 100 ms added to each forward pass, counted."""
    return slow_down(loader.get("generate").model, 0.1, monkeypatch)


def test_seeded_runs_repeat_exactly_and_match_the_model_layer(client):
    first = client.predict(*SAMPLING, api_name="/generate")
    assert client.predict(*SAMPLING, api_name="/generate") == first
    assert first[1] == gen.generate(PROMPT, settings(*SAMPLING)) and first[0] == first[1][0]
    other_seed = client.predict(*SAMPLING[:-1], 22, api_name="/generate")
    assert other_seed != first


def test_streaming_shows_partial_results_before_the_final_one(client):
    job = client.submit(PROMPT, 60, 1.0, 50, 1.0, True, 3, 5, api_name="/generate")
    final = job.result(timeout=300)
    partial = job.outputs()[:-1]
    assert len(final[1]) == 3 and partial, "no partial result came before the final one"
    assert all(len(p[1]) == 3 for p in partial)
    assert len(partial[0][0]) <= len(final[0]) and final[0].startswith(partial[0][0])


def test_beam_search_and_penalties_through_the_api(client):
    args = (PROMPT, 12, 1.0, 50, 1.0, False, 2, 0, 3, 1.2, 2)  # 3 beams, 2 sequences, penalty, no-repeat 2
    first, every = client.predict(*args, api_name="/generate")
    assert every == gen.generate(PROMPT, settings(*args)) and len(every) == 2 and first == every[0]


def test_probability_view_colours_the_generated_tokens(client):
    args = (PROMPT, 10, 1.0, 50, 1.0, False, 1, 0)
    tokens, steps = client.predict(*args, api_name="/generate_probabilities")
    text, _ = client.predict(*args, api_name="/generate")
    assert tokens[0] == {"token": PROMPT, "class_or_confidence": None}
    assert len(tokens) == len(steps) + 1 and len(steps) == 10
    assert "".join(t["token"] for t in tokens) == text  # greedy run of a random model: no end token
    bands = [label for label, _ in gen.BANDS]
    for token, step in zip(tokens[1:], steps):
        assert token["class_or_confidence"] == step["band"] in bands
        assert 0 < step["probability"] <= step["alternatives"][0]["probability"] <= 1
    plot, caption = charts.alternatives(steps, 3)
    assert list(plot["kind"]).count("chosen") == 1 and caption.startswith("Step 3 of 10")


def test_attention_view_draws_generates_own_tokens_step_by_step(client):
    _, result = client.predict(*SAMPLING, layer=1, head=-1, api_name="/generate_attention")
    text, _ = client.predict(*SAMPLING, api_name="/generate")
    assert result == gen.attending(PROMPT, settings(*SAMPLING), 1, -1)  # the model layer's numbers, unchanged
    assert result["text"] == text and len(result["attention"]) == 16
    _, view, caption = tab.after_attention(result)
    written = result["tokens"][result["prompt_tokens"]]
    assert view[-1] == (f" → {written}", None) and caption.startswith(f"Step 1 of 16 wrote {written!r}")


def test_side_by_side_matches_each_strategy(client):
    greedy, sampled, beams = client.predict(PROMPT, 10, 0.9, 40, 0.95, 21, 3, api_name="/generate_compare")
    assert greedy == client.predict(PROMPT, 10, 1.0, 50, 1.0, False, 1, 0, api_name="/generate")[0]
    assert sampled == client.predict(PROMPT, 10, 0.9, 40, 0.95, True, 1, 21, api_name="/generate")[0]
    assert beams == client.predict(PROMPT, 10, 1.0, 50, 1.0, False, 1, 0, 3, api_name="/generate")[0]
    assert len({greedy, sampled}) == 2


# Values outside a slider's range are refused by gradio itself (its message names the limit); the
# model layer's own messages for the same values are tested in tests/models/tasks/test_generate.py.
@pytest.mark.parametrize("args, api_name, message", [
    ((PROMPT, 10, 1.0, 50, 1.0, False, 1, 0, 9), "/generate", "takes a number from [0-9.]+ to 8; got"),
    ((PROMPT, 10, 1.0, 50, 1.0, True, 1, 0, 3), "/generate", "Pick sampling or beam search, not both"),
    ((PROMPT, 10, 1.0, 50, 1.0, False, 3, 0), "/generate", "Greedy decoding always gives the same single"),
    ((PROMPT, 10, 1.0, 50, 1.0, False, 3, 0, 2), "/generate", "at most 2 sequences, or use more beams"),
    ((PROMPT, 10, 1.0, 50, 1.0, True, 6, 0), "/generate", "takes a number from [0-9.]+ to 5; got"),
    ((PROMPT, 10, 1.0, 50, 1.0, True, 1, 0, 1, 5.0), "/generate", "takes a number from [0-9.]+ to 2; got"),
    ((PROMPT, 10, 9.0, 50, 1.0, True, 1, 0), "/generate_probabilities", "takes a number from [0-9.]+ to 5; got"),
    (("", 10, 1.0, 50, 1.0, True, 1, 0), "/generate", "Enter a prompt"),
    (("x" * 2001, 10, 1.0, 50, 1.0, True, 1, 0), "/generate_probabilities", "the limit is 2,000"),
    ((PROMPT, 300, 1.0, 50, 1.0, 0), "/generate_compare", "takes a number from [0-9.]+ to 256; got"),
])
def test_bad_values_give_clear_errors(client, args, api_name, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name=api_name)


@pytest.mark.parametrize("beams", [1, 4], ids=["sampling", "beam search"])
def test_a_cancelled_job_stops_its_generation_and_frees_the_worker(client, slow_model, beams):
    args = (PROMPT, 256, 1.0, 50, 1.0, beams == 1, 1, 0, beams)  # over 25 s at 100 ms a step
    job = client.submit(*args, api_name="/generate")
    assert wait_until(lambda: bridge.running("generate") == 1 and len(slow_model) > 2, timeout=60)
    assert bridge.running() == 1  # one background thread: the generation itself (the handler's call has returned)
    if beams == 1:
        assert wait_until(lambda: job.outputs(), timeout=30)
    # Stop: gradio cancels the handler's task (for beam search, often before its first update reached gradio,
    # which then has no generator to close: issue 15); the cancelled handler closes its bridge.
    job.cancel()
    assert wait_until(lambda: bridge.running("generate") == 0, timeout=3), "generation kept running after cancel"
    passes = len(slow_model)
    time.sleep(0.3)
    assert len(slow_model) == passes and passes < 200
    started = time.monotonic()
    assert client.predict(PROMPT, 2, 1.0, 50, 1.0, False, 1, 0, api_name="/generate")[0].startswith(PROMPT)
    assert time.monotonic() - started < 10  # the worker was free (a queued call would wait 15 s more)


def test_show_code_matches_the_model_layer(offline_pack):
    snippet = tab.CODE(PROMPT, 12, 0.8, 40, 0.9, True, 2, 11, 1, 1.2, 3, None)
    assert snippet == gen.code(PROMPT, settings(PROMPT, 12, 0.8, 40, 0.9, True, 2, 11, 1, 1.2, 3))
    assert "repetition_penalty=1.2" in snippet and "torch.manual_seed(11)" in snippet


SETTINGS = ["max_new_tokens", "temperature", "top_k", "top_p", "do_sample", "num_return_sequences", "seed",
            "num_beams", "repetition_penalty", "no_repeat_ngram_size"]


@pytest.mark.parametrize("handler, inputs", [
    (tab.RUN, ["prompt", *SETTINGS, "choice", "progress"]),
    (tab.THINK, ["prompt", *SETTINGS, "choice", "progress"]),
    (tab.CODE, ["prompt", *SETTINGS, "choice"]),
    (tab.COMPARE, ["prompt", "max_new_tokens", "temperature", "top_k", "top_p", "seed", "num_beams",
                   "repetition_penalty", "no_repeat_ngram_size", "choice", "progress"]),
])
def test_the_settings_travel_as_one_object_behind_unchanged_endpoint_inputs(handler, inputs):
    # gradio names an endpoint's inputs after the handler's parameters: these are API.md's, in its order.
    assert list(inspect.signature(handler).parameters) == inputs


def test_the_tab_hands_the_model_layer_one_checked_settings_object(monkeypatch):
    received = []

    def fake_stream(prompt, settings, choice, on_progress):
        received.append(settings)
        return Bridge(lambda emit, should_stop: [prompt, prompt])

    monkeypatch.setattr(gen, "stream", fake_stream)
    assert tab.RUN(PROMPT, 12, 0.8, 40, 0.9, True, 2, 11, 1, 1.2, 3, None).result() == (PROMPT, [PROMPT, PROMPT])
    assert received == [settings(PROMPT, 12, 0.8, 40, 0.9, True, 2, 11, 1, 1.2, 3)]
    with pytest.raises(InputError, match="Number of beams must be between 1 and 8; got 9"):
        tab.RUN(PROMPT, 12, 0.8, 40, 0.9, False, 1, 11, 9)


def test_strategy_radio_drives_do_sample_and_beams():
    do_sample, beams, sampling_row, note = tab.pick_strategy("beam search", 1)
    assert do_sample is False and beams["value"] == gen.COMPARE_BEAMS and beams["visible"] is True
    assert sampling_row["visible"] is False and "cannot stream" in note
    do_sample, beams, sampling_row, _ = tab.pick_strategy("sampling", 6)
    assert do_sample is True and beams["value"] == 1 and sampling_row["visible"] is True
    assert tab.pick_strategy("greedy", 6)[0] is False
