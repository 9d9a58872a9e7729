"""The payload hook: a value gradio cannot read, the wrong number of values, or an oversized request each get a
gr.Error that says what to send; a good payload passes through unchanged."""

import asyncio

import gradio as gr
import pytest
from gradio.state_holder import SessionState

from models import limits
from serving import payload


@pytest.fixture(scope="module")
def preprocess():
    """The hooked preprocessing of one event that takes a slider and a text box."""
    with gr.Blocks() as demo:
        steps, text, out = gr.Slider(1, 10, value=3, label="Steps"), gr.Textbox(label="Text"), gr.Textbox()
        gr.Button().click(lambda n, s: s, [steps, text], out, api_name="echo")
    payload.refuse_malformed_payloads(demo)
    block_fn = next(iter(demo.fns.values()))
    return lambda inputs: asyncio.run(demo.preprocess_data(block_fn, inputs, SessionState(demo)))


def test_a_good_payload_passes_through(preprocess):
    assert preprocess([3, "hi"]) == [3, "hi"]


@pytest.mark.parametrize("inputs, message", [
    (["many", "hi"], "'Steps' takes a number; got 'many'. Send it as the app's 'Use via API' page shows it."),
    ([3], "This endpoint takes 2 values (Steps, Text); send them in that order"),
    ([3, "x" * (limits.PAYLOAD_CHARS + 1)], f"This request carries {limits.PAYLOAD_CHARS + 1:,} characters"),
    ([3, {"nested": ["x" * limits.PAYLOAD_CHARS]}], "characters; no input of this app takes more than"),
])
def test_what_gradio_cannot_read_gets_a_message_that_says_what_to_send(preprocess, inputs, message):
    with pytest.raises(gr.Error) as raised:
        preprocess(inputs)
    assert message in raised.value.message
