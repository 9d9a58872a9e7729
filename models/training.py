"""Running a training: one at a time, in the background, streaming its progress; saving what it made.

The training loops themselves are reference code: models/snippets/classifier.py, causal_lm.py, lstm.py.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def replace_folder(folder: Path, write: Callable[[Path], None]) -> None:
    """Fill a scratch folder with `write`, then swap it in: a failed save never leaves half a model."""
    import os
    import shutil

    scratch = folder.with_name(f".{folder.name}.saving-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    try:
        write(scratch)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(scratch, folder)


# ---- running a training in the background ------------------------------------------------------

TRAINING = threading.Lock()  # one training at a time in this process, whichever lab runs it
Emit = Callable[[object], None]
StepCallback = Callable[[int, int, float], None]  # (step, total_steps, loss)
_DONE, _FAILED, _UPDATE = "done", "failed", "update"


def training_threads() -> int:
    """Intra-op threads a training uses: half the cores, so the other tabs keep the rest.

    On 2 cores this also avoids OpenMP's worst case: two busy thread teams spinning on the same cores
    (measured here: a MiniLM step 4x slower with 2 threads than with 1 while other work ran).
    """
    return max(1, (os.cpu_count() or 2) // 2)


@contextmanager
def _fewer_threads():
    # torch.set_num_threads applies to the calling thread (OpenMP) and to threads started later, so
    # the default is restored afterwards; threads already running keep theirs throughout.
    import torch

    default = torch.get_num_threads()
    torch.set_num_threads(min(default, training_threads()))
    try:
        yield
    finally:
        torch.set_num_threads(default)


def stream_training(work: Callable[[Emit, Callable[[], bool]], object],
                    min_interval: float = 0.5) -> Iterator[object]:
    """Run `work(emit, should_stop)` in a worker thread that holds TRAINING; yield what it emits
    (at most one update per `min_interval` seconds, except that a new "status" is always shown, so a
    fast run still reports each phase), then its result.

    Closing the iterator (a cancelled event, a client gone away) makes should_stop() true, so the
    work stops at its next step; the lock is held until it has, so runs never overlap. An exception
    in the work is raised here.
    """
    events: queue.Queue = queue.Queue()
    stop = threading.Event()

    def run() -> None:
        try:
            with TRAINING, _fewer_threads():
                if not stop.is_set():
                    events.put((_DONE, work(lambda item: events.put((_UPDATE, item)), stop.is_set)))
        except BaseException as exc:  # re-raised in the caller's thread below
            events.put((_FAILED, exc))

    threading.Thread(target=run, daemon=True, name="training").start()
    last, last_status = 0.0, None
    try:
        while True:
            kind, value = events.get()
            if kind == _FAILED:
                raise value
            if kind == _DONE:
                yield value
                return
            status = value.get("status") if isinstance(value, dict) else None
            if status != last_status or time.monotonic() - last >= min_interval:
                last, last_status = time.monotonic(), status
                yield value
    finally:
        stop.set()


def step_updates(emit: Emit) -> StepCallback:
    """The on_step hook of a training loop that emits each step's update: its loss, and every loss so far."""
    losses: list[float] = []

    def on_step(step: int, total: int, loss: float) -> None:
        losses.append(round(loss, 4))
        emit({"status": "training", "step": step, "total_steps": total, "loss": losses[-1], "losses": list(losses)})

    return on_step
