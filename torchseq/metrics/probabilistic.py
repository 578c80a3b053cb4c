"""Probabilistic metrics: the crossentropies, Kullback-Leibler divergence and Poisson.

Each is the running (weighted) mean of the loss function of the same name, so
``compile(metrics=["binary_crossentropy"])`` reports what the loss would give on the same
batches. The numbers come from :mod:`torchseq.losses`.

Example:
    >>> import torch
    >>> from torchseq import metrics
    >>> m = metrics.BinaryCrossentropy()
    >>> m(torch.tensor([[1.0], [0.0]]), torch.tensor([[0.5], [0.5]]))
    tensor(0.6931)
"""

from __future__ import annotations

from typing import Any

import torch

from torchseq.losses.crossentropy import (
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from torchseq.losses.probabilistic import kl_divergence, poisson
from torchseq.metrics.metric import (
    FixedFunctionMean,
    Mean,
    squeeze_or_expand_to_same_rank,
)

__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "KLDivergence",
    "Poisson",
    "SparseCategoricalCrossentropy",
]

DType = str | torch.dtype | None


class KLDivergence(FixedFunctionMean):
    """Mean Kullback-Leibler divergence; mirrors ``keras.metrics.KLDivergence``.

    Args:
        name: Defaults to ``"kl_divergence"``.
        dtype: Defaults to ``config.floatx()``.
    """

    def __init__(self, name: str = "kl_divergence", dtype: DType = None) -> None:
        super().__init__(kl_divergence, name=name, dtype=dtype)


class Poisson(FixedFunctionMean):
    """Mean Poisson loss; mirrors ``keras.metrics.Poisson``.

    Args:
        name: Defaults to ``"poisson"``.
        dtype: Defaults to ``config.floatx()``.
    """

    def __init__(self, name: str = "poisson", dtype: DType = None) -> None:
        super().__init__(poisson, name=name, dtype=dtype)


class BinaryCrossentropy(FixedFunctionMean):
    """Mean binary crossentropy; mirrors ``keras.metrics.BinaryCrossentropy``.

    Args:
        name: Defaults to ``"binary_crossentropy"``.
        dtype: Defaults to ``config.floatx()``.
        from_logits: Whether predictions are logits. Defaults to ``False``.
        label_smoothing: In ``[0, 1]``; targets move towards 0.5. Defaults to ``0``.
    """

    def __init__(
        self,
        name: str = "binary_crossentropy",
        dtype: DType = None,
        from_logits: bool = False,
        label_smoothing: float = 0,
    ) -> None:
        super().__init__(
            binary_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )


class CategoricalCrossentropy(FixedFunctionMean):
    """Mean categorical crossentropy; mirrors ``keras.metrics.CategoricalCrossentropy``.

    Args:
        name: Defaults to ``"categorical_crossentropy"``.
        dtype: Defaults to ``config.floatx()``.
        from_logits: Whether predictions are logits. Defaults to ``False``.
        label_smoothing: In ``[0, 1]``; one-hot targets are smoothed. Defaults to ``0``.
        axis: The class axis. Defaults to ``-1``.
    """

    def __init__(
        self,
        name: str = "categorical_crossentropy",
        dtype: DType = None,
        from_logits: bool = False,
        label_smoothing: float = 0,
        axis: int = -1,
    ) -> None:
        super().__init__(
            categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(FixedFunctionMean):
    """Mean sparse categorical crossentropy; mirrors Keras's metric of that name.

    Args:
        name: Defaults to ``"sparse_categorical_crossentropy"``.
        dtype: Defaults to ``config.floatx()``.
        from_logits: Whether predictions are logits. Defaults to ``False``.
        ignore_class: A label left out of the mean, or ``None``. Defaults to ``None``.
        axis: The class axis. Defaults to ``-1``.
    """

    def __init__(
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype: DType = None,
        from_logits: bool = False,
        ignore_class: int | None = None,
        axis: int = -1,
    ) -> None:
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        # As in Keras, ignored labels leave the mean only when the batch is weighted; an
        # unweighted batch counts them as zero losses.
        values = self._fn(self._as_tensor(y_true), self._as_tensor(y_pred), **self._fn_kwargs)
        mask = getattr(values, "_keras_mask", None)
        if mask is not None and sample_weight is not None:
            weight = self._as_tensor(sample_weight, self._compute_dtype)
            mask, weight = squeeze_or_expand_to_same_rank(mask.to(weight.dtype), weight)
            sample_weight = weight * mask
        Mean.update_state(self, values, sample_weight=sample_weight)
