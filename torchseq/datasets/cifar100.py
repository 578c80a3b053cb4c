"""CIFAR-100: 60,000 colour images of 32x32 pixels in 100 classes grouped into 20 superclasses.

Mirrors ``keras.datasets.cifar100``. Downloaded once (161 MB) from the authors' page,
https://www.cs.toronto.edu/~kriz/cifar.html (Alex Krizhevsky, "Learning Multiple Layers of
Features from Tiny Images", 2009), into the Keras cache.

Example:
    >>> from torchseq.datasets import cifar100
    >>> (x_train, y_train), _ = cifar100.load_data(label_mode="coarse")  # doctest: +SKIP
    >>> x_train.shape, y_train.shape, int(y_train.max())  # doctest: +SKIP
    ((50000, 32, 32, 3), (50000, 1), 19)
"""

from __future__ import annotations

import os

import numpy as np

from torchseq.datasets._cifar import in_image_data_format, read_batch
from torchseq.utils.file_utils import get_file

__all__ = ["load_data"]

_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
_FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
# Keras's cache names: the archive is kept as "<name>_archive" beside this folder.
_CACHE_NAME = "cifar-100-python-target"
_LABEL_MODES = ("fine", "coarse")


def load_data(
    label_mode: str = "fine",
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load CIFAR-100, downloading it into the Keras cache on first use.

    Args:
        label_mode: ``"fine"`` (the 100 classes) or ``"coarse"`` (the 20 superclasses).
            Defaults to ``"fine"``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: images as uint8 arrays of shape
        ``(50000, 32, 32, 3)`` and ``(10000, 32, 32, 3)`` (``(n, 3, 32, 32)`` when
        ``config.image_data_format()`` is ``"channels_first"``), values 0..255; labels as
        int64 arrays (as Keras returns them) of shape ``(50000, 1)`` and ``(10000, 1)``.

    Raises:
        ValueError: If ``label_mode`` is neither ``"fine"`` nor ``"coarse"``.
        OSError: If the archive is not cached and cannot be downloaded; the message
            says where to put a copy by hand.
    """
    if label_mode not in _LABEL_MODES:
        raise ValueError(
            f'label_mode must be "fine" or "coarse", received: label_mode={label_mode!r}'
        )
    path = get_file(fname=_CACHE_NAME, origin=_ORIGIN, extract=True, file_hash=_FILE_HASH)
    folder = os.path.join(path, "cifar-100-python")
    train = _read(os.path.join(folder, "train"), f"{label_mode}_labels")
    test = _read(os.path.join(folder, "test"), f"{label_mode}_labels")
    return train, test


def _read(path: str, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_batch(path, label_key)
    return in_image_data_format(images), np.reshape(labels, (-1, 1))
