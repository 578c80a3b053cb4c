"""CIFAR-10: 60,000 colour images of 32x32 pixels in 10 classes; mirrors ``keras.datasets.cifar10``.

The classes, by label: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog,
7 horse, 8 ship, 9 truck. Downloaded once (163 MB) from the authors' page,
https://www.cs.toronto.edu/~kriz/cifar.html (Alex Krizhevsky, "Learning Multiple Layers of
Features from Tiny Images", 2009), into the Keras cache.

Example:
    >>> from torchseq.datasets import cifar10
    >>> (x_train, y_train), (x_test, y_test) = cifar10.load_data()  # doctest: +SKIP
    >>> x_train.shape, y_train.shape, x_test.shape  # doctest: +SKIP
    ((50000, 32, 32, 3), (50000, 1), (10000, 32, 32, 3))
"""

from __future__ import annotations

import os

import numpy as np

from torchseq.datasets._cifar import in_image_data_format, read_batch
from torchseq.utils.file_utils import get_file

__all__ = ["load_data"]

_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
# Keras's cache names: the archive is kept as "<name>_archive" beside this folder.
_CACHE_NAME = "cifar-10-batches-py-target"
_TRAIN_BATCHES = [f"data_batch_{number}" for number in range(1, 6)]


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load CIFAR-10, downloading it into the Keras cache on first use.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: images as uint8 arrays of shape
        ``(50000, 32, 32, 3)`` and ``(10000, 32, 32, 3)`` (``(n, 3, 32, 32)`` when
        ``config.image_data_format()`` is ``"channels_first"``), values 0..255; labels as
        uint8 arrays of shape ``(50000, 1)`` and ``(10000, 1)``, values 0..9.

    Raises:
        OSError: If the archive is not cached and cannot be downloaded; the message
            says where to put a copy by hand.
    """
    path = get_file(fname=_CACHE_NAME, origin=_ORIGIN, extract=True, file_hash=_FILE_HASH)
    folder = os.path.join(path, "cifar-10-batches-py")
    train = [_read(os.path.join(folder, name)) for name in _TRAIN_BATCHES]
    x_train = np.concatenate([images for images, _ in train])
    y_train = np.concatenate([labels for _, labels in train])
    x_test, y_test = _read(os.path.join(folder, "test_batch"))
    return (x_train, y_train), (x_test, y_test)


def _read(path: str) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_batch(path)
    labels = np.asarray(labels).astype(np.uint8).reshape(-1, 1)
    return in_image_data_format(images.astype(np.uint8, copy=False)), labels
