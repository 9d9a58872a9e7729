"""The raw wire client gets what gradio_client gets: results, streamed values in full, errors, over one connection."""

from __future__ import annotations

import pytest
from gradio_client.exceptions import AppError

from models import loader
from tests.support.waiting import slow_down
from tests.support.wire import CallFailed, RawClient

PROMPT = "Once upon a time"
GREEDY = [PROMPT, 12, 1.0, 50, 1.0, False, 1, 0]  # /generate's leading inputs: 12 tokens, do_sample off


@pytest.fixture
def raw(app_url):
    client = RawClient(app_url, keep_session=True)
    yield client
    client.close()


def test_results_and_errors_are_what_gradio_client_gets(raw, client):
    outcome = raw.call("/sentiment", "I loved every minute of it.")  # the model choice takes its default
    assert outcome.ok and outcome.data[0] == client.predict("I loved every minute of it.", api_name="/sentiment")
    with pytest.raises(AppError) as refused:
        client.predict("", api_name="/sentiment")
    empty = raw.call("/sentiment", "")
    assert not empty.ok and not empty.queue_full and empty.error == str(refused.value)
    with pytest.raises(CallFailed, match=str(refused.value)[:40]):
        raw.call("/sentiment", "", check=True)


def test_streamed_results_arrive_whole_and_growing_on_one_kept_session(raw, client, monkeypatch):
    slow_down(loader.get("generate").model, 0.05, monkeypatch)  # several partial results, not one
    first = raw.call("/generate", *GREEDY, check=True)
    second = raw.call("/generate", *GREEDY, check=True)  # the same session and connection, read to their end
    texts = [data[0] for _, data in first.updates]
    assert len(texts) > 2 and texts[0].startswith(PROMPT)
    assert all(later.startswith(earlier) for earlier, later in zip(texts, texts[1:]))  # diffs applied, not raw
    expected = client.predict(*GREEDY, api_name="/generate")
    assert first.data == second.data == list(expected) and texts[-1] == expected[0]
    times = [t for t, _ in first.updates]
    assert times == sorted(times) and first.seconds >= times[-1]


def test_hanging_up_mid_stream_leaves_the_client_usable(raw, monkeypatch):
    slow_down(loader.get("generate").model, 0.05, monkeypatch)
    answer, session = raw.join("/generate", [PROMPT, 200, 1.0, 50, 1.0, False, 1, 0])
    assert answer.status_code == 200 and session == raw.session_hash
    for message in raw.events(session, timeout=60):  # the first partial result, then hang up
        if message.get("msg") == "process_generating":
            break
    assert raw.session_hash != session  # the old session's work is being cancelled: a new one, as after a reload
    assert raw.call("/sentiment", "A fine film.", timeout=60).ok  # on a new connection
