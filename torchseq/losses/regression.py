"""Regression losses: squared, absolute, percentage and logarithmic errors, Huber, log-cosh,
cosine similarity.

Each loss exists as a function ``f(y_true, y_pred) -> per-sample losses`` (reduced over
the last axis only) and as a class applying the sample weights and the reduction.
Formulas are Keras 3's, including where ``config.epsilon()`` enters.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from torchseq import config
from torchseq.losses._inputs import check_axis, check_number, prediction_pair
from torchseq.losses.loss import _BuiltinLoss, squeeze_or_expand_to_same_rank

__all__ = [
    "CosineSimilarity",
    "Huber",
    "LogCosh",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "cosine_similarity",
    "huber",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
]


def _aligned(y_true: Any, y_pred: Any) -> tuple[torch.Tensor, torch.Tensor]:
    return squeeze_or_expand_to_same_rank(*prediction_pair(y_true, y_pred))


def mean_squared_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _aligned(y_true, y_pred)
    return torch.mean(torch.square(y_true - y_pred), dim=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _aligned(y_true, y_pred)
    return torch.mean(torch.abs(y_true - y_pred), dim=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)``."""
    y_true, y_pred = _aligned(y_true, y_pred)
    scale = torch.clamp(torch.abs(y_true), min=config.epsilon())
    return 100.0 * torch.mean(torch.abs((y_true - y_pred) / scale), dim=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = _aligned(y_true, y_pred)
    epsilon = config.epsilon()
    first_log = torch.log(torch.clamp(y_pred, min=epsilon) + 1.0)
    second_log = torch.log(torch.clamp(y_true, min=epsilon) + 1.0)
    return torch.mean(torch.square(first_log - second_log), dim=-1)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    """Minus the cosine of the angle between ``y_true`` and ``y_pred`` along ``axis``.

    The values lie in ``[-1, 1]``; ``-1`` means the vectors point the same way, so
    minimising the loss aligns them. A zero vector gives 0.
    """
    check_axis(axis)
    y_true, y_pred = _aligned(y_true, y_pred)
    return -torch.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), dim=axis)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> torch.Tensor:
    """Quadratic for errors up to ``delta``, linear beyond, averaged over the last axis.

    ``0.5 * e**2`` where ``|e| <= delta``, else ``delta * |e| - 0.5 * delta**2``.
    ``delta`` must be positive (Keras does not check it).
    """
    check_number("delta", delta, low=0.0, low_inclusive=False)
    y_true, y_pred = _aligned(y_true, y_pred)
    return torch.mean(F.huber_loss(y_pred, y_true, reduction="none", delta=delta), dim=-1)


def log_cosh(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed without overflow."""
    y_true, y_pred = _aligned(y_true, y_pred)
    error = y_pred - y_true
    return torch.mean(error + F.softplus(-2.0 * error) - math.log(2.0), dim=-1)


def _l2_normalize(x: torch.Tensor, axis: int) -> torch.Tensor:
    """``x / ||x||`` with the inverse norm capped at ``1 / epsilon``, as Keras caps it."""
    squared_norm = torch.sum(torch.square(x), dim=axis, keepdim=True)
    return x * torch.rsqrt(torch.clamp(squared_norm, min=config.epsilon() ** 2))


class MeanSquaredError(_BuiltinLoss):
    """Mean of the squared errors (:func:`mean_squared_error`).

    Args:
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"mean_squared_error"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.

    Example:
        >>> MeanSquaredError()(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 1.0]]))
        tensor(0.5000)
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "mean_squared_error",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(_BuiltinLoss):
    """Mean of the absolute errors (:func:`mean_absolute_error`).

    Args:
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"mean_absolute_error"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "mean_absolute_error",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsolutePercentageError(_BuiltinLoss):
    """Mean absolute error in percent of the target (:func:`mean_absolute_percentage_error`).

    Args:
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"mean_absolute_percentage_error"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "mean_absolute_percentage_error",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(
            mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype
        )


class MeanSquaredLogarithmicError(_BuiltinLoss):
    """Mean squared error of ``log(1 + x)`` (:func:`mean_squared_logarithmic_error`).

    Args:
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"mean_squared_logarithmic_error"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "mean_squared_logarithmic_error",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(
            mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype
        )


class CosineSimilarity(_BuiltinLoss):
    """Negative cosine similarity along ``axis`` (:func:`cosine_similarity`).

    Args:
        axis: The axis holding the vectors. Defaults to ``-1``.
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"cosine_similarity"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.

    Unlike Keras 3, ``get_config()`` includes ``axis``.
    """

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "cosine_similarity",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(
            cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=check_axis(axis)
        )


class Huber(_BuiltinLoss):
    """Huber loss (:func:`huber`): quadratic up to ``delta``, linear beyond.

    Args:
        delta: Positive threshold between the quadratic and the linear part.
            Defaults to ``1.0``.
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"huber_loss"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.

    Unlike Keras 3, ``get_config()`` includes ``delta``.
    """

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "huber_loss",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        delta = check_number("delta", delta, low=0.0, low_inclusive=False)
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)


class LogCosh(_BuiltinLoss):
    """Logarithm of the hyperbolic cosine of the error (:func:`log_cosh`).

    Args:
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"log_cosh"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "log_cosh",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)
