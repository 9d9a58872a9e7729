"""The Why? tab through the launched app (gradio_client), its Show code snippets, and its concurrency groups."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import gradio as gr
import pytest
from gradio_client.exceptions import AppError

from models import limits
from models.tasks import (
    attribution,
    cross_attention,
    embedding_projection,
    head_ablation,
    logit_lens,
    neuron_view,
    sampling_distribution,
)
from tabs import _common
from tabs import why as why_tab
from tests.support import references, snippets

SLOW = "The service was slow and the staff were rude."
BLAND = "The food was cold and bland."
SENTENCES = "I loved this film.\nWhat a wonderful movie.\nThe stock market fell today.\nMy cat sleeps all day."
# api_name -> (its leading inputs, in order, as issue 17 pins them; the keys of its dict)
ENDPOINTS = {
    "/attribution": (["text", "task", "target", "method", "steps"],
                     {"tokens", "scores", "target", "method", "prediction", "target_score", "baseline_score"}),
    "/cross_attention": (["text", "target_language", "layer", "head"],
                         {"source_tokens", "target_tokens", "attention", "translation"}),
    "/logit_lens": (["text"], {"tokens", "layers", "top_tokens", "top_probs"}),
    "/sampling_distribution": (["prompt", "temperature", "top_k", "top_p"], {"tokens", "raw_probs", "final_probs"}),
    "/neuron_view": (["text", "layer", "head"], {"tokens", "queries", "keys", "attention"}),
    "/ablate_heads": (["text", "heads", "task"], {"before", "after", "one_at_a_time"}),
    "/embedding_projection": (["sentences", "layer"], {"points", "explained_variance"}),
}


def test_endpoints_and_their_leading_inputs_are_pinned(client):
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for api_name, (names, _) in ENDPOINTS.items():
        params = endpoints[api_name]["parameters"]
        assert [p["parameter_name"] for p in params[: len(names)]] == names, api_name
        assert all(p["parameter_has_default"] for p in params[1:]), api_name  # all but the text are optional
        assert params[-1]["parameter_name"] == "choice"  # the model choice last


def test_each_view_answers_through_gradio_client(client):
    calls = {
        "/attribution": (BLAND,),
        "/cross_attention": ("The house is wonderful.", "German", 1, 0, 8),
        "/logit_lens": ("The capital of France is",),
        "/sampling_distribution": ("Once upon a time", 0.8, 20, 0.95),
        "/neuron_view": ("The cat sat on the mat.", 1, 2),
        "/ablate_heads": (BLAND, "0.1, 2.*"),
        "/embedding_projection": (SENTENCES, 3),
    }
    for api_name, args in calls.items():
        *shown, numbers = client.predict(*args, api_name=api_name)
        assert ENDPOINTS[api_name][1] <= set(numbers), api_name
        assert shown, api_name
    highlighted, numbers = client.predict(BLAND, api_name="/attribution")
    assert "".join(piece["token"] for piece in highlighted) == BLAND  # the text, coloured token by token
    assert max(piece["class_or_confidence"] or 0 for piece in highlighted) == 1.0  # "bland", the largest share


@pytest.mark.parametrize(("text", "words"), [(SLOW, {"rude", "slow"}), (BLAND, {"bland", "cold"})])
def test_attribution_meets_the_quality_bar_through_the_app(client, text, words):
    _, result = client.predict(text, "sentiment", "", "integrated_gradients", 64, api_name="/attribution")
    ranked = sorted(zip(result["scores"], result["tokens"]), reverse=True)
    assert {token for _, token in ranked[:2]} == words
    assert abs(sum(result["scores"]) - (result["target_score"] - result["baseline_score"])) < 1e-3


def test_silencing_no_head_gives_the_sentiment_endpoint_exactly(client):
    _, result = client.predict(SLOW, "", "sentiment", api_name="/ablate_heads")
    label = client.predict(SLOW, api_name="/sentiment")
    assert result["before"] == result["after"] == {c["label"]: c["confidence"] for c in label["confidences"]}


def test_cross_attention_belongs_to_the_translate_endpoint_text(client):
    text = "Where is the nearest train station?"
    _, _, result = client.predict(text, "French", 0, 1, 10, api_name="/cross_attention")
    assert result["translation"] == client.predict(text, "French", 10, api_name="/translate")
    assert all(abs(sum(row) - 1) < references.atol("translate", 1e-5) for row in result["attention"])


def test_logit_lens_last_layer_is_what_generate_writes(client):
    prompt = "The capital of France is"
    _, result = client.predict(prompt, api_name="/logit_lens")
    text, _ = client.predict(prompt, 1, 1.0, 50, 1.0, False, 1, 0, api_name="/generate")  # greedy, one token
    assert text == prompt + result["top_tokens"][-1][-1]


@pytest.mark.parametrize(("api_name", "args", "message"), [
    ("/attribution", (SLOW, "sentiment", "", "integrated_gradients", 999), "takes a number from [0-9.]+ to 128; got"),
    ("/attribution", (SLOW, "zero_shot", ""), "enter the label to explain"),
    ("/ablate_heads", (SLOW, "9.9"), "this model has layers 0-5"),
    ("/embedding_projection", ("only one line",), "Enter 3 to 50 sentences, one per line; got 1"),
    ("/neuron_view", (" ".join(["cat"] * 30),), "32 tokens; this view takes at most 24"),
])
def test_mistakes_come_back_as_clear_errors(client, api_name, args, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name=api_name)


def test_show_code_prints_what_each_view_returned(offline_pack):
    """Every view's snippet, run on its own in a fresh interpreter, prints the dict its endpoint returns."""
    cases = [
        (attribution.explain, attribution.code, (BLAND, "sentiment", "", "integrated_gradients", 8)),
        (attribution.explain, attribution.code, ("Paris is the [MASK] of France.", "fill_mask", "",
                                                 "gradient_x_input")),
        (head_ablation.ablate, head_ablation.code, (SLOW, "0.1, 5.*", "sentiment")),
        (logit_lens.lens, logit_lens.code, ("The capital of France is",)),
        (sampling_distribution.distribution, sampling_distribution.code, ("Once upon a time", 0.7, 5, 0.9)),
        (lambda *args: cross_attention.attend(*args).result, cross_attention.code, ("The house is wonderful.",
                                                                                    "German", 1, 1, 6)),
        (lambda *args: neuron_view.neuron(*args).result, neuron_view.code, ("The cat sat on the mat.", 2, 3)),
        (embedding_projection.project, embedding_projection.code, (SENTENCES, 2)),
    ]
    expected = [view(*args) for view, _, args in cases]
    printed = snippets.results([code(*args) for _, code, args in cases])
    for (view, _, args), out, want in zip(cases, printed, expected):
        # Another process, the same weights, dtype and kernels: equal to 1e-4 (sums may run in another order).
        snippets.assert_same(out, json.loads(json.dumps(want)), 1e-4, f"{getattr(view, '__name__', 'view')}{args[:1]}")


