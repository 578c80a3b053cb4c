"""F-scores: ``FBetaScore`` and ``F1Score``, per class or averaged.

Example:
    >>> import torch
    >>> from torchseq import metrics
    >>> m = metrics.F1Score(average="micro", threshold=0.5)
    >>> m(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[0.9, 0.2], [0.6, 0.3]]))
    tensor(0.5000)
"""

from __future__ import annotations

from typing import Any

import torch

from torchseq import config
from torchseq.metrics.metric import Metric

__all__ = ["F1Score", "FBetaScore"]

_AVERAGES = (None, "micro", "macro", "weighted")
_TP, _FP, _FN = "true_positives", "false_positives", "false_negatives"
DType = str | torch.dtype | None


class FBetaScore(Metric):
    """The F-beta score per class, or averaged; mirrors ``keras.metrics.FBetaScore``.

    ``y_true`` and ``y_pred`` are ``(batch, num_classes)``.

    Args:
        average: ``None`` (one score per class), ``"micro"`` (counts pooled over classes),
            ``"macro"`` (mean of the class scores) or ``"weighted"`` (mean weighted by
            support). Defaults to ``None``.
        beta: Weight of recall relative to precision, > 0. Defaults to ``1.0``.
        threshold: A prediction above it is positive; ``None`` takes each row's highest
            prediction(s) as positive. Defaults to ``None``.
        name: Defaults to ``"fbeta_score"``.
        dtype: Defaults to ``config.floatx()``.
    """

    def __init__(
        self,
        average: str | None = None,
        beta: float = 1.0,
        threshold: float | None = None,
        name: str = "fbeta_score",
        dtype: DType = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        if average not in _AVERAGES:
            raise ValueError(
                f"{type(self).__name__}: average must be one of {list(_AVERAGES)}, "
                f"received: average={average!r}"
            )
        if isinstance(beta, bool) or not isinstance(beta, (int, float)):
            raise TypeError(f"beta must be a number > 0, received: beta={beta!r}")
        if beta <= 0.0:
            raise ValueError(f"beta must be > 0, received: beta={beta}")
        if threshold is not None:
            if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
                raise TypeError(
                    f"threshold must be a number in (0, 1] or None, "
                    f"received: threshold={threshold!r} of type {type(threshold).__name__}"
                )
            if not 0.0 < threshold <= 1.0:
                raise ValueError(f"threshold must be in (0, 1], received: threshold={threshold}")
        self.average = average
        self.beta = float(beta)
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        for state in (_TP, _FP, _FN, "intermediate_weights"):
            self.add_variable(shape=None, name=state)
        self._built = False

    def _build(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> None:
        if y_true.ndim != 2 or y_pred.ndim != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs (batch_size, output_dim), received "
                f"shapes y_pred.shape={tuple(y_pred.shape)} and y_true.shape={tuple(y_true.shape)}"
            )
        shape = () if self.average == "micro" else (y_pred.shape[-1],)
        for state in (_TP, _FP, _FN, "intermediate_weights"):
            self._materialize(state, shape)
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = self._as_tensor(y_true, self._compute_dtype)
        y_pred = self._as_tensor(y_pred, self._compute_dtype)
        if not self._built:
            self._build(y_true, y_pred)
        if self.threshold is None:
            # The row's maximum is positive, unless the whole row is (close to) zero.
            row_max = torch.amax(y_pred, dim=-1, keepdim=True)
            predicted = (y_pred >= row_max) & (torch.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.to(self._compute_dtype)
        weight = None
        if sample_weight is not None:
            weight = self._as_tensor(sample_weight, self._compute_dtype).unsqueeze(1)

        def weighted_sum(values: torch.Tensor) -> torch.Tensor:
            if weight is not None:
                values = values * weight
            return torch.sum(values) if self.axis is None else torch.sum(values, dim=self.axis)

        self.true_positives.add_(weighted_sum(predicted * y_true))
        self.false_positives.add_(weighted_sum(predicted * (1 - y_true)))
        self.false_negatives.add_(weighted_sum((1 - predicted) * y_true))
        self.intermediate_weights.add_(weighted_sum(y_true))

    def result(self) -> torch.Tensor:
        if not self._built:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} has no result before its first "
                "update_state() call: its size comes from the first batch"
            )
        eps = config.epsilon()
        tp = self.true_positives
        precision = tp / (tp + self.false_positives + eps)
        recall = tp / (tp + self.false_negatives + eps)
        beta_squared = self.beta**2
        score = precision * recall / (beta_squared * precision + recall + eps)
        score = score * (1 + beta_squared)
        if self.average == "weighted":
            support = self.intermediate_weights
            return torch.sum(score * support / (torch.sum(support) + eps))
        if self.average is not None:
            return torch.mean(score)
        return score

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """The F1 score (F-beta with beta 1); mirrors ``keras.metrics.F1Score``.

    Args:
        average: As :class:`FBetaScore`. Defaults to ``None``.
        threshold: As :class:`FBetaScore`. Defaults to ``None``.
        name: Defaults to ``"f1_score"``.
        dtype: Defaults to ``config.floatx()``.

    Example:
        >>> m = F1Score(average="micro", threshold=0.5)
        >>> m(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[0.9, 0.2], [0.6, 0.3]]))
        tensor(0.5000)
    """

    def __init__(
        self,
        average: str | None = None,
        threshold: float | None = None,
        name: str = "f1_score",
        dtype: DType = None,
    ) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["beta"]
        return config
