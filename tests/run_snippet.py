"""Run one "Show code" snippet in a fresh interpreter, with the thread count the app's trainings use."""

import os
import subprocess
import sys

from models import training


def run_snippet(code: str, timeout: int = 300) -> str:
    """What the snippet printed; fails the test with its stderr if it did not exit cleanly."""
    # Same intra-op threads as the training it reproduces: the same summation order, the same floats.
    env = {**os.environ, "OMP_NUM_THREADS": str(training.training_threads())}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout
