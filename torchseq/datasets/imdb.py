"""IMDB movie reviews: 50,000 reviews as word-index sequences, labelled positive (1) or negative (0).

Mirrors ``keras.datasets.imdb``: 25,000 reviews for training and 25,000 for testing, from
the Large Movie Review Dataset by Maas et al. (2011), https://ai.stanford.edu/~amaas/data/sentiment/.
Words are indexed by frequency in the training set (index ``i`` is the ``i``-th most frequent
word), so "keep the 10,000 most frequent words" is ``num_words=10000``. Downloaded once
(17 MB) into the Keras cache from the copy Keras uses.

Example:
    >>> from torchseq.datasets import imdb
    >>> (x_train, y_train), _ = imdb.load_data(num_words=10000)  # doctest: +SKIP
    >>> x_train.shape, x_train[0][:3]  # doctest: +SKIP
    ((25000,), [1, 14, 22])
    >>> index = imdb.get_word_index()  # doctest: +SKIP
    >>> words = {rank + 3: word for word, rank in index.items()}  # doctest: +SKIP
    >>> " ".join(words.get(i, "?") for i in x_train[0][1:4])  # doctest: +SKIP
    'this film was'
"""

from __future__ import annotations

import json
import os

import numpy as np

from torchseq.datasets._safe_pickle import load_npz
from torchseq.datasets._split import shuffle_together
from torchseq.datasets._word_sequences import (
    drop_long,
    limit_vocabulary,
    shift_and_mark,
    to_object_array,
)
from torchseq.utils.file_utils import get_file

__all__ = ["get_word_index", "load_data"]

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz"
_FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
_WORD_INDEX_ORIGIN = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb_word_index.json"
)
_WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(
    path: str | os.PathLike[str] = "imdb.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the IMDB reviews, downloading them into the Keras cache on first use.

    The training and test sets are each shuffled with ``seed``, then every review is
    encoded: its word ranks plus ``index_from``, after a ``start_char``; indices outside
    ``[skip_top, num_words)`` become ``oov_char``. Indices 0, 1 and 2 are thus left for
    padding, the start mark and unknown words.

    Args:
        path: Name of the file in the cache folder (``~/.keras/datasets``).
            Defaults to ``"imdb.npz"``.
        num_words: Keep only indices below this (the most frequent words); the others
            become ``oov_char``. ``None`` keeps all (except, as in Keras, the largest
            index, which is used as the bound). Defaults to ``None``.
        skip_top: Indices below this (the most frequent words, and the reserved ones)
            become ``oov_char`` too. Defaults to ``0``.
        maxlen: Drop the reviews of ``maxlen`` or more indices (counting the start mark).
            ``None`` keeps all. Defaults to ``None``.
        seed: Seed of the shuffles. Defaults to ``113``.
        start_char: Index put at the start of every review; ``None`` puts none.
            Defaults to ``1``.
        oov_char: Index of the words left out by ``num_words`` / ``skip_top``; ``None``
            drops them instead. Defaults to ``2``.
        index_from: Added to every word rank. Defaults to ``3``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: the reviews as 1-D object arrays of
        lists of ints, the labels as int arrays of 0 (negative) and 1 (positive).

    Raises:
        ValueError: If ``maxlen`` leaves the training or the test set empty.
        OSError: If the file is not cached and cannot be downloaded; the message says
            where to put a copy by hand.
    """
    stored = load_npz(get_file(fname=path, origin=_ORIGIN, file_hash=_FILE_HASH))
    rng = np.random.RandomState(seed)
    x_train, y_train = shuffle_together(rng, stored["x_train"], stored["y_train"])
    x_test, y_test = shuffle_together(rng, stored["x_test"], stored["y_test"])
    x_train = shift_and_mark(x_train, start_char, index_from)
    x_test = shift_and_mark(x_test, start_char, index_from)
    if maxlen:
        x_train, y_train = drop_long(maxlen, x_train, y_train)
        x_test, y_test = drop_long(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(
                f"maxlen={maxlen} leaves no review in the "
                f"{'training' if not x_train else 'test'} set (reviews of maxlen or more "
                "indices are dropped); increase maxlen"
            )
    sequences = limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([y_train, y_test])
    split = len(x_train)
    return (
        (to_object_array(sequences[:split]), labels[:split]),
        (to_object_array(sequences[split:]), labels[split:]),
    )


def get_word_index(path: str | os.PathLike[str] = "imdb_word_index.json") -> dict[str, int]:
    """The word ranks of the IMDB data: ``{"the": 1, "and": 2, ...}``.

    A word of rank ``r`` appears in ``load_data``'s sequences as ``r + index_from``.

    Args:
        path: Name of the file in the cache folder (``~/.keras/datasets``).
            Defaults to ``"imdb_word_index.json"``.

    Returns:
        A dict from word to rank (1 for the most frequent word).
    """
    local = get_file(fname=path, origin=_WORD_INDEX_ORIGIN, file_hash=_WORD_INDEX_HASH)
    with open(local, encoding="utf-8") as file:
        return json.load(file)
