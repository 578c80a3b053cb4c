"""Fashion-MNIST: 70,000 grayscale 28x28 images of 10 kinds of clothing; mirrors ``keras.datasets.fashion_mnist``.

A drop-in replacement for MNIST. The classes, by label: 0 T-shirt/top, 1 trouser,
2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag, 9 ankle boot. Downloaded
once (30 MB, four gzipped IDX files) into ``~/.keras/datasets/fashion-mnist`` from the
copy Keras uses. Fashion-MNIST is by Zalando SE, under the MIT licence
(https://github.com/zalandoresearch/fashion-mnist).

Example:
    >>> from torchseq.datasets import fashion_mnist
    >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()  # doctest: +SKIP
    >>> x_train.shape, y_train.dtype  # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from torchseq.utils.file_utils import get_file

__all__ = ["load_data"]

_ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")
# Keras checks no hash for these four files, and publishes none to check against.
_FILES = {
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_train": "train-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
}
# IDX files start with a magic number: 0x0801 is unsigned bytes in one dimension, 0x0803
# in three; then one big-endian uint32 per dimension.
_LABELS_MAGIC, _IMAGES_MAGIC = 2049, 2051


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load Fashion-MNIST, downloading it into the Keras cache on first use.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: images as uint8 arrays of shape
        ``(60000, 28, 28)`` and ``(10000, 28, 28)``, values 0..255; labels as uint8
        arrays of shape ``(60000,)`` and ``(10000,)``, values 0..9.

    Raises:
        OSError: If a file is not cached and cannot be downloaded; the message says
            where to put a copy by hand.
        ValueError: If a cached file is not a gzipped IDX file of the expected kind.
    """
    arrays = {}
    for key, name in _FILES.items():
        path = get_file(name, origin=_ORIGIN_FOLDER + name, cache_subdir=_CACHE_SUBDIR)
        arrays[key] = _read_idx(path, _LABELS_MAGIC if key.startswith("y") else _IMAGES_MAGIC)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _read_idx(path: str, magic: int) -> np.ndarray:
    """A gzipped IDX file of unsigned bytes as a writable uint8 array."""
    with gzip.open(path, "rb") as file:
        found = int.from_bytes(file.read(4), "big")
        if found != magic:
            raise ValueError(
                f"{path} is not the expected IDX file: its magic number is {found}, expected "
                f"{magic}. Delete it to download it again."
            )
        rank = magic & 0xFF
        shape = tuple(int.from_bytes(file.read(4), "big") for _ in range(rank))
        array = np.empty(shape, dtype=np.uint8)
        buffer, filled = memoryview(array.reshape(-1)), 0
        while filled < array.size and (count := file.readinto(buffer[filled:])):
            filled += count
    if filled != array.size:
        raise ValueError(
            f"{path} is truncated: its header announces {array.size} bytes of data, it holds "
            f"{filled}. Delete it to download it again."
        )
    return array
