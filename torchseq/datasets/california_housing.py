"""California Housing: 20,640 districts of the 1990 US census, 8 features each, and their median house value.

Mirrors ``keras.datasets.california_housing``. The features, in order: median income,
median house age, average rooms and bedrooms per household, population, average
household size, latitude, longitude; the target is in dollars (mostly 25,000 to 500,000).
From the StatLib repository (Pace and Barry, 1997); downloaded once into the Keras cache
from the copy Keras uses.

Example:
    >>> from torchseq.datasets import california_housing
    >>> (x_train, y_train), _ = california_housing.load_data(version="small")  # doctest: +SKIP
    >>> x_train.shape  # doctest: +SKIP
    (480, 8)
"""

from __future__ import annotations

import os

import numpy as np

from torchseq.datasets._split import check_test_split, shuffle_together, split_index
from torchseq.utils.file_utils import get_file

__all__ = ["load_data"]

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/california_housing.npz"
_FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"
_VERSIONS = ("small", "large")
_SMALL_SIZE = 600


def load_data(
    version: str = "large",
    path: str | os.PathLike[str] = "california_housing.npz",
    test_split: float = 0.2,
    seed: int = 113,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load California Housing, shuffled with ``seed`` and split, downloading it on first use.

    Args:
        version: ``"large"`` (all 20,640 districts) or ``"small"`` (the first 600, about
            the size of ``boston_housing``). Defaults to ``"large"``.
        path: Name of the file in the cache folder (``~/.keras/datasets``).
            Defaults to ``"california_housing.npz"``.
        test_split: Fraction of the samples kept for the test set, in ``[0, 1)``.
            Defaults to ``0.2``.
        seed: Seed of the shuffle before the split. Defaults to ``113``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: features as arrays of shape ``(n, 8)``
        and targets of shape ``(n,)``, in the file's dtypes.

    Raises:
        TypeError: If ``test_split`` is not a number.
        ValueError: If ``version`` is unknown or ``test_split`` is outside ``[0, 1)``.
        OSError: If the file is not cached and cannot be downloaded; the message says
            where to put a copy by hand.
    """
    check_test_split(test_split)
    if version not in _VERSIONS:
        raise ValueError(f'version must be "small" or "large", received: version={version!r}')
    local = get_file(path, origin=_ORIGIN, file_hash=_FILE_HASH)
    with np.load(local, allow_pickle=False) as stored:
        x, y = stored["x"], stored["y"]
    if version == "small":
        x, y = x[:_SMALL_SIZE], y[:_SMALL_SIZE]
    x, y = shuffle_together(np.random.RandomState(seed), x, y)
    train = split_index(len(x), test_split)
    return (x[:train], y[:train]), (x[train:], y[train:])
