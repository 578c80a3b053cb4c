"""Fixtures of the dataset tests: no internet, a Keras cache in tmp_path, a local server."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

import pytest

from tests.datasets.serving import (  # noqa: F401 - fixtures, found by name
    LocalServer,
    keras_home,
    no_internet,
    server,
    sha256,
)


@pytest.fixture
def serve(
    server: LocalServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., str]:
    """``serve(module, name, content)``: a loader's file, served locally with its hash.

    Points ``module._ORIGIN`` (or ``origin_attr``) at the local copy and sets
    ``module._FILE_HASH`` (or ``hash_attr``) to its sha256; returns the URL.
    """

    def serve_file(
        module: ModuleType,
        name: str,
        content: bytes,
        origin_attr: str = "_ORIGIN",
        hash_attr: str | None = "_FILE_HASH",
    ) -> str:
        url = server.add(name, content)
        monkeypatch.setattr(module, origin_attr, url)
        if hash_attr is not None:
            monkeypatch.setattr(module, hash_attr, sha256(content))
        return url

    return serve_file


@pytest.fixture
def keras_dataset(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, dict[str, str]], ModuleType]:
    """``keras_dataset(name, local)``: Keras's own loader module, reading local files.

    Its ``get_file`` is replaced by a look-up of the origin's file name in ``local``, so
    Keras post-processes the very files torchseq read.
    """
    pytest.importorskip("keras")

    def patched(name: str, local: dict[str, str]) -> ModuleType:
        module = importlib.import_module(f"keras.src.datasets.{name}")

        def get_file(*args: object, origin: str, **kwargs: object) -> str:
            return local[origin.rsplit("/", 1)[-1]]

        monkeypatch.setattr(module, "get_file", get_file)
        return module

    return patched
