"""Shared test fixtures: Keras (the parity reference) runs on the torch backend."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest

from torchseq.utils import naming


@pytest.fixture(autouse=True)
def _fresh_names():
    """Every test starts with automatic names counting from zero."""
    naming.clear_session()
    yield
