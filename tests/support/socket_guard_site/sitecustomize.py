"""Installs the socket guard in every Python process a test starts (its PYTHONPATH names this folder first).

The guard is loaded from its file, so it holds whether or not the repository is on the path too (Show code's
snippets run without it, as a user's script would).
"""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("socket_guard", Path(__file__).resolve().parents[1] / "socket_guard.py")
_guard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_guard)
_guard.install()
