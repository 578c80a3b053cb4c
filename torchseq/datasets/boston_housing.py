"""Boston Housing: 506 Boston suburbs in the 1970s, 13 features each, and their median house price.

Mirrors ``keras.datasets.boston_housing``. The data come from the StatLib library at
Carnegie Mellon University (Harrison and Rubinfeld, 1978); one of the 13 features encodes
the proportion of Black residents, which is why many prefer ``california_housing``
(``version="small"`` is a replacement of about the same size). Downloaded once into the
Keras cache from the copy Keras uses.

Example:
    >>> from torchseq.datasets import boston_housing
    >>> (x_train, y_train), (x_test, y_test) = boston_housing.load_data()  # doctest: +SKIP
    >>> x_train.shape, x_test.shape  # doctest: +SKIP
    ((404, 13), (102, 13))
"""

from __future__ import annotations

import os

import numpy as np

from torchseq.datasets._split import check_test_split, shuffle_together, split_index
from torchseq.utils.file_utils import get_file

__all__ = ["load_data"]

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz"
_FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(
    path: str | os.PathLike[str] = "boston_housing.npz", test_split: float = 0.2, seed: int = 113
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load Boston Housing, shuffled with ``seed`` and split, downloading it on first use.

    Args:
        path: Name of the file in the cache folder (``~/.keras/datasets``).
            Defaults to ``"boston_housing.npz"``.
        test_split: Fraction of the samples kept for the test set, in ``[0, 1)``.
            Defaults to ``0.2``.
        seed: Seed of the shuffle before the split. Defaults to ``113``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: features as arrays of shape ``(n, 13)``
        and median prices in thousands of dollars as arrays of shape ``(n,)``, in the
        file's dtypes; 404 and 102 samples with the default ``test_split``.

    Raises:
        TypeError: If ``test_split`` is not a number.
        ValueError: If ``test_split`` is outside ``[0, 1)``.
        OSError: If the file is not cached and cannot be downloaded; the message says
            where to put a copy by hand.
    """
    check_test_split(test_split)
    local = get_file(path, origin=_ORIGIN, file_hash=_FILE_HASH)
    with np.load(local, allow_pickle=False) as stored:
        x, y = stored["x"], stored["y"]
    x, y = shuffle_together(np.random.RandomState(seed), x, y)
    train = split_index(len(x), test_split)
    return (x[:train], y[:train]), (x[train:], y[train:])
