"""The app as users script it: endpoints pinned to docs/api.md, round trips, errors, and a server that keeps serving."""

import os
import subprocess
import sys
from dataclasses import replace

import pytest
from gradio_client.exceptions import AppError

import config
from models import loader, offline

# api_name -> the leading parameter names in order, as docs/api.md lists them.
PINNED = {
    "/sentiment": ["text"],
    "/ner": ["text"],
    "/zero_shot": ["text", "labels", "multi_label"],
    "/fill_mask": ["text", "top_k"],
    "/generate": ["prompt", "max_new_tokens", "temperature", "top_k", "top_p", "do_sample",
                  "num_return_sequences", "seed"],
    "/qa": ["question", "context", "top_k"],
    "/summarize": ["text", "max_new_tokens", "min_new_tokens", "num_beams"],
    "/translate": ["text", "target_language"],
    "/tokenize": ["text", "tokenizer"],
    "/attention": ["text", "layer", "head"],
    "/compare_word": ["sentence_a", "sentence_b", "word"],
    "/positional_encoding": ["seq_len", "d_model"],
    "/train_classifier": ["examples", "epochs", "learning_rate", "batch_size"],
    "/train_lm": ["text", "steps"],
    "/lstm_train": ["steps"],
    "/lstm_translate": ["text"],
}


def test_build_demo_loads_no_model(settings):
    import app

    loader.clear()
    app.build_demo(settings)
    assert loader.in_memory() == []


def test_offline_the_pack_is_built_at_start_with_a_line_per_model_not_by_the_first_click(settings, offline_pack,
                                                                                          tmp_path, capsys):
    import app

    local = replace(settings, cache_dir=tmp_path)  # a pack that lacks one model: the others link to the built ones
    (tmp_path / offline_pack["tiny-gpt2"].parent.name).mkdir()
    for name, folder in offline_pack.items():
        if name != "tiny-gpt2" and not offline.ENTRIES[name].shipped:
            (tmp_path / folder.parent.name / name).symlink_to(folder)
    try:
        config.use(local)
        assert not offline.is_built("tiny-gpt2")
        assert app.prepare_offline_pack(local).wait(120)
        assert offline.is_built("tiny-gpt2")
        assert "building the offline pack (1/1): tiny-gpt2 (in the background)" in capsys.readouterr().out
        assert app.prepare_offline_pack(local) is None  # all built: nothing to do
        assert app.prepare_offline_pack(replace(local, profile="hub", hub_offline=False)) is None
    finally:
        config.use(settings)


def test_the_app_imports_and_builds_without_heavy_modules(settings):
    """Nothing heavy before the first request (a fast start), so app.py's OMP_WAIT_POLICY reaches torch."""
    code = ("import os, sys, app, config; app.build_demo(config.load_settings([])); "
            "heavy = {'torch', 'transformers', 'matplotlib', 'bertviz', 'boto3'} & set(sys.modules); "
            "print(sorted(heavy), os.environ['OMP_WAIT_POLICY'])")
    # The default start (PLAYGROUND_DTYPE=bfloat16 or PLAYGROUND_DEVICE=cuda import torch to check the GPU).
    forced = {"OMP_WAIT_POLICY", "PLAYGROUND_DTYPE", "PLAYGROUND_DEVICE"}
    env = {k: v for k, v in os.environ.items() if k not in forced}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "PASSIVE"]


def test_endpoints_and_their_leading_inputs_are_pinned(client):
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for api_name, names in PINNED.items():
        assert api_name in endpoints, api_name
        params = [p["parameter_name"] for p in endpoints[api_name]["parameters"]]
        assert params[: len(names)] == names, api_name
        # Inputs after the listed ones are optional (the model choice): old scripts keep working.
        assert all(p["parameter_has_default"] for p in endpoints[api_name]["parameters"][len(names):])


def test_sentiment_round_trip(client):
    result = client.predict("I loved this wonderful film; the cast was brilliant.", api_name="/sentiment")
    assert result["label"] == "POSITIVE"
    assert {c["label"] for c in result["confidences"]} == {"POSITIVE", "NEGATIVE"}


