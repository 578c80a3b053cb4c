"""Fixtures the applications' test files ask for (``pytestmark = pytest.mark.usefixtures``)."""

from __future__ import annotations

import pytest
import torch
from keras.src.backend.torch import random as keras_torch_random


@pytest.fixture
def fast_keras_init(monkeypatch):
    """Keras's random init dominates building its references; names and shapes do not
    depend on the values, and the parity tests set their own."""

    def zeros(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        return torch.zeros(tuple(shape))

    monkeypatch.setattr(keras_torch_random, "uniform", zeros)


@pytest.fixture
def one_thread():
    """Tiny convolutions gain nothing from threads, and on a busy machine two threads
    waiting on each other make a forward pass 30x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
