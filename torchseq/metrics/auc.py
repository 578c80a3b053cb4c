"""``AUC``: the area under the ROC or precision-recall curve, from per-threshold counts.

Example:
    >>> import torch
    >>> from torchseq import metrics
    >>> m = metrics.AUC()
    >>> m(torch.tensor([0.0, 1.0, 1.0, 0.0]), torch.tensor([0.1, 0.8, 0.4, 0.6]))
    tensor(0.7500)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchseq import config
from torchseq.metrics.confusion import (
    _FN,
    _FP,
    _TN,
    _TP,
    DType,
    _ConfusionMetric,
    _evenly_spaced,
)
from torchseq.metrics.metric import Metric, divide_no_nan
from torchseq.utils.integers import is_int

__all__ = ["AUC"]

_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATION_METHODS = ("interpolation", "majoring", "minoring")


class AUC(_ConfusionMetric):
    """Area under the ROC or precision-recall curve; mirrors ``keras.metrics.AUC``.

    The curve is sampled at ``num_thresholds`` thresholds (``-epsilon``, evenly spaced
    points of (0, 1), ``1 + epsilon``) and integrated with a Riemann sum; precision-recall
    with ``"interpolation"`` uses Davis & Goadrich's interpolation, as Keras does.

    Args:
        num_thresholds: Number of thresholds, more than 1. Defaults to ``200``.
        curve: ``"ROC"``, ``"PR"`` or ``"PRGAIN"``. Defaults to ``"ROC"``.
        summation_method: ``"interpolation"``, ``"majoring"`` or ``"minoring"``.
            Defaults to ``"interpolation"``.
        name: Defaults to ``"auc"``, made unique.
        dtype: Defaults to ``config.floatx()``.
        thresholds: Explicit thresholds in (0, 1), replacing ``num_thresholds``.
        multi_label: Treat each column as a separate label and average their AUCs.
            Defaults to ``False``: all predictions form one curve.
        num_labels: Number of labels with ``multi_label``; ``None`` takes it from the
            first batch.
        label_weights: Per-label weights (of the average with ``multi_label``).
        from_logits: ``y_pred`` holds logits; a sigmoid is applied. Defaults to ``False``.
    """

    _states = (_TP, _FP, _TN, _FN)

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: DType = None,
        thresholds: Sequence[float] | None = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Sequence[float] | None = None,
        from_logits: bool = False,
    ) -> None:
        curve = _curve(curve)
        summation_method = _summation_method(summation_method)
        if num_labels and not multi_label:
            raise ValueError(
                f"AUC: num_labels is only used with multi_label=True, received: "
                f"num_labels={num_labels} with multi_label={multi_label}"
            )
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            evenly = _evenly_spaced([0.0, *inner, 1.0])
        else:
            inner = _evenly_spaced_inner(num_thresholds)
            evenly = True
        count = len(inner) + 2
        super().__init__(
            [0.0 - config.epsilon(), *inner, 1.0 + config.epsilon()],
            evenly=evenly,
            name=name,
            dtype=dtype,
            state_shape=(count, num_labels or None) if multi_label else None,
        )
        self.num_thresholds = count
        self.curve = curve
        self.summation_method = summation_method
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self._init_from_thresholds = thresholds is not None
        self._built = not (self.multi_label and not num_labels)
        weights = None
        if label_weights is not None:
            weights = torch.as_tensor(np.asarray(label_weights), dtype=self._compute_dtype)
        self.register_buffer("label_weights", weights, persistent=False)
        self._from_logits = bool(from_logits)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = self._as_tensor(y_pred, self._compute_dtype)
        if not self._built:
            if y_pred.ndim != 2:
                raise ValueError(
                    "AUC: y_pred must have rank 2 with multi_label=True, received shape "
                    f"{tuple(y_pred.shape)} of rank {y_pred.ndim}"
                )
            for state in self._states:
                self._materialize(state, (self.num_thresholds, y_pred.shape[1]))
            self._built = True
        if self._from_logits:
            y_pred = torch.sigmoid(y_pred)
        label_weights = None if self.multi_label else self.label_weights
        self._update_counts(
            y_true, y_pred, sample_weight, multi_label=self.multi_label, label_weights=label_weights
        )

    def result(self) -> torch.Tensor:
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._average_labels(self._interpolated_pr_auc())
        x, y = self._curve_points()
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        return self._average_labels((x[:-1] - x[1:]) * heights)

    def _curve_points(self) -> tuple[torch.Tensor, torch.Tensor]:
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            return divide_no_nan(fp, fp + tn), recall
        if self.curve == "PR":
            return recall, divide_no_nan(tp, tp + fp)
        # PR gain; where there are no true positives, recall gain is 0 and precision gain 1.
        scale = divide_no_nan(tp + fn, tn + fp)
        no_tp = tp == 0
        recall_gain = torch.where(no_tp, 0.0, 1.0 - scale * divide_no_nan(fn, tp))
        precision_gain = torch.where(no_tp, 1.0, 1.0 - scale * divide_no_nan(fp, tp))
        return torch.clamp(recall_gain, min=0.0), precision_gain

    def _interpolated_pr_auc(self) -> torch.Tensor:
        """Davis & Goadrich (2006): precision interpolated between the thresholds."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        delta_tp = tp[:-1] - tp[1:]
        predicted = tp + fp
        delta_predicted = predicted[:-1] - predicted[1:]
        slope = divide_no_nan(delta_tp, torch.clamp(delta_predicted, min=0.0))
        intercept = tp[1:] - slope * predicted[1:]
        both_positive = (predicted[:-1] > 0) & (predicted[1:] > 0)
        ratio = torch.where(
            both_positive,
            divide_no_nan(predicted[:-1], torch.clamp(predicted[1:], min=0.0)),
            torch.ones_like(predicted[1:]),
        )
        return divide_no_nan(
            slope * (delta_tp + intercept * torch.log(ratio)),
            torch.clamp(tp[1:] + fn[1:], min=0.0),
        )

    def _average_labels(self, terms: torch.Tensor) -> torch.Tensor:
        if not self.multi_label:
            return torch.sum(terms)
        by_label = torch.sum(terms, dim=0)
        if self.label_weights is None:
            return torch.mean(by_label)
        return divide_no_nan(
            torch.sum(by_label * self.label_weights), torch.sum(self.label_weights)
        )

    def get_config(self) -> dict[str, Any]:
        weights = self.label_weights
        config = {
            **Metric.get_config(self),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if weights is None else weights.tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _evenly_spaced_inner(num_thresholds: Any) -> list[float]:
    """AUC's default: the ``num_thresholds - 2`` evenly spaced points strictly inside (0, 1)."""
    if not is_int(num_thresholds):
        raise TypeError(
            "AUC: num_thresholds must be an integer > 1, received: "
            f"num_thresholds={num_thresholds!r} of type {type(num_thresholds).__name__}"
        )
    if num_thresholds <= 1:
        raise ValueError(
            f"AUC: num_thresholds must be an integer > 1, received: num_thresholds={num_thresholds}"
        )
    return [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]


def _curve(curve: Any) -> str:
    resolved = _CURVES.get(curve.lower()) if isinstance(curve, str) else None
    if resolved is None or curve not in (resolved, resolved.lower()):
        raise ValueError(
            f"AUC: curve must be one of {list(_CURVES.values())}, received: curve={curve!r}"
        )
    return resolved


def _summation_method(method: Any) -> str:
    if (
        not isinstance(method, str)
        or method.lower() not in _SUMMATION_METHODS
        or (method not in (method.lower(), method.lower().capitalize()))
    ):
        raise ValueError(
            f"AUC: summation_method must be one of {list(_SUMMATION_METHODS)}, "
            f"received: summation_method={method!r}"
        )
    return method.lower()
