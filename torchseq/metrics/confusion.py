"""Confusion-matrix counts per threshold: TruePositives ... FalseNegatives, Precision, Recall.

Counts are kept per threshold, as Keras keeps them; ``AUC`` builds on the same machinery. When the thresholds are evenly spaced
over [0, 1] (AUC's default 200), predictions are dropped into buckets and the counts are a
reversed cumulative sum, as Keras does, so the values match Keras's at bucket borders too;
otherwise every prediction is compared with every threshold.

Example:
    >>> import torch
    >>> from torchseq import metrics
    >>> m = metrics.Precision()
    >>> m(torch.tensor([0.0, 1.0, 1.0, 1.0]), torch.tensor([1.0, 0.0, 1.0, 1.0]))
    tensor(0.6667)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchseq import config
from torchseq.metrics.metric import Metric, divide_no_nan, squeeze_or_expand_to_same_rank

__all__ = [
    "FalseNegatives",
    "FalsePositives",
    "Precision",
    "Recall",
    "TrueNegatives",
    "TruePositives",
]

_NEG_INF = -1e10  # Keras's threshold under top_k: every prediction kept by top_k is above it
_TP, _FP, _TN, _FN = "true_positives", "false_positives", "true_negatives", "false_negatives"
DType = str | torch.dtype | None


class _ConfusionMetric(Metric):
    """Shared machinery: thresholds, one count buffer per state, and Keras's update rule."""

    _states: tuple[str, ...] = ()

    def __init__(
        self,
        thresholds: list[float],
        *,
        evenly: bool,
        name: str | None,
        dtype: DType,
        top_k: int | None = None,
        class_id: int | None = None,
        state_shape: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.thresholds = thresholds
        self.top_k = _optional_int("top_k", top_k, minimum=1)
        self.class_id = _optional_int("class_id", class_id, minimum=0)
        self._evenly = evenly
        # Evenly spaced thresholds with end points beyond [0, 1] (AUC's) count every
        # prediction at the first threshold.
        self._with_epsilon = evenly and (thresholds[0] < 0.0 or thresholds[-1] > 1.0)
        values = torch.tensor(thresholds, dtype=torch.float64).to(self._compute_dtype)
        self.register_buffer("_threshold_values", values, persistent=False)
        shape = (len(thresholds),) if state_shape is None else state_shape
        for state in self._states:
            # A shape with an unknown size (AUC's labels) is set by the first batch.
            self.add_variable(shape=None if None in shape else shape, name=state)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        self._update_counts(y_true, y_pred, sample_weight)

    def _update_counts(
        self,
        y_true: Any,
        y_pred: Any,
        sample_weight: Any,
        *,
        multi_label: bool = False,
        label_weights: torch.Tensor | None = None,
    ) -> None:
        dtype = self._compute_dtype
        y_pred = self._as_tensor(y_pred, dtype)
        y_true = self._as_tensor(y_true, dtype)
        y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
        if sample_weight is not None:
            sample_weight = self._as_tensor(sample_weight, dtype).unsqueeze(-1)
            _, sample_weight = squeeze_or_expand_to_same_rank(
                y_true, sample_weight, expand_rank_1=False
            )
        if self.top_k is not None:
            y_pred = _keep_top_k(y_pred, self.top_k)
        if self.class_id is not None:
            if y_pred.ndim == 1:
                raise ValueError(
                    f"{type(self).__name__}: with class_id, y_pred must be 2D "
                    f"(num_samples, num_classes), received shape {tuple(y_pred.shape)}"
                )
            y_true = y_true[..., self.class_id, None]
            y_pred = y_pred[..., self.class_id, None]
        weights = _combined_weights(sample_weight, label_weights, y_pred, multi_label)
        if self._evenly:
            counts = self._bucketed_counts(y_true, y_pred, weights, multi_label)
        else:
            counts = self._compared_counts(y_true, y_pred, weights, multi_label)
        for state in self._states:
            getattr(self, state).add_(counts[state])

    def _bucketed_counts(
        self,
        y_true: torch.Tensor,
        y_pred: torch.Tensor,
        weights: torch.Tensor | None,
        multi_label: bool,
    ) -> dict[str, torch.Tensor]:
        """Counts from bucket indices: the thresholds are ``i / (n - 1)`` for ``i < n``."""
        size = len(self.thresholds)
        y_pred = torch.clamp(y_pred, 0.0, 1.0)
        y_true = (y_true != 0).to(y_pred.dtype)
        if not multi_label:
            y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
        positives = y_true if weights is None else y_true * weights
        negatives = 1.0 - y_true if weights is None else (1.0 - y_true) * weights
        # A prediction lies in bucket ceil(p * (n - 1)) - 1: above thresholds 0..bucket.
        buckets = torch.ceil(y_pred * (size - 1)) - 1
        if self._with_epsilon:
            buckets = torch.relu(buckets)
        # Bucket -1 (above no threshold) goes to slot 0, which is dropped.
        slots = buckets.to(torch.int64) + 1
        counts = {
            _TP: _reverse_cumsum(_bucket_sums(positives, slots, size)),
            _FP: _reverse_cumsum(_bucket_sums(negatives, slots, size)),
        }
        if _TN in self._states:
            counts[_TN] = torch.sum(negatives, dim=0) - counts[_FP]
        if _FN in self._states:
            counts[_FN] = torch.sum(positives, dim=0) - counts[_TP]
        return counts

    def _compared_counts(
        self,
        y_true: torch.Tensor,
        y_pred: torch.Tensor,
        weights: torch.Tensor | None,
        multi_label: bool,
    ) -> dict[str, torch.Tensor]:
        """Counts from comparing every prediction with every (arbitrary) threshold."""
        if not multi_label:
            y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
        thresholds = self._threshold_values.reshape((-1,) + (1,) * y_pred.ndim)
        predicted = y_pred.unsqueeze(0) > thresholds
        actual = (y_true != 0).unsqueeze(0)

        def count(label: torch.Tensor, prediction: torch.Tensor) -> torch.Tensor:
            both = label & prediction
            hits = both.to(y_pred.dtype) if weights is None else torch.where(both, weights, 0.0)
            return torch.sum(hits, dim=1)

        cells = {
            _TP: (actual, predicted),
            _FP: (~actual, predicted),
            _TN: (~actual, ~predicted),
            _FN: (actual, ~predicted),
        }
        return {state: count(*cells[state]) for state in self._states}

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "thresholds": self.init_thresholds}

    def _first_or_all(self, value: torch.Tensor) -> torch.Tensor:
        return value[0] if len(self.thresholds) == 1 else value


