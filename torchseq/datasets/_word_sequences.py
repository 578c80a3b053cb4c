"""The word-index encoding that the IMDB and Reuters loaders share.

The files store each text as a list of word ranks (1 = the most frequent word). The loaders
shift the ranks by ``index_from``, mark each start with ``start_char``, then replace the
words outside ``[skip_top, num_words)`` with ``oov_char`` (or drop them), as Keras does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["drop_long", "limit_vocabulary", "shift_and_mark", "to_object_array"]


def shift_and_mark(
    sequences: Iterable[Sequence[int]], start_char: int | None, index_from: int
) -> list[list[int]]:
    """Each sequence's indices plus ``index_from``, after ``start_char`` when it is not None."""
    start = [] if start_char is None else [start_char]
    return [start + [word + index_from for word in sequence] for sequence in sequences]


def drop_long(
    maxlen: int, sequences: list[list[int]], labels: Iterable[Any]
) -> tuple[list[list[int]], list[Any]]:
    """Keep only the sequences shorter than ``maxlen`` (strictly, as Keras), with their labels."""
    kept = [
        (sequence, label) for sequence, label in zip(sequences, labels) if len(sequence) < maxlen
    ]
    return [sequence for sequence, _ in kept], [label for _, label in kept]


def limit_vocabulary(
    sequences: list[list[int]], num_words: int | None, skip_top: int, oov_char: int | None
) -> list[list[int]]:
    """Replace (or, when ``oov_char`` is None, drop) indices outside ``[skip_top, num_words)``."""
    if not num_words:
        # As Keras: the bound is the largest index itself, so that one word also counts
        # as out of vocabulary.
        num_words = max((max(sequence) for sequence in sequences if sequence), default=0)
    if oov_char is not None:
        return [
            [word if skip_top <= word < num_words else oov_char for word in sequence]
            for sequence in sequences
        ]
    return [[word for word in sequence if skip_top <= word < num_words] for sequence in sequences]


def to_object_array(sequences: list[list[int]]) -> np.ndarray:
    """A 1-D object array holding one list per sequence, whatever their lengths."""
    array = np.empty(len(sequences), dtype=object)
    for index, sequence in enumerate(sequences):
        array[index] = sequence
    return array
