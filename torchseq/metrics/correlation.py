"""How well predictions follow targets: ``R2Score``, ``PearsonCorrelation``, ``ConcordanceCorrelation``.

``R2Score`` keeps running sums per output column and gives the coefficient of
determination over everything seen. The two correlations are computed within each sample
(along ``axis``) by ``pearson_correlation`` / ``concordance_correlation`` and averaged over
samples, as Keras does.

Example:
    >>> import torch
    >>> from torchseq import metrics
    >>> m = metrics.R2Score()
    >>> m(torch.tensor([[1.0], [4.0], [3.0]]), torch.tensor([[2.0], [4.0], [4.0]]))
    tensor(0.5714)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchseq import config, ops
from torchseq.metrics.metric import FixedFunctionMean, Metric, squeeze_or_expand_to_same_rank

__all__ = [
    "ConcordanceCorrelation",
    "PearsonCorrelation",
    "R2Score",
    "concordance_correlation",
    "pearson_correlation",
]

DType = str | torch.dtype | None
Axis = int | tuple[int, ...]
_CLASS_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")
_COLUMN_STATES = ("squared_sum", "sum", "total_mse", "count")


def pearson_correlation(y_true: Any, y_pred: Any, axis: Axis = -1) -> torch.Tensor:
    """Pearson's correlation coefficient of ``y_true`` and ``y_pred`` along ``axis``.

    Both are centred and scaled by their (population) standard deviation along ``axis``;
    the result is the mean of their product there. A constant row gives ``nan``, as in
    Keras.

    Args:
        y_true: Targets.
        y_pred: Predictions, of the same shape (or one trailing axis of size 1 apart).
        axis: The axis, or tuple of axes, within which values are correlated.
            Defaults to ``-1``.

    Returns:
        The coefficients: the input shape without ``axis``.

    Example:
        >>> pearson_correlation(torch.tensor([[0.0, 1.0, 0.5]]), torch.tensor([[0.1, 0.9, 0.5]]))
        tensor([1.])
    """
    axis = _checked_axis("pearson_correlation", axis)
    y_true, y_pred = _aligned(y_true, y_pred)
    true_scores = _centred(y_true, axis)
    pred_scores = _centred(y_pred, axis)
    true_scores = true_scores / torch.std(true_scores, dim=axis, correction=0, keepdim=True)
    pred_scores = pred_scores / torch.std(pred_scores, dim=axis, correction=0, keepdim=True)
    return torch.mean(true_scores * pred_scores, dim=axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: Axis = -1) -> torch.Tensor:
    """Lin's concordance correlation coefficient of ``y_true`` and ``y_pred`` along ``axis``.

    ``2 * cov / (var_true + var_pred + (mean_true - mean_pred) ** 2 + epsilon)``, with
    population moments along ``axis``: 1 only where the predictions equal the targets.

    Args:
        y_true: Targets.
        y_pred: Predictions, of the same shape (or one trailing axis of size 1 apart).
        axis: The axis, or tuple of axes, within which values are compared.
            Defaults to ``-1``.

    Returns:
        The coefficients: the input shape without ``axis``.

    Example:
        >>> concordance_correlation(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, 1.0]]))
        tensor([1.0000])
    """
    axis = _checked_axis("concordance_correlation", axis)
    y_true, y_pred = _aligned(y_true, y_pred)
    true_mean = torch.mean(y_true, dim=axis, keepdim=True)
    pred_mean = torch.mean(y_pred, dim=axis, keepdim=True)
    true_var = torch.var(y_true, dim=axis, correction=0, keepdim=True)
    pred_var = torch.var(y_pred, dim=axis, correction=0, keepdim=True)
    spread = true_var + pred_var + torch.square(true_mean - pred_mean) + config.epsilon()
    return torch.mean(2.0 * (y_true - true_mean) * (y_pred - pred_mean) / spread, dim=axis)


class PearsonCorrelation(FixedFunctionMean):
    """Mean of ``pearson_correlation``; mirrors ``keras.metrics.PearsonCorrelation``.

    Args:
        name: Defaults to ``"pearson_correlation"``.
        dtype: Defaults to ``config.floatx()``.
        axis: The axis, or tuple of axes, within which values are correlated.
            Defaults to ``-1``.

    Example:
        >>> m = PearsonCorrelation()
        >>> m(torch.tensor([[0.0, 1.0, 0.5], [1.0, 1.0, 0.2]]),
        ...   torch.tensor([[0.1, 0.9, 0.5], [1.0, 0.9, 0.2]]))
        tensor(0.9967)
    """

    _direction = "up"

    def __init__(
        self, name: str = "pearson_correlation", dtype: DType = None, axis: Axis = -1
    ) -> None:
        axis = _checked_axis(type(self).__name__, axis)
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis


class ConcordanceCorrelation(FixedFunctionMean):
    """Mean of ``concordance_correlation``; mirrors ``keras.metrics.ConcordanceCorrelation``.

    Args:
        name: Defaults to ``"concordance_correlation"``.
        dtype: Defaults to ``config.floatx()``.
        axis: The axis, or tuple of axes, within which values are compared.
            Defaults to ``-1``.
    """

    _direction = "up"

    def __init__(
        self, name: str = "concordance_correlation", dtype: DType = None, axis: Axis = -1
    ) -> None:
        axis = _checked_axis(type(self).__name__, axis)
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis


class R2Score(Metric):
    """The coefficient of determination, ``1 - SS_res / SS_tot``; mirrors ``keras.metrics.R2Score``.

    Sums per output column (the last axis) are kept over every batch, so the score is
    the one of all samples seen, not a mean of batch scores. As in Keras, a column whose
    targets never vary (an infinite raw score) counts as 0, and one with no weight is ``nan``.

    Args:
        class_aggregation: How the column scores are combined: ``"uniform_average"``
            (their mean), ``"variance_weighted_average"`` (weighted by each column's
            target variance) or ``None`` (one score per column). Defaults to
            ``"uniform_average"``.
        num_regressors: Number of independent regressors, for the adjusted R2
            ``1 - (1 - r2) * (n - 1) / (n - p - 1)``, with ``n`` the number of values
            seen; 0 gives the plain R2. While ``n <= p + 1`` the plain R2 is returned.
            Defaults to ``0``.
        name: Defaults to ``"r2_score"``.
        dtype: Defaults to ``config.floatx()``.

    Shapes:
        ``y_true`` and ``y_pred`` are ``(batch, outputs)``; the number of outputs is set
        by the first batch. ``sample_weight`` is a number, ``(batch,)`` or
        ``(batch, outputs)``.
    """

    _direction = "up"

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype: DType = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in _CLASS_AGGREGATIONS:
            raise ValueError(
                f"R2Score: class_aggregation must be one of {list(_CLASS_AGGREGATIONS)}, "
                f"received: class_aggregation={class_aggregation!r}"
            )
        if isinstance(num_regressors, bool) or not isinstance(num_regressors, (int, np.integer)):
            raise TypeError(
                f"R2Score: num_regressors must be an integer >= 0, received: "
                f"num_regressors={num_regressors!r} of type {type(num_regressors).__name__}"
            )
        if num_regressors < 0:
            raise ValueError(
                f"R2Score: num_regressors must be >= 0, received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = int(num_regressors)
        self.num_samples = self.add_variable(shape=(), name="num_samples")
        for state in _COLUMN_STATES:  # sized by the first batch
            self.add_variable(shape=None, name=state)
        self._built = False

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        dtype = self._compute_dtype
        y_true, y_pred = squeeze_or_expand_to_same_rank(
            self._as_tensor(y_true, dtype), self._as_tensor(y_pred, dtype)
        )
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        weights = self._weights(sample_weight, y_true)
        weighted_true = y_true * weights
        self.sum.add_(torch.sum(weighted_true, dim=0))
        self.squared_sum.add_(torch.sum(y_true * weighted_true, dim=0))
        self.total_mse.add_(torch.sum(torch.square(y_true - y_pred) * weights, dim=0))
        self.count.add_(torch.sum(weights, dim=0))
        self.num_samples.add_(y_true.numel())

    def _build(self, true_shape: torch.Size, pred_shape: torch.Size) -> None:
        if len(true_shape) != 2 or len(pred_shape) != 2:
            raise ValueError(
                "R2Score: y_true and y_pred must be 2D, (batch_size, output_dim), received "
                f"shapes y_true={tuple(true_shape)} and y_pred={tuple(pred_shape)}"
            )
        for state in _COLUMN_STATES:
            self._materialize(state, (pred_shape[-1],))
        self._built = True

    def _weights(self, sample_weight: Any, y_true: torch.Tensor) -> torch.Tensor:
        if sample_weight is None:
            return torch.ones_like(y_true)
        if isinstance(sample_weight, (int, float)) and not isinstance(sample_weight, bool):
            return torch.full_like(y_true, sample_weight)  # a fill, not a host-to-device copy
        weights = self._as_tensor(sample_weight, y_true.dtype)
        try:
            # One weight per sample holds for every column.
            return torch.broadcast_to(
                weights.unsqueeze(1) if weights.ndim == 1 else weights, y_true.shape
            )
        except RuntimeError as error:
            raise ValueError(
                "R2Score: sample_weight must be a number, (batch,) or (batch, output_dim) "
                f"for y_true of shape {tuple(y_true.shape)}, received shape "
                f"{tuple(weights.shape)}"
            ) from error

    def result(self) -> torch.Tensor:
        if not self._built:
            return torch.zeros((), dtype=self._compute_dtype, device=self._state_device())
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        scores = 1.0 - self.total_mse / total
        scores = torch.where(torch.isinf(scores), 0.0, scores)
        if self.class_aggregation == "uniform_average":
            score = torch.mean(scores)
        elif self.class_aggregation == "variance_weighted_average":
            score = torch.sum(total * scores) / torch.sum(total)
        else:
            score = scores
        return self._adjusted(score) if self.num_regressors else score

    def _adjusted(self, score: torch.Tensor) -> torch.Tensor:
        """Adjusted R2 once there are more values than regressors + 1, else ``score``."""
        n, p = self.num_samples, self.num_regressors
        degrees = n - p - 1.0
        # Keras warns and falls back to the plain score; here the choice stays on the device.
        adjusted = 1.0 - (1.0 - score) * (n - 1.0) / torch.where(degrees > 0, degrees, 1.0)
        return torch.where(degrees > 0, adjusted, score)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }


def _aligned(y_true: Any, y_pred: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Both as tensors of ``y_pred``'s (floating) dtype and device, of the same rank."""
    y_pred = y_pred if isinstance(y_pred, torch.Tensor) else ops.convert_to_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.to(config.standardize_dtype(None))
    y_true = torch.as_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def _centred(x: torch.Tensor, axis: Axis) -> torch.Tensor:
    return x - torch.mean(x, dim=axis, keepdim=True)


def _checked_axis(owner: str, axis: Any) -> Axis:
    """An int or a tuple of ints (a list becomes a tuple)."""
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if not axes or any(isinstance(a, bool) or not isinstance(a, (int, np.integer)) for a in axes):
        raise TypeError(
            f"{owner}: axis must be an int or a tuple of ints, received: axis={axis!r} "
            f"of type {type(axis).__name__}"
        )
    return tuple(int(a) for a in axes) if isinstance(axis, (tuple, list)) else int(axis)
