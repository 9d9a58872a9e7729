"""One generation step's alternatives as bar rows, and the steps no /generate_probabilities returns refused."""

import gradio as gr
import pytest

from tabs._views import charts

REFUSED = "This view was sent data its endpoint never returns"


def step(number: int, token_id: int, ids: list[int]) -> dict:
    return {"step": number, "token": f"t{token_id}", "token_id": token_id, "probability": 0.25, "band": "likely",
            "alternatives": [{"token": f"t{i}", "token_id": i, "probability": 0.5 / (rank + 1)}
                             for rank, i in enumerate(ids)]}


STEPS = [step(1, 7, [7, 3]), step(2, 9, [4, 5, 6])]


def test_the_chosen_token_is_marked_among_the_alternatives():
    rows, caption = charts.alternatives(STEPS, 1)
    assert rows.to_dict("records") == [{"token": "1. 't7'", "probability": 0.5, "kind": "chosen"},
                                       {"token": "2. 't3'", "probability": 0.25, "kind": "alternative"}]
    assert caption == "Step 1 of 2: the model chose 't7' with probability 0.2500 (likely)."


def test_a_token_outside_the_top_says_so_and_the_step_is_clamped():
    rows, caption = charts.alternatives(STEPS, 99.0)  # the slider may send a float
    assert list(rows["kind"]) == ["alternative"] * 3
    assert caption.startswith("Step 2 of 2") and caption.endswith("It was not among the top 3: sampling or a "
                                                                  "penalty picked it.")
    assert charts.alternatives(None, 1) == (None, "Run **Show probabilities** first.")


@pytest.mark.parametrize("steps, where", [
    ({"step": 1}, "steps: expected a list of 0 to 256 items"),
    (STEPS * 129, "steps: expected a list of 0 to 256 items"),
    ([{**STEPS[0], "alternatives": STEPS[0]["alternatives"] * 6}],
     r"steps\[0\].alternatives: expected a list of 0 to 10 items"),
    ([{**STEPS[0], "token_id": "7"}], r"steps\[0\].token_id: expected a whole number"),
    ([{**STEPS[0], "band": None}], r"steps\[0\].band: expected text"),
    ([{"token": "a"}], r"steps\[0\]: expected an object with step, band, alternatives"),
])
def test_steps_no_endpoint_returns_are_refused(steps, where):
    with pytest.raises(gr.Error, match=f"{REFUSED} \\({where}"):
        charts.alternatives(steps, 1)
    with pytest.raises(gr.Error, match=r"step: expected a number"):
        charts.alternatives(STEPS, "first")
