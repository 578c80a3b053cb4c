"""Overlap losses for segmentation masks: Dice and Tversky.

Both compare soft masks through sums over ``axis``: every axis by default (one value
for the whole batch), or e.g. ``axis=(1, 2, 3)`` for one value per image. ``y_true``
is a 0/1 (or soft) mask and ``y_pred`` a probability of the same shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from torchseq import config
from torchseq.losses._inputs import check_number, prediction_pair
from torchseq.losses.loss import _BuiltinLoss

__all__ = ["Dice", "Tversky", "dice", "tversky"]

Axes = int | Sequence[int] | None


def dice(y_true: Any, y_pred: Any, axis: Axes = None) -> torch.Tensor:
    """``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + epsilon)`` over ``axis``.

    Args:
        y_true: Target mask.
        y_pred: Predicted probabilities, same shape as ``y_true``.
        axis: The axis or axes summed over; ``None`` (default) sums over all of them.

    Returns:
        The losses, with the summed axes removed (a scalar for ``axis=None``).

    Example:
        >>> dice(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 0.0]]))
        tensor(0.)
    """
    y_true, y_pred = prediction_pair(y_true, y_pred)
    dims = _dims(_check_axes(axis))
    intersection = _sum(y_true * y_pred, dims)
    total = _sum(y_true, dims) + _sum(y_pred, dims) + config.epsilon()
    return 1.0 - 2.0 * intersection / total


def tversky(
    y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5, axis: Axes = None
) -> torch.Tensor:
    """``1 - TP / (TP + alpha * missed + beta * spurious + epsilon)``, sums over ``axis``.

    ``TP = sum(y_true * y_pred)``, ``missed = sum(y_true * (1 - y_pred))`` and
    ``spurious = sum((1 - y_true) * y_pred)``. These are Keras 3's formulas; Keras's
    docstring says that ``alpha`` weighs the false positives, but in its formula (and
    here) ``alpha`` weighs the missed targets, the false negatives.

    Args:
        y_true: Target mask.
        y_pred: Predicted probabilities, same shape as ``y_true``.
        alpha: Weight of the missed targets. Defaults to ``0.5``.
        beta: Weight of the spurious predictions. Defaults to ``0.5``.
        axis: The axis or axes summed over; ``None`` (default) sums over all of them.

    Returns:
        The losses, with the summed axes removed (a scalar for ``axis=None``).
    """
    y_true, y_pred = prediction_pair(y_true, y_pred)
    dims = _dims(_check_axes(axis))
    intersection = _sum(y_true * y_pred, dims)
    missed = _sum((1.0 - y_pred) * y_true, dims)
    spurious = _sum(y_pred * (1.0 - y_true), dims)
    denominator = intersection + missed * alpha + spurious * beta + config.epsilon()
    return 1.0 - intersection / denominator


def _check_axes(axis: Any) -> Axes:
    """``None``, an int or a sequence of ints, returned unchanged (a config keeps it as given)."""
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    if axis is None or all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
        return axis
    raise TypeError(
        "axis must be None, an int or a tuple of ints, received: "
        f"axis={axis!r} of type {type(axis).__name__}"
    )


def _dims(axis: Axes) -> tuple[int, ...] | None:
    if axis is None:
        return None
    return tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)


def _sum(x: torch.Tensor, dims: tuple[int, ...] | None) -> torch.Tensor:
    return torch.sum(x) if dims is None else torch.sum(x, dim=dims)


class Dice(_BuiltinLoss):
    """Dice loss between a target mask and predicted probabilities (:func:`dice`).

    Args:
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"dice"``.
        axis: The axis or axes summed over; ``None`` (default) sums over all of them,
            giving one value for the batch. ``(1, 2, 3)`` gives one per image.
        dtype: Computation dtype; defaults to ``config.floatx()``.

    Example:
        >>> y_true = torch.tensor([[[1.0], [0.0]], [[1.0], [1.0]]])
        >>> Dice(axis=(1, 2), reduction="none")(y_true, torch.full((2, 2, 1), 0.5))
        tensor([0.5000, 0.3333])
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "dice",
        axis: Axes = None,
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=_check_axes(axis))


class Tversky(_BuiltinLoss):
    """Tversky loss, a Dice loss with separate weights on the two errors (:func:`tversky`).

    With ``alpha = beta = 0.5`` it equals the Dice loss (up to ``epsilon``).

    Args:
        alpha: Weight of the missed targets (false negatives; see :func:`tversky`).
            Defaults to ``0.5``.
        beta: Weight of the spurious predictions (false positives). Defaults to ``0.5``.
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"tversky"``.
        axis: The axis or axes summed over; ``None`` (default) sums over all of them.
        dtype: Computation dtype; defaults to ``config.floatx()``.

    Example:
        >>> loss = Tversky(alpha=0.7, beta=0.3, axis=(1, 2, 3))
    """

    def __init__(
        self,
        alpha: float = 0.5,
        beta: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "tversky",
        axis: Axes = None,
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(
            tversky,
            name=name,
            reduction=reduction,
            dtype=dtype,
            alpha=check_number("alpha", alpha),
            beta=check_number("beta", beta),
            axis=_check_axes(axis),
        )
