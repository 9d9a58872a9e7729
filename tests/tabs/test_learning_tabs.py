"""The tokenizer, positional-encoding and attention tabs as users script them: names, round trips, errors."""

import html
import re

import gradio as gr
import pytest
from gradio_client.exceptions import AppError

from models import loader
from tabs import _learning
from tabs import attention as attention_tab
from tabs import positional as positional_tab
from tabs import tokenizer as tokenizer_tab
from tests.support import references
from tests.support.wire import RawClient

NOVEL_A, NOVEL_B = "I read a good novel.", "Attention is a novel idea."
PINNED = {  # docs/api.md's leading inputs
    "/tokenize": ["text", "tokenizer"],
    "/positional_encoding": ["seq_len", "d_model"],
    "/attention": ["text", "layer", "head"],
    "/compare_word": ["sentence_a", "sentence_b", "word"],
}
EXTRA = {"/compare_tokenizers", "/tokenize_batch", "/learned_positions", "/attention_from_scratch"}


def build(*tabs) -> gr.Blocks:
    with gr.Blocks() as demo:
        for tab in tabs:
            with gr.Tab(tab.TITLE):
                tab.build()
    return demo


def test_tabs_build_without_loading_a_model_and_name_every_endpoint(settings):
    loader.clear()
    demo = build(tokenizer_tab, positional_tab, attention_tab)
    names = {f"/{fn.api_name}" for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert names == set(PINNED) | EXTRA
    assert loader.in_memory() == []


def test_endpoints_and_their_leading_inputs_are_pinned(client):
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for api_name, names in PINNED.items():
        params = [p["parameter_name"] for p in endpoints[api_name]["parameters"]]
        assert params[: len(names)] == names, api_name
        assert all(p["parameter_has_default"] for p in endpoints[api_name]["parameters"][len(names):])
    assert EXTRA <= set(endpoints)


def test_tokenize_round_trip(client):
    result = client.predict(NOVEL_A, "bert-base-uncased", api_name="/tokenize")
    assert result["input_ids"] == [101, 1045, 3191, 1037, 2204, 3117, 1012, 102]
    assert result["offsets"][5] == [14, 19] and NOVEL_A[14:19] == "novel"
    compared = client.predict(NOVEL_A, api_name="/compare_tokenizers")
    assert {name: item["count"] for name, item in compared.items()}["gpt2"] == 6
    batch = client.predict("Hi.\nHello there.", "bert-base-uncased", 6, "max_length", api_name="/tokenize_batch")
    assert batch["attention_mask"] == [[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 0]]


def test_positional_round_trip(client):
    for plot in (client.predict(32, 64, api_name="/positional_encoding"),
                 client.predict(32, api_name="/learned_positions")):
        assert plot["type"] == "matplotlib" and plot["plot"].startswith("data:image/")


def test_attention_round_trip(client):
    frame, plot = client.predict(NOVEL_A, 1, 2, api_name="/attention")
    document = html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))
    assert "novel" in document and "cdnjs" not in document and plot["type"] == "matplotlib"
    causal_frame, _ = client.predict(NOVEL_A, 1, 1, True, False, "openai-community/gpt2", api_name="/attention")
    # GPT-2's own tokens, which bertviz shows with a space for Ġ
    assert '"left_text": ["I", " read", " a", " good", " novel", "."]' in html.unescape(causal_frame)


def test_compare_word_and_from_scratch_round_trip(client):
    result = client.predict(NOVEL_A, NOVEL_B, "novel", api_name="/compare_word")
    assert len(result["cosine_similarity"]) == 7 and result["sentences"]["b"]["positions"] == [4]
    steps = client.predict(NOVEL_A, 2, 3, api_name="/attention_from_scratch")
    assert steps["max_abs_difference_from_model"] < references.atol("encoder", 1e-5) and len(steps["top"]) == 8