class _ConditionCount(_ConfusionMetric):
    """The weighted count of one confusion-matrix cell per threshold."""

    def __init__(
        self,
        thresholds: float | Sequence[float] | None = None,
        name: str | None = None,
        dtype: DType = None,
    ) -> None:
        parsed = _parse_thresholds(thresholds, 0.5)
        super().__init__(parsed, evenly=_evenly_spaced(parsed), name=name, dtype=dtype)
        self.init_thresholds = thresholds

    def result(self) -> torch.Tensor:
        return self._first_or_all(getattr(self, self._states[0])).clone()


class TruePositives(_ConditionCount):
    """Weighted count of true positives; mirrors ``keras.metrics.TruePositives``.

    Args:
        thresholds: A float or list of floats in [0, 1]; a prediction above one counts as
            positive. Defaults to ``0.5``. With several, ``result()`` has one count each.
        name: Defaults to ``"true_positives"``, made unique.
        dtype: Defaults to ``config.floatx()``.
    """

    _states = (_TP,)


class FalsePositives(_ConditionCount):
    """Weighted count of false positives; mirrors ``keras.metrics.FalsePositives``.

    Args: as :class:`TruePositives`.
    """

    _states = (_FP,)


class TrueNegatives(_ConditionCount):
    """Weighted count of true negatives; mirrors ``keras.metrics.TrueNegatives``.

    Args: as :class:`TruePositives`.
    """

    _states = (_TN,)