def test_the_gradio_client_snippet_prints_what_the_app_returns(client, app_url):
    inputs = ("The capital of France is", "openai-community/gpt2")
    code = _common.client_code("logit_lens", inputs, app_url)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert printed[-1] == client.predict(*inputs, api_name="/logit_lens")[-1]


def test_views_run_in_their_model_concurrency_group(settings):
    with gr.Blocks() as demo:
        why_tab.build()
    groups = {fn.api_name: fn.concurrency_id for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert groups == {
        # Attribution and ablation take a task: one request at a time, in the sentiment model's group (the
        # sentiment tab batches in its own); their hooks go on a private copy, never on the shared model.
        "attribution": _common.concurrency_id("sentiment"),
        "ablate_heads": _common.concurrency_id("sentiment"),
        "logit_lens": _common.concurrency_id("generate"),
        "sampling_distribution": _common.concurrency_id("generate"),
        "cross_attention": _common.concurrency_id("translate"),
        "neuron_view": _common.concurrency_id("encoder"),
        "embedding_projection": _common.concurrency_id("encoder"),
    }


def test_caps_are_stated_beside_their_inputs(settings):
    with gr.Blocks() as demo:
        why_tab.build()
    stated = " ".join(str(getattr(block, "info", "") or "") + " " + str(getattr(block, "label", "") or "")
                      for block in demo.blocks.values())
    for cap in (f"{limits.WHY_CHARS:,} characters and {limits.WHY_TOKENS} tokens", f"{limits.ATTRIBUTION_STEPS}",
                f"{limits.NEURON_TOKENS} tokens", f"{limits.CROSS_ATTENTION_TOKENS} tokens",
                f"up to {limits.CROSS_ATTENTION_NEW_TOKENS}", f"{limits.PROJECTION_SENTENCES} sentences",
                f"{limits.ABLATION_HEADS_CHARS:,} characters", f"{limits.ATTRIBUTION_TARGET_CHARS} characters"):
        assert cap in stated, cap
