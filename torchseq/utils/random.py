"""``set_random_seed``: one call seeds Python, numpy and torch (``keras.utils.set_random_seed``)."""

from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["set_random_seed"]


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, numpy's global generator and torch (all devices).

    Args:
        seed: A non-negative integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"set_random_seed expects a non-negative int, received: seed={seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