def test_ner_round_trip(client):
    text = "Angela Merkel visited Paris."
    highlighted, entities = client.predict(text, api_name="/ner")
    for entity in entities:
        assert 0 <= entity["start"] < entity["end"] <= len(text)
    assert "".join(part["token"] for part in highlighted) == text


def test_zero_shot_round_trip(client):
    result = client.predict("The striker scored twice.", "sport, cooking", False, api_name="/zero_shot")
    assert result["label"] == "sport" and len(result["confidences"]) == 2


def test_fill_mask_round_trip(client):
    labels, candidates = client.predict("Paris is the [MASK] of France.", 4, api_name="/fill_mask")
    assert len(candidates) == 4 and len(labels["confidences"]) <= 4
    assert {"token_str", "score", "sequence"} <= set(candidates[0])


def test_generate_streams_and_returns_all_sequences(client):
    job = client.submit("Once upon a time", 30, 1.0, 50, 1.0, True, 3, 5, api_name="/generate")
    first, every = job.result(timeout=120)
    assert len(every) == 3 and first == every[0] and first.startswith("Once upon a time")
    assert len(job.outputs()) >= 2  # partial results came before the final one


@pytest.mark.parametrize("args, api_name, message", [
    (("",), "/sentiment", "empty"),
    (("x" * 5001,), "/ner", "limit is 5,000"),
    (("A text.", " , "), "/zero_shot", "at least one candidate label"),
    (("No mask here.",), "/fill_mask", r"\[MASK\]"),
    # gradio's Slider refuses it before our check runs; either message names the limit.
    (("Hi", 999, 1.0, 50, 1.0, True, 1, 0), "/generate", "256"),
    # gradio's Dropdown or our loader refuses it, whichever sees it first; both list the choices.
    (("Hi", "not-in-the-registry"), "/sentiment", "Pick one of|not in the list of choices|takes one of"),
])
def test_bad_input_is_a_clear_error_and_the_server_keeps_serving(client, args, api_name, message):
    with pytest.raises(AppError, match=f"(?i){message}"):
        client.predict(*args, api_name=api_name)
    assert client.predict("Good.", api_name="/sentiment")["label"] in {"POSITIVE", "NEGATIVE"}


def test_events_on_the_same_default_checkpoint_share_one_concurrency_id(settings):
    """One request at a time per model: every public event that takes a model picker (or the tokenizer explorer's
    choice) is in its default checkpoint's queue group, whatever the tab; no two checkpoints share a group."""
    import gradio as gr

    import app
    from models.registry import REGISTRY, TOKENIZERS
    from models.tasks import internals, sentiment
    from tabs import lstm

    demo = app.build_demo(settings)
    default_of = {tuple(loader.choices(task)): loader.choices(task)[0] for task in REGISTRY}
    default_of[tuple(internals.choices())] = internals.choices()[0]  # the learning tabs' picker
    default_of[tuple(TOKENIZERS)] = TOKENIZERS[next(iter(TOKENIZERS))].hub_id
    groups: dict[str, set] = {}  # default checkpoint -> the concurrency ids of its events
    events: dict[str, list] = {}
    for fn in demo.fns.values():
        if fn.api_visibility != "public" or fn.concurrency_id == lstm.TRAINING_ID:
            continue  # trainings work on fresh copies of a model, one training at a time in the whole app
        for component in fn.inputs:
            choices = tuple(value for _, value in getattr(component, "choices", None) or [])
            if isinstance(component, (gr.Dropdown, gr.Radio)) and choices in default_of:
                groups.setdefault(default_of[choices], set()).add(fn.concurrency_id)
                events.setdefault(default_of[choices], []).append(fn.api_name)
    assert all(len(ids) == 1 for ids in groups.values()), groups
    assert len({next(iter(ids)) for ids in groups.values()}) == len(groups)
    assert {"tokenize", "attention", "learned_positions", "fill_mask", "pair_view"} <= set(
        events["google-bert/bert-base-uncased"])
    assert set(events["google-t5/t5-small"]) == {"translate", "lstm_translate", "lstm_compare", "cross_attention"}
    sentiment_fn = next(fn for fn in demo.fns.values() if fn.api_name == "sentiment")
    assert sentiment_fn.concurrency_limit == sentiment.MAX_BATCH  # concurrent requests are batched in the model layer
