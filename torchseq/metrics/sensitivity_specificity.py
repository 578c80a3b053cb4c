"""The best rate at a floor on another: ``SensitivityAtSpecificity`` and its three relatives.

Each keeps the four confusion counts at ``num_thresholds`` evenly spaced thresholds over
[0, 1] (the machinery of :mod:`torchseq.metrics.confusion`), computes two rates per
threshold, and returns the highest value of one among the thresholds where the other
reaches the required level (0 when none does):

- ``SensitivityAtSpecificity``: the best sensitivity where specificity >= ``specificity``;
- ``SpecificityAtSensitivity``: the best specificity where sensitivity >= ``sensitivity``;
- ``PrecisionAtRecall``: the best precision where recall >= ``recall``;
- ``RecallAtPrecision``: the best recall where precision >= ``precision``.

Example:
    >>> import torch
    >>> from torchseq import metrics
    >>> m = metrics.SensitivityAtSpecificity(0.5)
    >>> m(torch.tensor([0, 0, 0, 1, 1]), torch.tensor([0.0, 0.3, 0.8, 0.3, 0.8]))
    tensor(0.5000)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchseq.metrics.confusion import _FN, _FP, _TN, _TP, DType, _ConfusionMetric
from torchseq.metrics.metric import Metric, divide_no_nan

__all__ = [
    "PrecisionAtRecall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
]


class _RateAtRate(_ConfusionMetric):
    """Keras's ``SensitivitySpecificityBase``: counts per threshold, one rate under a floor.

    A subclass names the rate it constrains (``_constrained``, also its constructor
    argument) and the rate it maximises (``_maximised``).
    """

    _states = (_TP, _FP, _TN, _FN)
    _direction = "up"
    _constrained: str = ""
    _maximised: str = ""

    def __init__(
        self,
        value: float,
        num_thresholds: int,
        class_id: int | None,
        name: str | None,
        dtype: DType,
    ) -> None:
        owner = type(self).__name__
        value = _rate_level(owner, self._constrained, value)
        thresholds = _thresholds(owner, num_thresholds)
        super().__init__(
            thresholds, evenly=len(thresholds) > 1, name=name, dtype=dtype, class_id=class_id
        )
        self.value = value
        self.num_thresholds = num_thresholds

    def result(self) -> torch.Tensor:
        feasible = self._rate(self._constrained) >= self.value
        best = torch.max(torch.where(feasible, self._rate(self._maximised), 0.0))
        return torch.clamp(best, min=0.0)

    def _rate(self, which: str) -> torch.Tensor:
        tp = self.true_positives
        if which in ("sensitivity", "recall"):
            return divide_no_nan(tp, tp + self.false_negatives)
        if which == "precision":
            return divide_no_nan(tp, tp + self.false_positives)
        return divide_no_nan(self.true_negatives, self.true_negatives + self.false_positives)

    def get_config(self) -> dict[str, Any]:
        return {
            **Metric.get_config(self),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._constrained: self.value,
        }


class SensitivityAtSpecificity(_RateAtRate):
    """Best sensitivity where specificity >= ``specificity``; mirrors Keras's metric.

    Sensitivity is ``tp / (tp + fn)``, specificity ``tn / (tn + fp)``.

    Args:
        specificity: The required specificity, in [0, 1].
        num_thresholds: Number of thresholds, > 0: ``0``, ``1`` and evenly spaced points
            between, or ``0.5`` alone for 1. Defaults to ``200``.
        class_id: Only this class (last axis of ``y_pred``) is counted. Defaults to
            ``None``.
        name: Defaults to ``None``: ``"sensitivity_at_specificity"``, made unique.
        dtype: Defaults to ``config.floatx()``.
    """

    _constrained, _maximised = "specificity", "sensitivity"

    def __init__(
        self,
        specificity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DType = None,
    ) -> None:
        super().__init__(specificity, num_thresholds, class_id, name, dtype)
        self.specificity = self.value


class SpecificityAtSensitivity(_RateAtRate):
    """Best specificity where sensitivity >= ``sensitivity``; mirrors Keras's metric.

    Args: as :class:`SensitivityAtSpecificity`, with ``sensitivity`` (in [0, 1]) the
    required sensitivity; ``name`` defaults to ``"specificity_at_sensitivity"``.
    """

    _constrained, _maximised = "sensitivity", "specificity"

    def __init__(
        self,
        sensitivity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DType = None,
    ) -> None:
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)
        self.sensitivity = self.value


class PrecisionAtRecall(_RateAtRate):
    """Best precision where recall >= ``recall``; mirrors ``keras.metrics.PrecisionAtRecall``.

    Args: as :class:`SensitivityAtSpecificity`, with ``recall`` (in [0, 1]) the required
    recall; ``name`` defaults to ``"precision_at_recall"``.

    Example:
        >>> m = PrecisionAtRecall(0.5)
        >>> m(torch.tensor([0, 0, 0, 1, 1]), torch.tensor([0.0, 0.3, 0.8, 0.3, 0.8]))
        tensor(0.5000)
    """

    _constrained, _maximised = "recall", "precision"

    def __init__(
        self,
        recall: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DType = None,
    ) -> None:
        super().__init__(recall, num_thresholds, class_id, name, dtype)
        self.recall = self.value


class RecallAtPrecision(_RateAtRate):
    """Best recall where precision >= ``precision``; mirrors ``keras.metrics.RecallAtPrecision``.

    When no threshold reaches the precision, the result is 0.

    Args: as :class:`SensitivityAtSpecificity`, with ``precision`` (in [0, 1]) the
    required precision; ``name`` defaults to ``"recall_at_precision"``.
    """

    _constrained, _maximised = "precision", "recall"

    def __init__(
        self,
        precision: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DType = None,
    ) -> None:
        super().__init__(precision, num_thresholds, class_id, name, dtype)
        self.precision = self.value


def _rate_level(owner: str, argument: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(
            f"{owner}: {argument} must be a number in [0, 1], received: {argument}={value!r} "
            f"of type {type(value).__name__}"
        )
    if not 0 <= value <= 1:
        raise ValueError(f"{owner}: {argument} must be in [0, 1], received: {argument}={value}")
    return value


def _thresholds(owner: str, num_thresholds: Any) -> list[float]:
    """``[0.5]`` for one threshold, else 0, 1 and the evenly spaced points between."""
    if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)):
        raise TypeError(
            f"{owner}: num_thresholds must be an integer > 0, received: "
            f"num_thresholds={num_thresholds!r} of type {type(num_thresholds).__name__}"
        )
    if num_thresholds <= 0:
        raise ValueError(
            f"{owner}: num_thresholds must be an integer > 0, received: "
            f"num_thresholds={num_thresholds}"
        )
    if num_thresholds == 1:
        return [0.5]
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0, *inner, 1.0]
