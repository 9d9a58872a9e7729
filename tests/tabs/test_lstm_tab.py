"""The LSTM lesson as users script it: pinned endpoints, streamed training, both translations, bad input."""

import pytest
from gradio_client.exceptions import AppError

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
