"""Accuracy metrics: exact match, binary, categorical, sparse categorical and top-k.

Each metric is the running mean of a per-sample function, also exported (Keras's
``keras.metrics.binary_accuracy`` ...), that returns 1.0 for a hit and 0.0 for a miss.

Example:
    >>> import torch
    >>> from torchseq import metrics
    >>> m = metrics.CategoricalAccuracy()
    >>> m(torch.tensor([[0.0, 1.0], [1.0, 0.0]]), torch.tensor([[0.2, 0.8], [0.3, 0.7]]))
    tensor(0.5000)
"""

from __future__ import annotations

from typing import Any

import torch

from torchseq import config
from torchseq.losses._inputs import check_class_labels, class_label_error
from torchseq.metrics.metric import (
    MeanMetricWrapper,
    one_hot_classes,
    squeeze_or_expand_to_same_rank,
)
from torchseq.utils.integers import is_int

__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]


def _hits(matches: torch.Tensor) -> torch.Tensor:
    return matches.to(config.standardize_dtype(None))


def accuracy(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """1.0 where ``y_true == y_pred`` (after Keras's trailing-axis squeeze), else 0.0."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true.to(y_pred.dtype), y_pred)
    return _hits(y_true == y_pred)


def binary_accuracy(
    y_true: torch.Tensor, y_pred: torch.Tensor, threshold: float = 0.5
) -> torch.Tensor:
    """1.0 where ``y_pred > threshold`` equals ``y_true`` (0/1), else 0.0, per element."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _hits(y_true == (y_pred > threshold).to(y_true.dtype))


def categorical_accuracy(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """1.0 where the argmax of the one-hot ``y_true`` is the argmax of ``y_pred``."""
    labels = one_hot_classes(y_true).to(y_pred.dtype)
    return _label_hits(labels, y_pred, squeeze_any_size=True)


def sparse_categorical_accuracy(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """1.0 where the integer label ``y_true`` is the argmax of ``y_pred``."""
    matches = _label_hits(y_true.to(y_pred.dtype), y_pred, squeeze_any_size=False)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def _label_hits(
    labels: torch.Tensor, y_pred: torch.Tensor, *, squeeze_any_size: bool
) -> torch.Tensor:
    """Compare labels with ``argmax(y_pred)``, keeping the labels' shape (Keras's rule)."""
    original_shape = labels.shape
    reshape = labels.ndim == y_pred.ndim and (squeeze_any_size or labels.shape[-1] == 1)
    if reshape:
        labels = labels.squeeze(-1)
    predicted = torch.argmax(y_pred, dim=-1).to(labels.dtype)
    matches = _hits(labels == predicted)
    return matches.reshape(original_shape) if reshape else matches


def top_k_categorical_accuracy(
    y_true: torch.Tensor, y_pred: torch.Tensor, k: int = 5
) -> torch.Tensor:
    """1.0 where the one-hot ``y_true``'s class is among the ``k`` highest ``y_pred``."""
    labels = torch.argmax(y_true.to(y_pred.dtype), dim=-1)
    return _in_top_k(labels, y_pred, k)


def sparse_top_k_categorical_accuracy(
    y_true: torch.Tensor, y_pred: torch.Tensor, k: int = 5, from_sorted_ids: bool = False
) -> torch.Tensor:
    """1.0 where the integer label ``y_true`` is among the ``k`` highest ``y_pred``.

    With ``from_sorted_ids``, ``y_pred`` holds class ids sorted by score (best first)
    instead of scores, and a hit is a label among its first ``k`` entries.
    """
    if not from_sorted_ids:
        what = "sparse_top_k_categorical_accuracy"
        if y_pred.ndim >= 1:
            check_class_labels(y_true, y_pred.shape[-1], what)
        try:
            return _in_top_k(y_true.to(torch.int32), y_pred, k)
        except RuntimeError as error:  # a CPU gather out of range; CUDA asserts instead
            explained = class_label_error(torch.as_tensor(y_true), y_pred.shape[-1], what)
            if explained is None:
                raise
            raise explained from error
    labels = y_true.to(y_pred.dtype)
    original_shape = labels.shape
    labels = labels.reshape(-1)
    ids = y_pred.reshape(-1, y_pred.shape[-1]) if y_pred.ndim > 2 else y_pred
    matches = _hits(torch.any(labels[:, None] == ids[:, :k], dim=1))
    return matches.reshape(original_shape)


def _in_top_k(labels: torch.Tensor, y_pred: torch.Tensor, k: int) -> torch.Tensor:
    """A hit when the label's score is at least the k-th highest score (ties count as hits).

    With ``k`` at least the number of classes every label is a hit, as in TensorFlow's
    ``in_top_k`` (Keras's torch backend raises instead).
    """
    original_shape = labels.shape
    scores = y_pred.reshape(-1, y_pred.shape[-1]) if y_pred.ndim > 2 else y_pred
    labels = labels.reshape(-1).to(torch.int64)
    kth_highest = torch.topk(scores, min(k, scores.shape[-1]), dim=-1).values[:, -1]
    label_scores = torch.gather(scores, -1, labels[:, None]).squeeze(-1)
    return _hits(label_scores >= kth_highest).reshape(original_shape)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly; mirrors ``keras.metrics.Accuracy``.

    Args:
        name: Defaults to ``"accuracy"``.
        dtype: Defaults to ``config.floatx()``.
    """

    def __init__(self, name: str = "accuracy", dtype: str | torch.dtype | None = None) -> None:
        super().__init__(accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the 0/1 labels; mirrors Keras's ``BinaryAccuracy``.

    Args:
        name: Defaults to ``"binary_accuracy"``.
        dtype: Defaults to ``config.floatx()``.
        threshold: A prediction above it counts as 1. Defaults to ``0.5``.
    """

    def __init__(
        self,
        name: str = "binary_accuracy",
        dtype: str | torch.dtype | None = None,
        threshold: float = 0.5,
    ) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise TypeError(
                f"BinaryAccuracy: threshold must be a number, "
                f"received: threshold={threshold!r} of type {type(threshold).__name__}"
            )
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class _ArgmaxAccuracy(MeanMetricWrapper):
    """An accuracy counting argmax matches. Unweighted batches of 2-D predictions (what a
    training step gives it) count their hits straight into the totals: the same figures
    as the per-sample path, in half the kernels."""

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if sample_weight is None and isinstance(y_pred, torch.Tensor) and y_pred.ndim == 2:
            labels = self._labels(y_true, y_pred)
            if labels is not None:
                self.total.add_((labels == torch.argmax(y_pred, dim=-1)).sum())
                self.count.add_(y_pred.shape[0])
                return
        super().update_state(y_true, y_pred, sample_weight)

    def _labels(self, y_true: Any, y_pred: torch.Tensor) -> torch.Tensor | None:
        """The class labels of ``y_true`` as one ``(batch,)`` tensor, or ``None`` when its
        form needs the per-sample path."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class CategoricalAccuracy(_ArgmaxAccuracy):
    """How often the argmax of one-hot labels matches the argmax of predictions.

    Mirrors ``keras.metrics.CategoricalAccuracy``.

    Args:
        name: Defaults to ``"categorical_accuracy"``.
        dtype: Defaults to ``config.floatx()``.
    """

    def __init__(
        self, name: str = "categorical_accuracy", dtype: str | torch.dtype | None = None
    ) -> None:
        super().__init__(categorical_accuracy, name=name, dtype=dtype)

    def _labels(self, y_true: Any, y_pred: torch.Tensor) -> torch.Tensor | None:
        if isinstance(y_true, torch.Tensor) and y_true.shape == y_pred.shape:
            return one_hot_classes(y_true)
        return None


class SparseCategoricalAccuracy(_ArgmaxAccuracy):
    """How often integer labels match the argmax of predictions.

    Mirrors ``keras.metrics.SparseCategoricalAccuracy``; labels may be ``(batch,)`` or
    ``(batch, 1)``.

    Args:
        name: Defaults to ``"sparse_categorical_accuracy"``.
        dtype: Defaults to ``config.floatx()``.
    """

    def __init__(
        self, name: str = "sparse_categorical_accuracy", dtype: str | torch.dtype | None = None
    ) -> None:
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def _labels(self, y_true: Any, y_pred: torch.Tensor) -> torch.Tensor | None:
        if not isinstance(y_true, torch.Tensor) or len(y_true) != len(y_pred):
            return None
        if y_true.ndim == 1 or (y_true.ndim == 2 and y_true.shape[1] == 1):
            return y_true.reshape(-1)
        return None


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the ``k`` highest predictions.

    Mirrors ``keras.metrics.TopKCategoricalAccuracy``.

    Args:
        k: How many top predictions count. Defaults to ``5``.
        name: Defaults to ``"top_k_categorical_accuracy"``.
        dtype: Defaults to ``config.floatx()``.
    """

    def __init__(
        self,
        k: int = 5,
        name: str = "top_k_categorical_accuracy",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=_positive_k(k))
        self.k = k

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest predictions.

    Mirrors ``keras.metrics.SparseTopKCategoricalAccuracy``.

    Args:
        k: How many top predictions count. Defaults to ``5``.
        name: Defaults to ``"sparse_top_k_categorical_accuracy"``.
        dtype: Defaults to ``config.floatx()``.
        from_sorted_ids: ``y_pred`` holds class ids sorted by score rather than scores.
            Defaults to ``False``.
    """

    def __init__(
        self,
        k: int = 5,
        name: str = "sparse_top_k_categorical_accuracy",
        dtype: str | torch.dtype | None = None,
        from_sorted_ids: bool = False,
    ) -> None:
        super().__init__(
            sparse_top_k_categorical_accuracy,
            name=name,
            dtype=dtype,
            k=_positive_k(k),
            from_sorted_ids=from_sorted_ids,
        )
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self) -> dict[str, Any]:
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config


def _positive_k(k: Any) -> int:
    if not is_int(k):
        raise TypeError(
            f"k must be a positive integer, received: k={k!r} of type {type(k).__name__}"
        )
    if k < 1:
        raise ValueError(f"k must be a positive integer, received: k={k}")
    return int(k)
