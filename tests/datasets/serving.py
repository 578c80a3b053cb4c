"""Test harness for downloads: a local HTTP server, a Keras cache in tmp_path, no internet.

Tests that download serve their own small files from ``127.0.0.1``; every other
connection (and every DNS look-up of another host) fails, so a test that would reach the
internet fails instead.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy")
# A request for a path ending in this gets a response cut short.
TRUNCATED_SUFFIX = ".truncated"


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every network connection except to this machine (and drop proxy settings)."""
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in _LOOPBACK:
            raise OSError(f"tests may not reach the network (tried {address!r})")
        return real_connect(self, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host is not None and host not in _LOOPBACK:
            raise socket.gaierror(socket.EAI_NONAME, f"tests may not look up {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def keras_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``KERAS_HOME``; downloads land in ``<it>/datasets``."""
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


class LocalServer:
    """Serves the files of one folder on ``127.0.0.1`` and counts the requests."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        handler = functools.partial(_QuietHandler, server_log=self.requests, directory=str(root))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        # A short poll interval: stop() waits up to one interval.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        self._running = True

    def add(self, name: str, content: bytes) -> str:
        """Serve ``content`` as ``name``; returns its URL."""
        (self.root / name).write_bytes(content)
        return self.url(name)

    def url(self, name: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/{name}"

    def stop(self) -> None:
        """Stop serving: the port is closed, so connections are refused."""
        if self._running:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._running = False


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args: object, server_log: list[str], **kwargs: object) -> None:
        self._server_log = server_log
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self._server_log.append(self.path)
        if self.path.endswith(TRUNCATED_SUFFIX):
            self._send_truncated()
            return
        super().do_GET()

    def _send_truncated(self) -> None:
        """Announce 1,000 bytes, send 10, close: a connection lost mid-download."""
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"0123456789")
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalServer]:
    root = tmp_path / "served"
    root.mkdir()
    local = LocalServer(root)
    yield local
    local.stop()


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def closed_port_url(name: str) -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/{name}"


def cached(keras_home: Path, *parts: str) -> str:
    return os.path.join(keras_home, "datasets", *parts)
