"""Fixtures shared by the loss tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def keras() -> Any:
    """Keras 3 on the torch backend (tests/conftest.py sets it), the parity reference."""
    return pytest.importorskip("keras")
