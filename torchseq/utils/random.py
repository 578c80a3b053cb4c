"""``set_random_seed``: one call seeds Python, numpy and torch (``keras.utils.set_random_seed``)."""

from __future__ import annotations

import random

import numpy as np
import torch

from torchseq.utils.integers import is_int

__all__ = ["set_random_seed"]


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, numpy's global generator and torch (all devices).

    Args:
        seed: A non-negative integer.
    """
    if not is_int(seed):
        raise TypeError(
            f"set_random_seed expects a non-negative int, received: seed={seed!r} of type "
            f"{type(seed).__name__}"
        )
    if seed < 0:
        raise ValueError(f"set_random_seed expects a non-negative int, received: seed={seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
