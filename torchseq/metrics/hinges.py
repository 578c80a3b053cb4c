"""Hinge metrics for maximum-margin classifiers: hinge, squared hinge, categorical hinge.

Each is the running (weighted) mean of the loss function of the same name in
:mod:`torchseq.losses` (labels ``0``/``1`` are read as ``-1``/``1``, as Keras does).

Example:
    >>> import torch
    >>> from torchseq import metrics
    >>> metrics.Hinge()(torch.tensor([[1.0], [-1.0]]), torch.tensor([[0.5], [0.5]]))
    tensor(1.)
"""

from __future__ import annotations

import torch

from torchseq.losses.hinges import categorical_hinge, hinge, squared_hinge
from torchseq.metrics.metric import FixedFunctionMean

__all__ = ["CategoricalHinge", "Hinge", "SquaredHinge"]

DType = str | torch.dtype | None


class Hinge(FixedFunctionMean):
    """Mean hinge loss; mirrors ``keras.metrics.Hinge``.

    Args:
        name: Defaults to ``"hinge"``.
        dtype: Defaults to ``config.floatx()``.
    """

    def __init__(self, name: str = "hinge", dtype: DType = None) -> None:
        super().__init__(hinge, name=name, dtype=dtype)


class SquaredHinge(FixedFunctionMean):
    """Mean squared hinge loss; mirrors ``keras.metrics.SquaredHinge``.

    Args:
        name: Defaults to ``"squared_hinge"``.
        dtype: Defaults to ``config.floatx()``.
    """

    def __init__(self, name: str = "squared_hinge", dtype: DType = None) -> None:
        super().__init__(squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(FixedFunctionMean):
    """Mean categorical hinge loss; mirrors ``keras.metrics.CategoricalHinge``.

    Args:
        name: Defaults to ``"categorical_hinge"``.
        dtype: Defaults to ``config.floatx()``.
    """

    def __init__(self, name: str = "categorical_hinge", dtype: DType = None) -> None:
        super().__init__(categorical_hinge, name=name, dtype=dtype)