class FalseNegatives(_ConditionCount):
    """Weighted count of false negatives; mirrors ``keras.metrics.FalseNegatives``.

    Args: as :class:`TruePositives`.
    """

    _states = (_FN,)


class Precision(_ConfusionMetric):
    """``tp / (tp + fp)`` per threshold; mirrors ``keras.metrics.Precision``.

    Args:
        thresholds: A float or list of floats in [0, 1]. Defaults to ``None``: ``0.5``, or
            with ``top_k`` every top-k prediction counts as positive.
        top_k: Only the ``k`` highest predictions of each sample can be positive.
        class_id: Only this class (last axis of ``y_pred``) is counted.
        name: Defaults to ``"precision"``, made unique.
        dtype: Defaults to ``config.floatx()``.
    """

    _states = (_TP, _FP)

    def __init__(
        self,
        thresholds: float | Sequence[float] | None = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DType = None,
    ) -> None:
        default = 0.5 if top_k is None else _NEG_INF
        parsed = _parse_thresholds(thresholds, default)
        super().__init__(
            parsed,
            evenly=_evenly_spaced(parsed),
            name=name,
            dtype=dtype,
            top_k=top_k,
            class_id=class_id,
        )
        self.init_thresholds = thresholds

    def result(self) -> torch.Tensor:
        tp = self.true_positives
        return self._first_or_all(divide_no_nan(tp, tp + self.false_positives))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}


class Recall(Precision):
    """``tp / (tp + fn)`` per threshold; mirrors ``keras.metrics.Recall``.

    Args: as :class:`Precision`; ``name`` defaults to ``"recall"``, made unique.
    """

    _states = (_TP, _FN)

    def result(self) -> torch.Tensor:
        tp = self.true_positives
        return self._first_or_all(divide_no_nan(tp, tp + self.false_negatives))


def _parse_thresholds(thresholds: Any, default: float) -> list[float]:
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    invalid = [t for t in values if t is None or not 0 <= t <= 1]
    if invalid or not values:
        raise ValueError(
            f"thresholds must be a float or a non-empty list of floats in [0, 1], "
            f"received: thresholds={thresholds!r}"
        )
    return [float(t) for t in values]


def _evenly_spaced(thresholds: Sequence[float]) -> bool:
    """Whether the thresholds are ``i / (n - 1)`` for ``i`` in ``0..n-1`` (Keras's test)."""
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


def _combined_weights(
    sample_weight: torch.Tensor | None,
    label_weights: torch.Tensor | None,
    y_pred: torch.Tensor,
    multi_label: bool,
) -> torch.Tensor | None:
    """Sample and label weights broadcast to ``y_pred`` (flattened unless multi-label)."""
    weights = None
    if sample_weight is not None:
        weights = torch.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None:
        label = torch.broadcast_to(label_weights.unsqueeze(0), y_pred.shape)
        weights = label if weights is None else weights * label
    if weights is not None and not multi_label:
        weights = weights.reshape(-1)
    return weights


def _bucket_sums(values: torch.Tensor, slots: torch.Tensor, size: int) -> torch.Tensor:
    """Sum ``values`` into ``size + 1`` slots along the first axis; slot 0 is dropped."""
    sums = values.new_zeros((size + 1, *values.shape[1:]))
    sums.scatter_add_(0, slots, torch.broadcast_to(values, slots.shape))
    return sums[1:]


def _reverse_cumsum(x: torch.Tensor) -> torch.Tensor:
    return torch.flip(torch.cumsum(torch.flip(x, (0,)), dim=0), (0,))


def _keep_top_k(y_pred: torch.Tensor, k: int) -> torch.Tensor:
    """The ``k`` highest predictions of each row kept, the others set to ``-1e10``."""
    indices = torch.topk(y_pred, k, dim=-1).indices
    mask = torch.zeros_like(y_pred).scatter_(-1, indices, 1.0)
    return y_pred * mask + _NEG_INF * (1 - mask)


def _optional_int(name: str, value: Any, *, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{name} must be an integer or None, received: {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, received: {name}={value}")
    return int(value)
