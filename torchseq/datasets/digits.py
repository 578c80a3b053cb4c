"""The UCI handwritten digits: 1,797 images of 8x8 pixels, shipped with torchseq (no download).

Each pixel counts the "on" pixels of a 4x4 block of a 32x32 bitmap, so values run from 0 to
16; labels are the digits 0-9, about 180 images each. ``load_data`` works like the loaders of
``keras.datasets``: a seeded shuffle, then the last ``test_split`` fraction is the test set.

Source and licence: "Optical Recognition of Handwritten Digits" by E. Alpaydin and
C. Kaynak (1998), UCI Machine Learning Repository, https://doi.org/10.24432/C50P49,
licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). The 1,797 images
are the copy distributed with scikit-learn (``sklearn/datasets/data/digits.csv.gz``),
stored unchanged as uint8 arrays in ``torchseq/datasets/data/digits.npz``.

Example:
    >>> from torchseq.datasets import digits
    >>> (x_train, y_train), (x_test, y_test) = digits.load_data()
    >>> x_train.shape, x_test.shape, y_train.dtype
    ((1437, 8, 8), (360, 8, 8), dtype('uint8'))
"""

from __future__ import annotations

import numbers
from importlib import resources

import numpy as np

__all__ = ["load_data"]

_DATA_FILE = "digits.npz"


def load_data(
    test_split: float = 0.2, seed: int = 113
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the digits, shuffled with ``seed`` and split into training and test sets.

    Args:
        test_split: Fraction of the images kept for the test set, in ``[0, 1)``.
            Defaults to ``0.2`` (1,437 training and 360 test images).
        seed: Seed of the shuffle before the split, so the split is the same on every
            call. Defaults to ``113`` (Keras's default for its datasets).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: images as uint8 arrays of shape
        ``(n, 8, 8)`` with values 0..16, labels as uint8 arrays of shape ``(n,)``
        with values 0..9.

    Raises:
        TypeError: If ``test_split`` is not a number or ``seed`` not an int.
        ValueError: If ``test_split`` is outside ``[0, 1)``.
    """
    if isinstance(test_split, bool) or not isinstance(test_split, numbers.Real):
        raise TypeError(
            "test_split must be a float in [0, 1), received: "
            f"test_split={test_split!r} of type {type(test_split).__name__}"
        )
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1), received: test_split={test_split}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"seed must be an int, received: seed={seed!r} of type {type(seed).__name__}"
        )
    images, labels = _read()
    order = np.random.RandomState(int(seed)).permutation(len(images))
    images, labels = images[order], labels[order]
    split_at = int(len(images) * (1 - test_split))
    return (images[:split_at], labels[:split_at]), (images[split_at:], labels[split_at:])


def _read() -> tuple[np.ndarray, np.ndarray]:
    path = resources.files(__package__) / "data" / _DATA_FILE
    with path.open("rb") as file, np.load(file, allow_pickle=False) as stored:
        return stored["images"], stored["labels"]
