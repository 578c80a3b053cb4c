"""``utils.pad_sequences``: a list of sequences of different lengths as one padded array."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from torchseq.utils.integers import is_int

__all__ = ["pad_sequences"]

_SIDES = ("pre", "post")


def pad_sequences(
    sequences: Sequence[Any],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pad (or cut) sequences to one length, as ``keras.utils.pad_sequences``.

    Each sequence becomes a row of length ``maxlen`` (by default, the longest sequence's
    length): shorter ones are filled with ``value``, longer ones lose items, at the start
    (``"pre"``) or at the end (``"post"``). A sequence's items may themselves be arrays
    (all of one shape), which adds their dimensions to the result.

    Args:
        sequences: A list (or any sized collection) of sequences: lists, tuples or arrays.
        maxlen: Length of every row; ``None`` means the longest sequence's length.
        dtype: dtype of the result. Defaults to ``"int32"``; use ``object`` (or a numpy
            string dtype) for strings.
        padding: ``"pre"`` or ``"post"``: where the filling goes. Defaults to ``"pre"``.
        truncating: ``"pre"`` or ``"post"``: which end of a long sequence is cut.
            Defaults to ``"pre"``.
        value: The fill value. Defaults to ``0.0``.

    Returns:
        A numpy array of shape ``(len(sequences), maxlen) + item_shape``.

    Raises:
        TypeError: If ``maxlen`` is neither ``None`` nor an int.
        ValueError: If ``sequences`` is not a collection of sequences, items' shapes
            differ, ``padding`` / ``truncating`` is unknown, ``maxlen`` is negative, or
            ``value`` is a string while ``dtype`` is neither ``object`` nor a string dtype.

    Example:
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
        array([[0, 0, 1],
               [0, 2, 3],
               [4, 5, 6]], dtype=int32)
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post")
        array([[1, 0],
               [2, 3],
               [5, 6]], dtype=int32)
    """
    _check_side("padding", padding)
    _check_side("truncating", truncating)
    if maxlen is not None and not is_int(maxlen):
        raise TypeError(
            f"pad_sequences: maxlen must be None or an int >= 0, received: maxlen={maxlen!r} "
            f"of type {type(maxlen).__name__}"
        )
    if maxlen is not None and maxlen < 0:
        raise ValueError(f"maxlen must be None or an int >= 0, received: maxlen={maxlen!r}")
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            "pad_sequences expects a list of sequences, received an object without a "
            f"length: {type(sequences).__name__}"
        )
    lengths, item_shape = _lengths_and_item_shape(sequences)
    if maxlen is None:
        maxlen = max(lengths, default=0)
    _check_value_fits_dtype(value, dtype)

    padded = np.full((len(sequences), int(maxlen), *item_shape), value, dtype=dtype)
    if maxlen == 0:
        return padded
    for index, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != item_shape:
            raise ValueError(
                f"pad_sequences expects items of one shape; the items of sequence {index} "
                f"have shape {kept.shape[1:]}, those of the first non-empty sequence "
                f"{item_shape}"
            )
        if padding == "post":
            padded[index, : len(kept)] = kept
        else:
            padded[index, -len(kept) :] = kept
    return padded


def _check_side(name: str, side: str) -> None:
    if side not in _SIDES:
        raise ValueError(f'{name} must be "pre" or "post", received: {name}={side!r}')


def _lengths_and_item_shape(sequences: Sequence[Any]) -> tuple[list[int], tuple[int, ...]]:
    """Every sequence's length, and the shape of one item (taken from the first non-empty)."""
    lengths = []
    item_shape: tuple[int, ...] | None = None
    for index, sequence in enumerate(sequences):
        try:
            lengths.append(len(sequence))
        except TypeError as error:
            raise ValueError(
                "pad_sequences expects a list of sequences; item "
                f"{index} has no length: {sequence!r}"
            ) from error
        if item_shape is None and len(sequence):
            item_shape = np.asarray(sequence).shape[1:]
    return lengths, item_shape or ()


def _check_value_fits_dtype(value: Any, dtype: Any) -> None:
    if not isinstance(value, str) or dtype is object:
        return
    if np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_):
        return
    raise ValueError(
        f"pad_sequences cannot fill dtype={dtype!r} with a string value ({value!r}); "
        "pass dtype=object for strings of any length"
    )
