"""Generalized crossentropy (Zhang and Sabuncu, 2018): a crossentropy robust to noisy labels.

``(1 - p**q) / q`` for the probability ``p`` given to the true class: near ``q = 0`` it
behaves like the crossentropy ``-log(p)``, at ``q = 1`` like the mean absolute error.
The plain crossentropies live in :mod:`torchseq.losses.crossentropy`.
"""

from __future__ import annotations

from typing import Any

import torch

from torchseq.losses._inputs import as_labels, as_prediction, check_number
from torchseq.losses.loss import _LabelLoss

__all__ = ["CategoricalGeneralizedCrossEntropy", "categorical_generalized_cross_entropy"]


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> torch.Tensor:
    """``(1 - p**q) / q`` where ``p`` is the probability ``y_pred`` gives the true class.

    Args:
        y_true: Integer class labels, shaped like ``y_pred`` without its class axis; a
            trailing size-1 axis is accepted too (Keras 3 broadcasts a ``(batch, 1)``
            label against the batch instead, giving ``(batch, batch)`` values). Float
            labels are truncated; a label outside ``[0, num_classes)`` gives ``p = 0``.
        y_pred: Class probabilities on the last axis (not logits; not clipped).
        q: The noise parameter, in ``(0, 1)``.

    Returns:
        One loss per label.

    Example:
        >>> y_pred = torch.tensor([[0.75, 0.25], [0.36, 0.64]])
        >>> categorical_generalized_cross_entropy(torch.tensor([0, 1]), y_pred, q=0.5)
        tensor([0.2679, 0.4000])
    """
    y_pred = as_prediction(y_pred)
    labels = as_labels(y_true, y_pred.device)
    if y_pred.ndim >= 1 and labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels.squeeze(-1)
    # A comparison with the class ids, not a gather: an out-of-range label selects
    # nothing (as Keras's one-hot does) instead of failing on the device.
    classes = torch.arange(y_pred.shape[-1], device=y_pred.device)
    one_hot = (labels.unsqueeze(-1) == classes).to(y_pred.dtype)
    probability = torch.sum(y_pred * one_hot, dim=-1)
    return (1.0 - torch.pow(probability, q)) / q


class CategoricalGeneralizedCrossEntropy(_LabelLoss):
    """Generalized crossentropy on integer labels (:func:`categorical_generalized_cross_entropy`).

    Args:
        q: The noise parameter, in ``(0, 1)``: towards 0 the loss behaves like the
            crossentropy, towards 1 like the mean absolute error (more robust to wrong
            labels). Defaults to ``0.5``.
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"categorical_generalized_cross_entropy"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.

    Example:
        >>> loss = CategoricalGeneralizedCrossEntropy(q=0.7)
        >>> loss(torch.tensor([0, 1]), torch.tensor([[0.7, 0.3], [0.2, 0.8]])).shape
        torch.Size([])
    """

    def __init__(
        self,
        q: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_generalized_cross_entropy",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(
            categorical_generalized_cross_entropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            q=check_number("q", q, low=0, high=1, low_inclusive=False, high_inclusive=False),
        )
