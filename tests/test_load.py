"""Load: 32 concurrent clients across the tabs for a bounded time, twice, against an app with a small queue.

Loopback only; every loop is bounded by ROUND_SECONDS and each call by CALL_SECONDS, so the test stops by
itself. It checks that no valid request fails, that a full queue is answered with a clear message, that
every request the queue accepted is answered, and that a second identical round leaves memory level.
"""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from tests.support.bad_inputs import SKIPPED, Endpoint, discover
from tests.support.launching import launched_app, rss_mb
from tests.support.waiting import wait_until
from tests.support.wire import RawClient

CLIENTS = 32
QUEUE_SIZE = 12  # small, so that 32 clients fill it and queue-full answers are exercised
ROUND_SECONDS = 8  # each client stops starting new requests after this
CALL_SECONDS = 120  # an accepted request not answered by then is lost
# The second round may add at most this much over the first (measured +26-71 MB: worker threads and allocator
# pools reaching a new peak of concurrency); a leak per request is the reliability catalogue's second pass to catch.
LEVEL_MB = 150
BACKOFF_SECONDS = 0.3  # after "queue full", as a polite client would


@dataclass
class Tally:
    answered: list[float] = field(default_factory=list)  # seconds per answered request
    queue_full: int = 0
    unclear_full: list[str] = field(default_factory=list)  # queue-full answers without a clear message
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture(scope="module")
def small_queue_app(settings, offline_pack):
    with launched_app(settings, queue_size=QUEUE_SIZE) as (demo, url):
        yield demo, url


@pytest.fixture(scope="module")
def mix(small_queue_app) -> list[Endpoint]:
    """One valid call per tab's endpoint (no training, no AWS, nothing that needs earlier work)."""
    from gradio_client import Client

    endpoints = discover(Client(small_queue_app[1], verbose=False))
    return [e for name, e in sorted(endpoints.items())
            if e.params and not (e.restricted or e.stateful) and name not in SKIPPED]


def client_loop(url: str, mix: list[Endpoint], offset: int, stop_at: float, tally: Tally) -> None:
    raw = RawClient(url, timeout=CALL_SECONDS)
    turn = offset
    try:
        while time.monotonic() < stop_at:
            endpoint = mix[turn % len(mix)]
            turn += 1
            outcome = raw.call(endpoint.api_name, *endpoint.valid_args(), timeout=CALL_SECONDS)
            with tally.lock:
                if outcome.ok:
                    tally.answered.append(outcome.seconds)
                elif outcome.queue_full:
                    tally.queue_full += 1
                    if "queue is full" not in (outcome.error or "").lower():
                        tally.unclear_full.append(outcome.error)
                else:
                    tally.errors.append(f"{endpoint.api_name}: {outcome.error!r:.200}")
            if outcome.queue_full:
                time.sleep(BACKOFF_SECONDS)
    finally:
        raw.close()


def run_round(url: str, mix: list[Endpoint]) -> tuple[Tally, float]:
    tally, started = Tally(), time.monotonic()
    stop_at = started + ROUND_SECONDS
    with ThreadPoolExecutor(CLIENTS) as pool:
        for future in [pool.submit(client_loop, url, mix, i, stop_at, tally) for i in range(CLIENTS)]:
            future.result()  # a client that raised (a lost connection, a hang) fails the test here
    return tally, time.monotonic() - started


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] if len(values) > 1 else values[0]


@pytest.mark.system
def test_32_clients_twice_nothing_lost_queue_full_said_clearly_memory_level(small_queue_app, mix, capsys):
    demo, url = small_queue_app
    assert demo._queue.max_size == QUEUE_SIZE and demo.api_open is False  # bounded, and no route around it
    warm = RawClient(url)
    for endpoint in mix:  # each model loads once, outside the measured rounds
        assert warm.call(endpoint.api_name, *endpoint.valid_args(), timeout=CALL_SECONDS).ok, endpoint.api_name
    warm.close()
    memory = [rss_mb()]
    lines = []
    for number in (1, 2):
        tally, seconds = run_round(url, mix)
        memory.append(rss_mb())
        answered = sorted(tally.answered)
        lines.append(f"round {number}: {len(answered)} answered, {tally.queue_full} queue-full, "
                     f"{len(tally.errors)} errors in {seconds:.1f} s; p50 {percentile(answered, 0.5):.2f} s, "
                     f"p99 {percentile(answered, 0.99):.2f} s; RSS {memory[-1]:.0f} MB")
        with capsys.disabled():
            print(f"\n[load] {CLIENTS} clients x {ROUND_SECONDS} s over {len(mix)} endpoints, queue {QUEUE_SIZE}; "
                  f"RSS before {memory[0]:.0f} MB; {lines[-1]}")
        assert not tally.errors, "\n".join(tally.errors[:20])
        assert not tally.unclear_full, tally.unclear_full[:3]
        assert tally.queue_full and answered, "the queue never filled, or nothing got through"
    assert memory[2] - memory[1] < LEVEL_MB, f"the second round added {memory[2] - memory[1]:.0f} MB"


@pytest.mark.system
def test_a_full_queue_is_answered_with_a_clear_message_to_gradio_client(small_queue_app, monkeypatch):
    """What a gradio_client script sees when the queue really is full: QueueError saying so, not a hang."""
    from gradio_client import Client
    from gradio_client.utils import QueueError

    from models import loader
    from models.tasks import sentiment

    _, url = small_queue_app
    release = threading.Event()
    model = loader.get("sentiment").model
    forward = model.forward
    monkeypatch.setattr(model, "forward", lambda *a, **k: (release.wait(60), forward(*a, **k))[1])
    raw, client = RawClient(url), Client(url, verbose=False)
    try:
        # MAX_BATCH requests run at once (blocked in the model), the next QUEUE_SIZE wait, the rest are refused
        joined = [raw.join("/sentiment", ["A fine film."])[0].status_code
                  for _ in range(sentiment.MAX_BATCH + QUEUE_SIZE + 4)]
        assert 503 in joined, f"{len(joined)} blocked requests never filled a queue of {QUEUE_SIZE}"
        with pytest.raises(QueueError, match="(?i)queue is full"):
            client.predict("A fine film.", api_name="/sentiment")
    finally:
        release.set()
        raw.close()
    assert wait_until(lambda: answered(client), timeout=60)  # once the blocked requests drain


def answered(client) -> bool:
    """The client is served (False while the queue is still full)."""
    from gradio_client.utils import QueueError

    try:
        return client.predict("A fine film.", api_name="/sentiment") is not None
    except QueueError:
        return False


@pytest.mark.system
def test_every_public_endpoint_has_a_concurrency_limit(small_queue_app):
    demo, _ = small_queue_app
    unlimited = [fn.api_name for fn in demo.fns.values()
                 if fn.api_visibility == "public" and fn.concurrency_limit is None]
    assert not unlimited, f"no concurrency limit (unbounded parallel runs): {unlimited}"


def test_tabs_on_the_same_default_model_share_one_concurrency_group(settings):
    from tabs import _common

    assert _common.concurrency_id("encoder") == _common.concurrency_id("fill_mask")  # both bert-base-uncased
    assert _common.concurrency_id("sentiment") != _common.concurrency_id("ner")
