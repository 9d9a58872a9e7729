"""Work that streams nothing still stops when its request is asked to (the time budget, Stop): seq2seq
model.generate at its next decoding step, beam search included, and QA between its windows."""

import pytest

from models import loader
from models.snippets import qa as reference
from models.tasks import qa, summarize
from models.tasks.summarize import SummarySettings
from serving.bridge import Bridge, Stopped
from tests.support.waiting import slow_down, wait_until

TEXT = "The council voted on Tuesday to turn the old railway yard into a park. Work starts in spring."
FILLER = "Animals live in the park and people walk there every day. "


def stopped_midway(task, calls: list, after: int) -> tuple[str, int]:
    """Run task() as a bridge's work, close the bridge once the model has run `after` forward passes; returns
    how the work ended and how many passes ran in all."""
    ended = []

    def work(emit, should_stop):
        emit("started")
        try:
            task()
            ended.append("finished")
        except Stopped:
            ended.append("stopped")

    bridge = Bridge(work, name="stopping test")
    assert next(bridge) == "started"
    assert wait_until(lambda: len(calls) >= after, timeout=60)
    bridge.close()
    assert wait_until(lambda: bridge.finished, timeout=10), "the work did not stop"
    return ended[0], len(calls)


@pytest.mark.parametrize("beams", [1, 4])
def test_a_summary_stops_at_its_next_decoding_step(offline_pack, monkeypatch, beams):
    # 120 steps would take 6 s (the stand-in BART's decoder has 128 positions: a longer summary is refused)
    calls = slow_down(loader.get("summarize").model, 0.05, monkeypatch)
    settings = SummarySettings.checked(max_new_tokens=120, min_new_tokens=120, num_beams=beams)
    how, passes = stopped_midway(lambda: summarize.summarize(TEXT, settings), calls, after=3)
    assert how == "stopped" and passes < 10


def test_question_answering_stops_between_windows(offline_pack, monkeypatch):
    calls = slow_down(loader.get("qa").model, 0.05, monkeypatch)
    context = FILLER * 300  # more than ten windows
    assert len(reference.windows(loader.get("qa").tokenizer, "Who walks?", context)) > 10
    how, passes = stopped_midway(lambda: qa.answer("Who walks?", context), calls, after=2)
    assert how == "stopped" and passes < 6


def test_outside_a_bridge_nothing_changes(offline_pack):
    settings = SummarySettings.checked(max_new_tokens=8, min_new_tokens=8, num_beams=2)
    inside = Bridge(lambda emit, should_stop: summarize.summarize(TEXT, settings)).result()
    assert summarize.summarize(TEXT, settings) == inside
