"""Datasets in the style of ``keras.datasets``.

``digits`` ships inside the package (no download: the offline demo). The others mirror
Keras's loaders: each file is downloaded once, from the same URL and checked against the
same hash as in Keras, into the Keras cache (``$KERAS_HOME/datasets`` or
``~/.keras/datasets``), which torchseq and Keras share.
"""

from __future__ import annotations

from torchseq.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

__all__ = [
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "digits",
    "fashion_mnist",
    "imdb",
    "mnist",
    "reuters",
]
