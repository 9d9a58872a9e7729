"""The one snippet runner: Show code's snippets run as a user runs them, and what they print.

A batch runs in one fresh interpreter (importing transformers is most of the cost), each snippet in a
namespace of its own, without the repository on the path: a snippet that leans on the app fails here.
Run as a script, this file is that interpreter's driver.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run(snippets: Sequence[str], threads: int | None = None, timeout: int = 600) -> list[str]:
    """What each snippet printed. `threads`: torch's intra-op threads, by default this process's, so that
    sums run in the same order as the app's and floats come out the same (trainings: their own count)."""
    if threads is None:
        import torch

        threads = torch.get_num_threads()
    # The socket guard's folder stays on the path; the repository does not (snippets must not import it).
    path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and Path(p).resolve() != ROOT]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONPATH": os.pathsep.join(path)}
    # Run where a user runs what they copied: a folder holding the project's data files (assets/), nothing else.
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "assets").symlink_to(ROOT / "assets")
        done = subprocess.run([sys.executable, __file__], input=json.dumps(list(snippets)), capture_output=True,
                              text=True, timeout=timeout, env=env, cwd=folder, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def results(snippets: Sequence[str], threads: int | None = None) -> list[Any]:
    """The JSON each snippet printed last (Show code's snippets end by printing the endpoint's result)."""
    return [json.loads(out.strip().splitlines()[-1]) for out in run(snippets, threads)]


def assert_same(printed: Any, expected: Any, tolerance: float = 0.0, path: str = "result") -> None:
    """Equal structure and text, numbers equal within `tolerance` (exact by default); tuples count as lists."""
    if isinstance(expected, float) or isinstance(printed, float):
        assert math.isclose(printed, expected, rel_tol=0, abs_tol=tolerance), f"{path}: {printed} != {expected}"
    elif isinstance(expected, dict):
        assert isinstance(printed, dict) and set(printed) == set(expected), f"{path}: keys {sorted(printed)}"
        for key in expected:
            assert_same(printed[key], expected[key], tolerance, f"{path}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert isinstance(printed, (list, tuple)) and len(printed) == len(expected), f"{path}: {printed!r}"
        for index, (a, b) in enumerate(zip(printed, expected)):
            assert_same(a, b, tolerance, f"{path}[{index}]")
    else:
        assert printed == expected, f"{path}: {printed!r} != {expected!r}"


def _drive() -> None:
    outputs = []
    for snippet in json.load(sys.stdin):
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            exec(compile(snippet, "<snippet>", "exec"), {"__name__": "__main__"})
        outputs.append(captured.getvalue())
    print(json.dumps(outputs))


if __name__ == "__main__":
    _drive()
