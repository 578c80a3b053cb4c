"""RemoteMonitor: the requests it POSTs to a local server (127.0.0.1, never the internet),
as JSON or as a form, with the user's headers; an unreachable or failing server warns."""

from __future__ import annotations

import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import numpy as np
import pytest
import torch

import torchseq
from torchseq.callbacks import RemoteMonitor


class _Recorder(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(
            {"path": self.path, "headers": dict(self.headers), "body": body.decode()}
        )
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    handler = type("Handler", (_Recorder,), {"received": [], "status": 200})
    httpd = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_json_body_with_headers(server):
    root, handler = server
    monitor = RemoteMonitor(root=root, path="/logs/", headers={"X-Run": "seven"}, send_as_json=True)
    monitor.on_epoch_end(2, {"loss": torch.tensor(0.25), "val_loss": np.float32(0.5)})
    (request,) = handler.received
    assert request["path"] == "/logs/"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["X-Run"] == "seven"
    assert json.loads(request["body"]) == {"epoch": 2, "loss": 0.25, "val_loss": 0.5}


def test_form_body_holds_the_json_in_the_field(server):
    root, handler = server
    RemoteMonitor(root=root, field="payload").on_epoch_end(0, {"accuracy": 1.0})
    (request,) = handler.received
    assert request["path"] == "/publish/epoch/end/"
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    form = urllib.parse.parse_qs(request["body"])
    assert list(form) == ["payload"]
    assert json.loads(form["payload"][0]) == {"epoch": 0, "accuracy": 1.0}


def test_a_user_content_type_replaces_the_default(server):
    root, handler = server
    monitor = RemoteMonitor(root=root, headers={"content-type": "text/plain"}, send_as_json=True)
    monitor.on_epoch_end(0, {})
    assert handler.received[0]["headers"]["Content-Type"] == "text/plain"


def test_fit_posts_once_per_epoch(server):
    root, handler = server
    model = torchseq.Sequential([torchseq.Input((2,)), torchseq.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 2), "float32")
    model.fit(
        x,
        x[:, :1],
        epochs=2,
        verbose=0,
        validation_data=(x, x[:, :1]),
        callbacks=[RemoteMonitor(root=root, send_as_json=True)],
    )
    payloads = [json.loads(request["body"]) for request in handler.received]
    assert [payload["epoch"] for payload in payloads] == [0, 1]
    assert set(payloads[0]) == {"epoch", "loss", "val_loss"}
    assert all(isinstance(payload["loss"], float) for payload in payloads)


def test_an_http_error_warns_and_training_goes_on(server):
    root, handler = server
    handler.status = 500
    with pytest.warns(UserWarning, match=r"answered HTTP 500 .* epoch 3"):
        RemoteMonitor(root=root).on_epoch_end(3, {"loss": 1.0})


def test_an_unreachable_server_warns():
    monitor = RemoteMonitor(root=f"http://127.0.0.1:{_unused_port()}", timeout=2.0)
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server"):
        monitor.on_epoch_end(0, {"loss": 1.0})


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"root": "file:///etc/passwd"},
            r"http:// or https:// URL, received: root='file:///etc/passwd'",
        ),
        ({"root": "localhost:9000"}, "received: root='localhost:9000'"),
        ({"timeout": 0}, "positive timeout in seconds, received: timeout=0"),
    ],
)
def test_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        RemoteMonitor(**arguments)


def _unused_port() -> int:
    """A local port nothing listens on: bound by the system, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
