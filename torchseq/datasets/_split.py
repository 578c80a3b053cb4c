"""The seeded shuffle and train/test split that Keras's dataset loaders share."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = ["check_test_split", "shuffle_together", "split_index"]


def check_test_split(test_split: float) -> None:
    """Raise unless ``test_split`` is a number in ``[0, 1)``."""
    if isinstance(test_split, bool) or not isinstance(test_split, numbers.Real):
        raise TypeError(
            "test_split must be a float in [0, 1), received: "
            f"test_split={test_split!r} of type {type(test_split).__name__}"
        )
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1), received: test_split={test_split}")


def shuffle_together(rng: np.random.RandomState, *arrays: Any) -> list[Any]:
    """The arrays reordered by one permutation drawn as Keras draws it (``rng.shuffle``)."""
    order = np.arange(len(arrays[0]))
    rng.shuffle(order)
    return [array[order] for array in arrays]


def split_index(count: int, test_split: float) -> int:
    """How many of ``count`` samples go to the training set."""
    return int(count * (1 - test_split))
