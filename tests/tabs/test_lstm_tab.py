"""The LSTM lesson as users script it: pinned endpoints, streamed training, both translations, bad input."""

from types import SimpleNamespace

import gradio as gr
import pytest
from gradio_client.exceptions import AppError

from models.tasks import lstm
from tabs import lstm as tab

PINNED = {"/lstm_train": ["steps"], "/lstm_translate": ["text"]}


def test_endpoints_and_leading_inputs_are_pinned(client):
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for api_name, names in PINNED.items():
        params = endpoints[api_name]["parameters"]
        assert [p["parameter_name"] for p in params[:len(names)]] == names, api_name
        assert all(p["parameter_has_default"] for p in params[len(names):]), api_name


def test_train_streams_then_translate_gives_both(client):
    job = client.submit(30, api_name="/lstm_train")
    result = job.result(timeout=600)
    assert result["loss_end"] < result["loss_start"]
    assert len(job.outputs()) >= 2  # progress came before the result
    from_lstm, from_t5 = client.predict("Cats like milk.", api_name="/lstm_translate")
    assert isinstance(from_lstm, str) and from_t5


@pytest.mark.parametrize("args, api_name, message", [
    ((0,), "/lstm_train", "Steps must be between 1 and 2000"),
    (("",), "/lstm_translate", "empty"),
    (("x" * 301,), "/lstm_translate", "limit is 300"),
])
def test_bad_input_is_a_clear_error(client, args, api_name, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name=api_name)


def test_the_comparison_view_draws_what_lstm_compare_returned_and_refuses_anything_else(monkeypatch):
    monkeypatch.setattr(lstm, "current", lambda: SimpleNamespace(result={"losses": [2.0, 1.0]}))
    timing = {"tokens": 8, "lstm_ms": 0.5, "lstm_sequential_steps": 8, "transformer_ms": 0.25,
              "transformer_sequential_steps": 1}
    result = {"time_per_step": [timing], "attention": lstm.ATTENTION_NOTE,
              "quality_by_length": [{"bucket": "1-3 words", "phrases": 4, "lstm": 0.5, "t5": 0.75}]}
    figure, table = tab.comparison_view(result)
    assert list(figure.axes[0].lines[0].get_ydata()) == [2.0, 1.0]
    assert table.endswith("|---|---|---|\n| 8 | 0.5 ms (8 steps) | 0.25 ms (1 step) |")
    with pytest.raises(gr.Error, match=r"time_per_step\[0\].lstm_ms: expected a number"):
        tab.comparison_view({**result, "time_per_step": [{**timing, "lstm_ms": "fast"}]})
    with pytest.raises(gr.Error, match=r"time_per_step: expected a list of 0 to 3 items"):
        tab.comparison_view({**result, "time_per_step": [timing] * 4})
