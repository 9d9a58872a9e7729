"""Test helpers for things that happen on other threads: polling, and a model slowed down on purpose."""

import time


def wait_until(condition, timeout: float) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; its final value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def slow_down(model, seconds: float, monkeypatch, times: int | None = None) -> list[float]:
    """Add `seconds` to each forward pass of `model` (the first `times` only, when given); returns the list
    of call times, growing."""
    forward, calls = model.forward, []

    def slow_forward(*args, **kwargs):
        calls.append(time.monotonic())
        if times is None or len(calls) <= times:
            time.sleep(seconds)
        return forward(*args, **kwargs)

    monkeypatch.setattr(model, "forward", slow_forward)
    return calls
