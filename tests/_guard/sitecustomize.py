"""Installs the socket guard in every Python subprocess a test starts (PYTHONPATH points here)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import socket_guard  # noqa: E402

socket_guard.install()
