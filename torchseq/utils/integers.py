"""What counts as an integer argument: a Python or numpy integer, never a bool.

Keras accepts ``np.int64(8)`` wherever it accepts ``8`` (sizes computed with numpy are
numpy integers); a bool is an ``int`` to Python but never a count in Keras.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = ["int_or_none", "is_int"]


def is_int(value: Any) -> bool:
    """``value`` is a Python or numpy integer and not a bool (``True``, ``np.bool_``)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def int_or_none(value: Any) -> Any:
    """An integer as a Python ``int`` (so configs stay JSON), anything else unchanged."""
    return int(value) if is_int(value) else value
