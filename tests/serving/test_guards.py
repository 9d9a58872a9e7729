"""serving.guards: values their input cannot take, events that are not public endpoints, and the sealing check."""

import asyncio

import gradio as gr
import pytest
from gradio.state_holder import SessionState

from serving import budget, guards


@pytest.fixture(scope="module")
def preprocess():
    """The checked preprocessing of one event that takes a slider, a number, a checkbox, a choice and a text."""
    with gr.Blocks() as demo:
        inputs = [gr.Slider(1, 10, value=3, step=1, label="Steps"), gr.Number(label="Seed"),
                  gr.Checkbox(label="Sample"), gr.Dropdown(["tiny", "small"], value="tiny", label="Model"),
                  gr.Textbox(label="Text")]
        gr.Button().click(lambda *values: str(values), inputs, gr.Textbox(), api_name="echo")
    guards.check_values(demo)
    block_fn = next(iter(demo.fns.values()))
    return lambda values: asyncio.run(demo.preprocess_data(block_fn, values, SessionState(demo)))


GOOD = [3, 7, True, "small", "hi"]


def test_good_values_pass_through(preprocess):
    assert preprocess(GOOD) == GOOD
    assert preprocess([3, None, None, None, None]) == [3, None, None, None, None]  # empty boxes stay empty


@pytest.mark.parametrize("index, value, message", [
    (0, 10**4000, "'Steps' takes a number from 1 to 10; got a number of 4,001 digits."),
    (0, 11, "'Steps' takes a number from 1 to 10; got 11."),
    (0, True, "'Steps' takes a number from 1 to 10; got True."),  # a boolean is not a number
    (0, [1, 2], "'Steps' takes a number from 1 to 10; got [1, 2]."),
    (1, 10**400, "'Seed' takes a number; got a number of 401 digits."),
    (1, float("inf"), "'Seed' takes a finite number; got inf."),
    (2, 2, "'Sample' takes true or false; got 2."),
    (3, ["tiny"] * 30, "'Model' takes one of its choices; got a list of 30 items."),
    (3, "huge", "'Model' takes one of: 'tiny', 'small'; got 'huge'."),
    (4, {"a": 1}, "'Text' takes text; got {'a': 1}."),
])
def test_a_value_its_input_cannot_take_is_named_and_echoed_short(preprocess, index, value, message):
    values = list(GOOD)
    values[index] = value
    with pytest.raises(gr.Error) as raised:
        preprocess(values)
    assert raised.value.message == message
    assert raised.value.print_exception is False  # one line in the log per call, no traceback


def test_a_long_value_is_echoed_cut():
    assert guards.shown("x" * 1000) == repr("x" * 1000)[:57] + "..."
    assert guards.shortened("y" * 5000, 300) == "y" * 297 + "..."


def _shout(text: str) -> str:
    return text.upper()


def _demo(public_guarded: bool) -> gr.Blocks:
    with gr.Blocks() as demo:
        box, out = gr.Textbox(), gr.Textbox()
        gr.Button().click(budget.handler(_shout) if public_guarded else _shout, box, out, api_name="shout")
        box.change(lambda text: text[::-1], box, out, api_visibility="private")
        box.blur(None, None, None, js="() => {}")  # browser only: nothing to seal
    return demo


def test_seal_guards_every_private_event_and_gives_them_one_small_group():
    demo = _demo(public_guarded=True)
    wrapped = []

    def helper(fn):
        wrapped.append(fn)
        return budget.handler(fn, 5.0)

    assert guards.seal(demo, helper) == 1
    private = [fn for fn in demo.fns.values() if fn.api_visibility == "private" and fn.fn is not None]
    assert len(private) == 1 and budget.is_guarded(private[0].fn)
    assert private[0].concurrency_id == guards.HELPERS
    assert private[0].concurrency_limit == guards.HELPER_CONCURRENCY
    assert guards.seal(demo, helper) == 0  # sealed once only
    assert wrapped[0]("abc") == "cba"


def test_an_unguarded_public_event_fails_the_build():
    with pytest.raises(TypeError, match="The public event /shout is not guarded"):
        guards.seal(_demo(public_guarded=False), budget.handler)
