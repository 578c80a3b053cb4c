"""Hinge losses for maximum-margin classifiers: hinge, squared hinge, categorical hinge.

``hinge`` and ``squared_hinge`` expect labels ``-1``/``1``; labels that are all ``0``/``1``
are mapped to ``-1``/``1`` first, as Keras does. The test is made on the device
(``torch.where``), so it costs no host synchronisation.
"""

from __future__ import annotations

from typing import Any

import torch

from torchseq.losses._inputs import prediction_pair
from torchseq.losses.loss import _BuiltinLoss

__all__ = [
    "CategoricalHinge",
    "Hinge",
    "SquaredHinge",
    "categorical_hinge",
    "hinge",
    "squared_hinge",
]


def hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)`` with ``-1``/``1`` labels."""
    y_true, y_pred = prediction_pair(y_true, y_pred)
    margin = 1.0 - _as_signed_labels(y_true) * y_pred
    return torch.mean(torch.clamp(margin, min=0.0), dim=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)`` with ``-1``/``1`` labels."""
    y_true, y_pred = prediction_pair(y_true, y_pred)
    margin = 1.0 - _as_signed_labels(y_true) * y_pred
    return torch.mean(torch.square(torch.clamp(margin, min=0.0)), dim=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` over the last axis.

    ``y_true`` is one-hot, with the same shape as ``y_pred``.
    """
    y_true, y_pred = prediction_pair(y_true, y_pred)
    positive = torch.sum(y_true * y_pred, dim=-1)
    negative = torch.amax((1.0 - y_true) * y_pred, dim=-1)
    return torch.clamp(negative - positive + 1.0, min=0.0)


def _as_signed_labels(y_true: torch.Tensor) -> torch.Tensor:
    """``2 * y - 1`` when every label is 0 or 1, else the labels unchanged."""
    is_binary = torch.all((y_true == 0) | (y_true == 1))
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


class Hinge(_BuiltinLoss):
    """Hinge loss (:func:`hinge`).

    Args:
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"hinge"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "hinge",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


class SquaredHinge(_BuiltinLoss):
    """Squared hinge loss (:func:`squared_hinge`).

    Args:
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"squared_hinge"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "squared_hinge",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


class CategoricalHinge(_BuiltinLoss):
    """Categorical hinge loss on one-hot targets (:func:`categorical_hinge`).

    Args:
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"categorical_hinge"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_hinge",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)