@pytest.mark.parametrize("args, api_name, message", [
    (("", "gpt2"), "/tokenize", "empty"),
    (("One line only.", "gpt2", 8, "longest"), "/tokenize_batch", "2 to 8 sentences"),
    ((10, 63), "/positional_encoding", "d_model must be even"),
    ((NOVEL_A, 9, 0), "/attention", "must be between 0 and 5"),
    (("word " * 70, 0, 0), "/attention", "at most 64"),
    ((NOVEL_A, "Attention is new.", "novel"), "/compare_word", "'novel' is not in sentence B"),
    ((NOVEL_A, 0, 0, "no-such-model"), "/attention_from_scratch", "takes one of"),
])
def test_mistakes_are_clear_errors_and_the_server_keeps_serving(client, args, api_name, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name=api_name)
    assert client.predict("ok", "gpt2", api_name="/tokenize")["input_ids"] == [482]


@pytest.mark.parametrize("view, args, where", [
    ("word_in_context", [{"word": "novel", "layers": "all"}], "the result: expected an object with word, layers"),
    ("padded_batch", [{"tokens": [["a"]], "attention_mask": [[1, 1]], "pad_token": "[PAD]", "padding_side": "right"}],
     "attention_mask: expected a 0 or 1 under every token"),
    ("show", [NOVEL_A, "gpt2", {"tokens": ["I"], "special_tokens_mask": [0], "offsets": [[0, 99]]}],
     "offsets[0][1]: expected a whole number from 0 to 20"),
])
def test_a_view_sent_what_no_endpoint_returns_says_so(app_url, view, args, where):
    """The page's private view events take the endpoint's result back from the browser: any client can
    send anything there, and gets a clear error rather than a traceback."""
    raw = RawClient(app_url)
    try:
        outcome = raw.call(view, *args)
    finally:
        raw.close()
    assert not outcome.ok
    assert outcome.error.startswith(f"This view was sent data its endpoint never returns ({where}")


def test_page_helpers_render_the_api_results(offline_pack):
    result = tokenizer_tab.tokenize(NOVEL_A, "bert-base-uncased")
    pieces, rows, decoded, note = tokenizer_tab.show(NOVEL_A, "bert-base-uncased", result)
    assert pieces[0] == ("[CLS]", "special token") and rows[5][1:3] == ["novel", 3117]
    assert "real bert-base-uncased vocabulary" in note and decoded.startswith("[CLS]")
    compared = tokenizer_tab.show_compared(NOVEL_A, tokenizer_tab.tokens.compare(NOVEL_A))
    assert len(compared) == 6 and "8 tokens" in compared[0] and "NOT t5-small's" in compared[4]
    steps = attention_tab.show_steps(attention_tab.self_attention.walk_through(NOVEL_A, 0, 0))
    assert "match the model's own attention" in steps[0] and steps[2].shape == (8, 9)  # token column + 8 keys
    assert attention_tab.check(0.02, "bfloat16").startswith("⚠️") and "runs in bfloat16" in \
        attention_tab.check(0.02, "bfloat16")


def test_layer_and_head_sliders_follow_the_picked_model_and_keep_the_mean(offline_pack):
    with gr.Blocks() as demo:
        picker = gr.Dropdown(loader.choices("generate"), value=loader.choices("generate")[0])
        layer, head = gr.Slider(-1, 11, value=-1), gr.Slider(-1, 11, value=5)
        _learning.follow_shape(picker, layer, head, mean=True)
    on_load = next(fn for fn in demo.fns.values() if not fn.inputs)  # the page-load trigger
    layers, heads = on_load.fn()
    # The offline stand-in GPT-2: 2 layers of 2 heads; -1 (the mean) stays, 5 comes down to the last head.
    assert (layers["maximum"], layers["value"], layers["label"]) == (1, -1, "Layer (0-1; -1: the mean)")
    assert (heads["maximum"], heads["value"], heads["label"]) == (1, 1, "Head (0-1; -1: the mean)")
