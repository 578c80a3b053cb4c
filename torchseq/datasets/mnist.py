"""MNIST: 70,000 grayscale images of handwritten digits, 28x28 pixels; mirrors ``keras.datasets.mnist``.

Downloaded once (11 MB) into the Keras cache from the copy Keras uses. MNIST is by Yann
LeCun, Corinna Cortes and Christopher J.C. Burges, derived from NIST's data, and is made
available under the Creative Commons Attribution-Share Alike 3.0 licence.

Example:
    >>> from torchseq.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
    >>> x_train.shape, x_train.dtype, y_test.shape  # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'), (10000,))
"""

from __future__ import annotations

import os

import numpy as np

from torchseq.utils.file_utils import get_file

__all__ = ["load_data"]

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
_FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(
    path: str | os.PathLike[str] = "mnist.npz",
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST, downloading it into the Keras cache on first use.

    Args:
        path: Name of the file in the cache folder (``~/.keras/datasets``).
            Defaults to ``"mnist.npz"``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: images as uint8 arrays of shape
        ``(60000, 28, 28)`` and ``(10000, 28, 28)``, values 0..255; labels as uint8
        arrays of shape ``(60000,)`` and ``(10000,)``, values 0..9.

    Raises:
        OSError: If the file is not cached and cannot be downloaded; the message says
            where to put a copy by hand.
    """
    local = get_file(fname=path, origin=_ORIGIN, file_hash=_FILE_HASH)
    with np.load(local, allow_pickle=False) as stored:
        return (stored["x_train"], stored["y_train"]), (stored["x_test"], stored["y_test"])
