"""``RemoteMonitor``: POST each epoch's logs to an HTTP server."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Mapping

import numpy as np

from torchseq.callbacks.callback import Callback, Logs
from torchseq.utils.logs import flatten_logs, pythonify_values

__all__ = ["RemoteMonitor"]

_SCHEMES = ("http", "https")


class RemoteMonitor(Callback):
    """Sends the logs of every epoch to a server, as ``keras.callbacks.RemoteMonitor``.

    At the end of each epoch it POSTs ``{"epoch": epoch, **logs}`` to ``root + path``:
    as a JSON body (``Content-Type: application/json``) when ``send_as_json``, otherwise
    as a form whose field ``field`` holds that JSON text. A server that cannot be reached
    or answers with an HTTP error gives a warning, not an exception: training goes on.
    It uses only the standard library (Keras needs ``requests``).

    Args:
        root: The server's root URL, ``http://`` or ``https://``.
            Defaults to ``"http://localhost:9000"``.
        path: The path appended to ``root``. Defaults to ``"/publish/epoch/end/"``.
        field: The form field holding the JSON text when ``send_as_json=False``.
            Defaults to ``"data"``.
        headers: Extra HTTP headers, or ``None``. They replace the default
            ``Content-Type`` if they name one.
        send_as_json: Send the logs as a JSON body instead of a form. Defaults to ``False``.
        timeout: Seconds to wait for the server (keyword-only, a torchseq addition;
            Keras waits without limit). Defaults to ``10.0``.

    Example:
        >>> monitor = RemoteMonitor(root="http://127.0.0.1:9000", send_as_json=True)
        >>> model.fit(x, y, epochs=3, callbacks=[monitor])  # doctest: +SKIP
    """

    def __init__(
        self,
        root: str = "http://localhost:9000",
        path: str = "/publish/epoch/end/",
        field: str = "data",
        headers: Mapping[str, str] | None = None,
        send_as_json: bool = False,
        *,
        timeout: float = 10.0,
    ) -> None:
        super().__init__()
        scheme = urllib.parse.urlsplit(str(root)).scheme
        if not isinstance(root, str) or scheme not in _SCHEMES:
            raise ValueError(
                f"RemoteMonitor expected root to be an http:// or https:// URL, "
                f"received: root={root!r}"
            )
        if timeout is not None and timeout <= 0:
            raise ValueError(
                f"RemoteMonitor expected a positive timeout in seconds, received: "
                f"timeout={timeout!r}"
            )
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json
        self.timeout = timeout

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        url = self.root + self.path
        request = urllib.request.Request(
            url, data=self._body(epoch, logs), headers=self._headers(), method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            error.close()
            warnings.warn(
                f"RemoteMonitor: the server at {url} answered HTTP {error.code} "
                f"{error.reason} to the logs of epoch {epoch}",
                stacklevel=2,
            )
        except (urllib.error.URLError, OSError) as error:
            warnings.warn(
                f"Could not reach RemoteMonitor root server at {self.root} ({error})",
                stacklevel=2,
            )

    def _body(self, epoch: int, logs: Logs | None) -> bytes:
        flat = flatten_logs(logs)
        payload = {"epoch": epoch}
        for name, value in zip(flat, pythonify_values(list(flat.values()))):
            payload[name] = value.tolist() if isinstance(value, np.ndarray) else value
        text = json.dumps(payload)
        if self.send_as_json:
            return text.encode("utf-8")
        return urllib.parse.urlencode({self.field: text}).encode("ascii")

    def _headers(self) -> dict[str, str]:
        content_type = (
            "application/json" if self.send_as_json else "application/x-www-form-urlencoded"
        )
        headers = {"Content-Type": content_type}
        for name, value in (self.headers or {}).items():
            if name.lower() == "content-type":
                headers.pop("Content-Type")
            headers[name] = value
        return headers
