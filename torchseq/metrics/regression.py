"""Regression metrics: mean squared / absolute / percentage / log errors, RMSE, cosine, log-cosh.

Each is the running mean of a per-sample function (the mean over the last axis), also
exported under Keras's function names (``keras.metrics.mean_squared_error`` ...).

Example:
    >>> import torch
    >>> from torchseq import metrics
    >>> m = metrics.MeanAbsoluteError()
    >>> m(torch.tensor([[0.0, 1.0], [0.0, 0.0]]), torch.tensor([[1.0, 1.0], [1.0, 0.0]]))
    tensor(0.5000)
"""

from __future__ import annotations

import math
from typing import Any

import torch

from torchseq import config, ops
from torchseq.metrics.metric import (
    FixedFunctionMean,
    Mean,
    squeeze_or_expand_to_same_rank,
)

__all__ = [
    "CosineSimilarity",
    "LogCoshError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "RootMeanSquaredError",
    "cosine_similarity",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
]

DType = str | torch.dtype | None


def _aligned(y_true: torch.Tensor, y_pred: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return squeeze_or_expand_to_same_rank(y_true.to(y_pred.dtype), y_pred)


def mean_squared_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _aligned(y_true, y_pred)
    return torch.mean(torch.square(y_true - y_pred), dim=-1)


def mean_absolute_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _aligned(y_true, y_pred)
    return torch.mean(torch.abs(y_true - y_pred), dim=-1)


def mean_absolute_percentage_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)``."""
    y_true, y_pred = _aligned(y_true, y_pred)
    scale = torch.clamp(torch.abs(y_true), min=config.epsilon())
    return 100.0 * torch.mean(torch.abs((y_true - y_pred) / scale), dim=-1)


def mean_squared_logarithmic_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = _aligned(y_true, y_pred)
    eps = config.epsilon()
    first = torch.log(torch.clamp(y_pred, min=eps) + 1.0)
    second = torch.log(torch.clamp(y_true, min=eps) + 1.0)
    return torch.mean(torch.square(first - second), dim=-1)


def log_cosh(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed without overflow."""
    y_true, y_pred = _aligned(y_true, y_pred)
    error = y_pred - y_true
    return torch.mean(error + torch.nn.functional.softplus(-2.0 * error) - math.log(2.0), dim=-1)


def cosine_similarity(y_true: torch.Tensor, y_pred: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """The cosine of the angle between ``y_true`` and ``y_pred`` along ``axis``."""
    y_true, y_pred = _aligned(y_true, y_pred)
    return torch.sum(ops.normalize(y_true, axis=axis) * ops.normalize(y_pred, axis=axis), dim=axis)


class MeanSquaredError(FixedFunctionMean):
    """Mean of ``mean_squared_error``; mirrors ``keras.metrics.MeanSquaredError``.

    Args:
        name: Defaults to ``"mean_squared_error"``.
        dtype: Defaults to ``config.floatx()``.
    """

    def __init__(self, name: str = "mean_squared_error", dtype: DType = None) -> None:
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(FixedFunctionMean):
    """Mean of ``mean_absolute_error``; mirrors ``keras.metrics.MeanAbsoluteError``.

    Args:
        name: Defaults to ``"mean_absolute_error"``.
        dtype: Defaults to ``config.floatx()``.
    """

    def __init__(self, name: str = "mean_absolute_error", dtype: DType = None) -> None:
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(FixedFunctionMean):
    """Mean of ``mean_absolute_percentage_error``; mirrors Keras's metric of that name.

    Args:
        name: Defaults to ``"mean_absolute_percentage_error"``.
        dtype: Defaults to ``config.floatx()``.
    """

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: DType = None) -> None:
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(FixedFunctionMean):
    """Mean of ``mean_squared_logarithmic_error``; mirrors Keras's metric of that name.

    Args:
        name: Defaults to ``"mean_squared_logarithmic_error"``.
        dtype: Defaults to ``config.floatx()``.
    """

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: DType = None) -> None:
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(FixedFunctionMean):
    """Mean of ``log_cosh``; mirrors ``keras.metrics.LogCoshError``.

    Args:
        name: Defaults to ``"logcosh"`` (Keras's spelling).
        dtype: Defaults to ``config.floatx()``.
    """

    def __init__(self, name: str = "logcosh", dtype: DType = None) -> None:
        super().__init__(log_cosh, name=name, dtype=dtype)


class CosineSimilarity(FixedFunctionMean):
    """Mean cosine similarity; mirrors ``keras.metrics.CosineSimilarity``.

    Args:
        name: Defaults to ``"cosine_similarity"``.
        dtype: Defaults to ``config.floatx()``.
        axis: Axis along which the cosine is taken. Defaults to ``-1``.
    """

    def __init__(
        self, name: str = "cosine_similarity", dtype: DType = None, axis: int = -1
    ) -> None:
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)

    def get_config(self) -> dict[str, Any]:
        # As Keras writes it: without ``axis``.
        return {"name": self.name, "dtype": self.dtype}


class RootMeanSquaredError(Mean):
    """``sqrt`` of the (weighted) mean squared error; mirrors Keras's ``RootMeanSquaredError``.

    Args:
        name: Defaults to ``"root_mean_squared_error"``.
        dtype: Defaults to ``config.floatx()``.
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype: DType = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = self._as_tensor(y_true, self._compute_dtype)
        y_pred = self._as_tensor(y_pred, self._compute_dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(torch.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self) -> torch.Tensor:
        return torch.sqrt(super().result())
