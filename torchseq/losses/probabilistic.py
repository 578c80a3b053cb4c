"""Losses between distributions and counts: Kullback-Leibler divergence and Poisson.

The crossentropies live in :mod:`torchseq.losses.crossentropy`.
"""

from __future__ import annotations

from typing import Any

import torch

from torchseq import config
from torchseq.losses._inputs import prediction_pair
from torchseq.losses.loss import _BuiltinLoss

__all__ = ["KLDivergence", "Poisson", "kl_divergence", "poisson"]


def kl_divergence(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``sum(y_true * log(y_true / y_pred), axis=-1)``, both clipped to ``[epsilon, 1]``."""
    y_true, y_pred = prediction_pair(y_true, y_pred)
    epsilon = config.epsilon()
    y_true = torch.clamp(y_true, epsilon, 1.0)
    y_pred = torch.clamp(y_pred, epsilon, 1.0)
    return torch.sum(y_true * torch.log(y_true / y_pred), dim=-1)


def poisson(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)``."""
    y_true, y_pred = prediction_pair(y_true, y_pred)
    return torch.mean(y_pred - y_true * torch.log(y_pred + config.epsilon()), dim=-1)


class KLDivergence(_BuiltinLoss):
    """Kullback-Leibler divergence of ``y_pred`` from ``y_true`` (:func:`kl_divergence`).

    Args:
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"kl_divergence"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "kl_divergence",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


class Poisson(_BuiltinLoss):
    """Poisson negative log-likelihood up to a constant (:func:`poisson`).

    Args:
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"poisson"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "poisson",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)
