"""The network guard: with the embedded backend, nothing leaves this machine.

While the guard is on, every socket connection and every name lookup in the
kernel's process is checked: loopback (``127.0.0.0/8``, ``::1``, ``localhost``)
is allowed, anything else raises :class:`~lab_support.core.errors.NetworkGuardError`.
moto answers AWS calls before they reach a socket, so a request the guard
stops is one that really would have gone out, e.g. to a service moto does not
emulate, or to a web site.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from typing import Any

from lab_support.core.errors import NetworkGuardError

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
_lock = threading.Lock()
_originals: dict[str, Any] = {}


def is_loopback(host: str | bytes | None) -> bool:
    """True when ``host`` (a name or an address) stays on this machine."""
    if host is None:
        return True  # getaddrinfo(None, port) means "this host"
    if isinstance(host, bytes):
        host = host.decode()
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(host: Any, port: Any) -> NetworkGuardError:
    return NetworkGuardError(
        f"lab_support's network guard refused a connection to {host}:{port}. "
        "With the embedded (moto) backend nothing may leave this machine.",
        "call only the embedded AWS (plain boto3 clients) and 127.0.0.1 services; "
        "to use a real account, restart the kernel with LAB_BACKEND=aws "
        "(see notebooks/00_start_here.ipynb).",
    )


def _guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    if not is_loopback(host):
        raise _refuse(host, port)
    return _originals["getaddrinfo"](host, port, *args, **kwargs)


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
        raise _refuse(address[0], address[1])
    return _originals["connect"](self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
        raise _refuse(address[0], address[1])
    return _originals["connect_ex"](self, address)


def install() -> None:
    """Switch the guard on (idempotent)."""
    with _lock:
        if _originals:
            return
        _originals["getaddrinfo"] = socket.getaddrinfo
        _originals["connect"] = socket.socket.connect
        _originals["connect_ex"] = socket.socket.connect_ex
        socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]
        socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


def uninstall() -> None:
    """Switch the guard off (idempotent)."""
    with _lock:
        if not _originals:
            return
        socket.getaddrinfo = _originals.pop("getaddrinfo")
        socket.socket.connect = _originals.pop("connect")  # type: ignore[method-assign]
        socket.socket.connect_ex = _originals.pop("connect_ex")  # type: ignore[method-assign]


def active() -> bool:
    """True while the guard is on."""
    return bool(_originals)
