"""Reuters newswires: 11,228 news stories as word-index sequences, labelled with one of 46 topics.

Mirrors ``keras.datasets.reuters``, parsed from the Reuters-21578 collection. Words are
indexed by frequency (index ``i`` is the ``i``-th most frequent word), as in ``imdb``.
Downloaded once (2 MB) into the Keras cache from the copy Keras uses.

Example:
    >>> from torchseq.datasets import reuters
    >>> (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=10000)  # doctest: +SKIP
    >>> len(x_train), len(x_test), reuters.get_label_names()[int(y_train[0])]  # doctest: +SKIP
    (8982, 2246, 'earn')
"""

from __future__ import annotations

import json
import os

import numpy as np

from torchseq.datasets._safe_pickle import load_npz
from torchseq.datasets._split import check_test_split, shuffle_together, split_index
from torchseq.datasets._word_sequences import (
    drop_long,
    limit_vocabulary,
    shift_and_mark,
    to_object_array,
)
from torchseq.utils.file_utils import get_file

__all__ = ["get_label_names", "get_word_index", "load_data"]

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/reuters.npz"
_FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
_WORD_INDEX_ORIGIN = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/reuters_word_index.json"
)
_WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"
# The topics, in label order (the order of Keras's list).
_LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
    "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass",
    "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum",
    "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi", "iron-steel",
    "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas",
    "silver", "wpi", "hog", "lead",
)  # fmt: skip


def load_data(
    path: str | os.PathLike[str] = "reuters.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the Reuters newswires, downloading them into the Keras cache on first use.

    The stories are shuffled with ``seed``, encoded (word ranks plus ``index_from``, after
    a ``start_char``; indices outside ``[skip_top, num_words)`` become ``oov_char``), then
    the last ``test_split`` fraction is the test set.

    Args:
        path: Name of the file in the cache folder (``~/.keras/datasets``).
            Defaults to ``"reuters.npz"``.
        num_words: Keep only indices below this (the most frequent words); the others
            become ``oov_char``. ``None`` keeps all (except, as in Keras, the largest
            index, which is used as the bound). Defaults to ``None``.
        skip_top: Indices below this become ``oov_char`` too. Defaults to ``0``.
        maxlen: Drop the stories of ``maxlen`` or more indices (counting the start
            mark). ``None`` keeps all. Defaults to ``None``.
        test_split: Fraction of the stories kept for the test set, in ``[0, 1)``.
            Defaults to ``0.2``.
        seed: Seed of the shuffle. Defaults to ``113``.
        start_char: Index put at the start of every story; ``None`` puts none.
            Defaults to ``1``.
        oov_char: Index of the words left out by ``num_words`` / ``skip_top``; ``None``
            drops them instead. Defaults to ``2``.
        index_from: Added to every word rank. Defaults to ``3``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: the stories as 1-D object arrays of
        lists of ints, the topics as int arrays of labels 0..45 (see
        :func:`get_label_names`).

    Raises:
        TypeError: If ``test_split`` is not a number.
        ValueError: If ``test_split`` is outside ``[0, 1)``.
        OSError: If the file is not cached and cannot be downloaded; the message says
            where to put a copy by hand.
    """
    check_test_split(test_split)
    stored = load_npz(get_file(fname=path, origin=_ORIGIN, file_hash=_FILE_HASH))
    x, labels = shuffle_together(np.random.RandomState(seed), stored["x"], stored["y"])
    sequences = shift_and_mark(x, start_char, index_from)
    if maxlen:
        sequences, labels = drop_long(maxlen, sequences, labels)
    sequences = limit_vocabulary(sequences, num_words, skip_top, oov_char)
    split = split_index(len(sequences), test_split)
    return (
        (to_object_array(sequences[:split]), np.array(labels[:split])),
        (to_object_array(sequences[split:]), np.array(labels[split:])),
    )


def get_word_index(path: str | os.PathLike[str] = "reuters_word_index.json") -> dict[str, int]:
    """The word ranks of the Reuters data: ``{"the": 1, ...}``.

    A word of rank ``r`` appears in ``load_data``'s sequences as ``r + index_from``.

    Args:
        path: Name of the file in the cache folder (``~/.keras/datasets``).
            Defaults to ``"reuters_word_index.json"``.

    Returns:
        A dict from word to rank (1 for the most frequent word).
    """
    local = get_file(fname=path, origin=_WORD_INDEX_ORIGIN, file_hash=_WORD_INDEX_HASH)
    with open(local, encoding="utf-8") as file:
        return json.load(file)


def get_label_names() -> tuple[str, ...]:
    """The names of the 46 topics, indexed by label: ``get_label_names()[3] == "earn"``."""
    return _LABEL_NAMES
