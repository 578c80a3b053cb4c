"""Label and array helpers: ``to_categorical`` and ``normalize`` (``keras.utils``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchseq import ops
from torchseq.utils.integers import is_int

__all__ = ["normalize", "to_categorical"]


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray | torch.Tensor:
    """One-hot encode integer class labels into a float32 matrix.

    A trailing axis of size 1 is dropped first, so labels of shape ``(n, 1)`` give
    ``(n, num_classes)``, as in Keras.

    Args:
        x: Array-like of integer labels in ``[0, num_classes)``.
        num_classes: Number of classes. Defaults to ``None``: ``max(x) + 1``.

    Returns:
        A float32 numpy array of shape ``x.shape + (num_classes,)`` (a torch tensor on
        ``x``'s device if ``x`` is a torch tensor). Keras 3 returns float64 for numpy
        input; float32 is what Keras 2 returned and what models consume.

    Raises:
        ValueError: If a label is negative or not below ``num_classes``, or if
            ``num_classes`` is not positive.

    Example:

    >>> to_categorical([0, 2], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    labels = _label_array(x)
    num_classes = _resolve_num_classes(labels, num_classes)
    _check_label_range(labels, num_classes)
    flat = labels.reshape(-1)
    encoded = np.zeros((flat.size, num_classes), dtype=np.float32)
    encoded[np.arange(flat.size), flat] = 1.0
    encoded = encoded.reshape(labels.shape + (num_classes,))
    return torch.from_numpy(encoded).to(x.device) if isinstance(x, torch.Tensor) else encoded


def _label_array(x: Any) -> np.ndarray:
    labels = np.asarray(ops.convert_to_numpy(x)).astype(np.int64)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    return labels


def _resolve_num_classes(labels: np.ndarray, num_classes: int | None) -> int:
    if num_classes is None:
        if labels.size == 0:
            raise ValueError("to_categorical cannot infer num_classes from empty labels; pass it")
        return int(labels.max()) + 1
    if not is_int(num_classes):
        raise TypeError(
            f"to_categorical expected num_classes to be an int or None, received: "
            f"num_classes={num_classes!r} of type {type(num_classes).__name__}"
        )
    if num_classes < 1:
        raise ValueError(f"to_categorical expected num_classes >= 1, received: {num_classes}")
    return int(num_classes)


def _check_label_range(labels: np.ndarray, num_classes: int) -> None:
    bad = labels[(labels < 0) | (labels >= num_classes)]
    if bad.size:
        raise ValueError(
            f"to_categorical expected labels in [0, {num_classes}), received: label {bad[0]}"
        )


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray | torch.Tensor:
    """Divide ``x`` by its ``order``-norm along ``axis``.

    Numpy input gives numpy output, and a zero norm leaves the slice at zero. Tensor
    input goes through :func:`torchseq.ops.normalize` (norm floored at epsilon).

    Args:
        x: Array to normalise.
        axis: Axis along which to take the norm. Defaults to -1.
        order: Norm order, e.g. 2 for the Euclidean norm. Defaults to 2.

    Returns:
        The normalised copy of ``x``.

    Example:

    >>> normalize(np.array([[3.0, 4.0]]))
    array([[0.6, 0.8]])
    """
    if isinstance(x, torch.Tensor):
        return ops.normalize(x, axis=axis, order=order)
    x = np.asarray(x)
    norm = np.linalg.norm(x, order, axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)
