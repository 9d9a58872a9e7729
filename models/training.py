"""Running a training: one at a time, in the background, streaming its progress; saving what it made.

The training loops themselves are reference code: models/snippets/classifier.py, causal_lm.py, lstm.py.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from serving import bridge


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
StepCallback = Callable[[int, int, float], None]  # (step, total_steps, loss)


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


def _status(update: object) -> object:
    return update.get("status") if isinstance(update, dict) else None


def stream_training(work: bridge.Work, min_interval: float = 0.5) -> bridge.Bridge:
    """`work(emit, should_stop)` on the bridge, holding TRAINING with fewer threads: read it for what it emits
    (at most one update per `min_interval` seconds, except that a new "status" is always shown, so a fast run
    still reports each phase), then its result.

    Closing it (a cancelled event, a client gone away, the time budget) makes should_stop() true, so the work
    stops at its next step; TRAINING is held until it has, so runs never overlap. An exception in the work is
    raised in the reader.
    """
    def exclusive(emit: bridge.Emit, should_stop: bridge.ShouldStop) -> object:
        with TRAINING, _fewer_threads():
            return None if should_stop() else work(emit, should_stop)

    return bridge.Bridge(exclusive, name="training", every=min_interval, phase=_status)


def step_updates(emit: bridge.Emit) -> StepCallback:
    """The on_step hook of a training loop that emits each step's update: its loss, and every loss so far."""
    losses: list[float] = []

    def on_step(step: int, total: int, loss: float) -> None:
        losses.append(round(loss, 4))
        emit({"status": "training", "step": step, "total_steps": total, "loss": losses[-1], "losses": list(losses)})

    return on_step
