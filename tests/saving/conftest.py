"""Fixtures for the saving tests: Keras (the reference that reads and writes the same files)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def keras():
    return pytest.importorskip("keras")
