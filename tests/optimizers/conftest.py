"""Fixtures for the optimizer tests: Keras (the parity reference) when installed."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def keras():
    return pytest.importorskip("keras")
