"""Installs the socket guard in every Python process a test starts (its PYTHONPATH names this folder first)."""

from tests.support import socket_guard

socket_guard.install()
