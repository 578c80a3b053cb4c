"""Automatic, unique object names (``dense``, ``dense_1``, ...)."""

from __future__ import annotations

import collections
import re

_counters: collections.Counter[str] = collections.Counter()


def to_snake_case(name: str) -> str:
    """``MaxPooling2D`` -> ``max_pooling2d``, ``GlobalAveragePooling1D`` -> ``global_average_pooling1d``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(prefix: str) -> str:
    """Return ``prefix`` the first time, then ``prefix_1``, ``prefix_2``, ..."""
    count = _counters[prefix]
    _counters[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def clear_session() -> None:
    """Reset the automatic names, so the next ``Dense`` is called ``dense`` again."""
    _counters.clear()
