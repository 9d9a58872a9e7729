"""Fails any network connection that is not to this machine (tests must never reach the Hub or AWS)."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
ROOT = Path(__file__).resolve().parents[2]
# Python imports `sitecustomize` from its path at start-up: this folder's one installs the guard.
SITE_DIR = Path(__file__).resolve().with_name("socket_guard_site")


class NetworkBlocked(OSError):
    """Raised for a connection to anything but loopback."""


def _is_loopback(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(sock: socket.socket, address) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        raise NetworkBlocked(f"test tried to reach {address!r}: only loopback is allowed")


def _guarded_connect(self, address):
    _check(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check(self, address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host is not None and not _is_loopback(host):
        raise NetworkBlocked(f"test tried to resolve {host!r}: only loopback is allowed")
    return _real_getaddrinfo(host, *args, **kwargs)


def install() -> None:
    """Guard this process: connecting to or resolving anything but loopback raises NetworkBlocked."""
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.getaddrinfo = _guarded_getaddrinfo


def subprocess_pythonpath(existing: str | None) -> str:
    """PYTHONPATH for the Python processes tests start: the guard first, then the repository root (which the
    guard imports from, and where the app's modules are), then what was there."""
    return os.pathsep.join(filter(None, [str(SITE_DIR), str(ROOT), existing]))
