"""``check_target``: refuse, before training, a target that cannot fit its loss.

Keras finds these mistakes in the middle of the first step, with a backend message
(or not at all, when broadcasting makes the shapes fit). The checks here use shapes
only, so they cost nothing per step; the messages name both shapes and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from torchseq.losses import (
    crossentropy,
    generalized_crossentropy,
    metric_learning,
    temporal_classification,
)
from torchseq.losses.registry import (
    SHAPE_DEPENDENT_NAMES,
    builtin_function,
    crossentropy_for_shapes,
    get,
)

__all__ = ["check_label_values", "check_target"]

Shape = Sequence[int | None]

_CATEGORICAL = (
    crossentropy.categorical_crossentropy,
    crossentropy.categorical_focal_crossentropy,
)
_SPARSE = (
    crossentropy.sparse_categorical_crossentropy,
    generalized_crossentropy.categorical_generalized_cross_entropy,
)
# Targets of another kind than the predictions (label sequences, labels for embeddings):
# these functions check their ranks themselves, with their own messages.
_OWN_CHECKS = (temporal_classification.ctc, metric_learning.circle)


def check_target(
    loss: Any, y_true_shape: Shape, y_pred_shape: Shape, y_true_dtype: Any = None
) -> None:
    """Raise a ``ValueError`` if targets of this shape cannot fit ``loss``.

    Checked for the built-in losses (by name, class, instance or function); other
    losses pass unchecked.

    * categorical crossentropies need targets shaped like ``y_pred``: integer labels
      ``(n,)`` or ``(n, 1)`` against ``C > 1`` classes suggest
      ``"sparse_categorical_crossentropy"`` or ``utils.to_categorical``;
    * sparse categorical (and generalized) crossentropy need labels shaped like
      ``y_pred`` without its class axis: one-hot targets suggest
      ``"categorical_crossentropy"``;
    * CTC and Circle are left to check their own inputs;
    * every other built-in loss compares ``y_true`` and ``y_pred`` elementwise and needs
      equal shapes once a trailing size-1 axis is squeezed away, where broadcasting
      would otherwise compute something else or fail in the middle of a step.

    Args:
        loss: A loss identifier, as given to ``compile`` (``None`` passes).
        y_true_shape: The target shape, batch axis included.
        y_pred_shape: The model output shape, batch axis included (``None`` for an
            unknown size).
        y_true_dtype: The target dtype (torch, numpy or name), named in the message.

    Raises:
        ValueError: If the target cannot fit the loss.
    """
    if loss is None:
        return
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    if isinstance(loss, str) and loss.lower() in SHAPE_DEPENDENT_NAMES:
        function, options = crossentropy_for_shapes(loss, y_true_shape, y_pred_shape), {}
    else:
        function, options = builtin_function(get(loss))
    if function is None or function in _OWN_CHECKS:
        return
    target = _Target(function.__name__, y_true_shape, y_pred_shape, _dtype_name(y_true_dtype))
    if function in _CATEGORICAL:
        _check_categorical(target)
    elif function in _SPARSE:
        _check_sparse(target, options.get("axis", -1))
    else:
        _check_elementwise(target)


def check_label_values(loss: Any, y_true: torch.Tensor, y_pred_shape: Shape) -> None:
    """Raise a ``ValueError`` if a sparse loss's labels are not class indices.

    Labels must be whole numbers in ``[0, num_classes)`` (or ``ignore_class``); a float
    label such as 0.5 would be truncated and one out of range fails inside torch (on CUDA,
    as a device assert). Reads one bool from the device, so call it once per ``fit``.
    """
    if loss is None or y_true is None:
        return
    y_true_shape = tuple(y_true.shape)
    if isinstance(loss, str) and loss.lower() in SHAPE_DEPENDENT_NAMES:
        function, options = crossentropy_for_shapes(loss, y_true_shape, tuple(y_pred_shape)), {}
    else:
        function, options = builtin_function(get(loss))
    if function not in _SPARSE or not y_pred_shape:
        return
    num_classes = y_pred_shape[options.get("axis", -1)]
    if num_classes is None:
        return
    valid = (y_true >= 0) & (y_true < num_classes)
    if y_true.is_floating_point():
        valid &= y_true == torch.floor(y_true)
    if options.get("ignore_class") is not None:
        valid |= y_true == options["ignore_class"]
    if bool(valid.all()):
        return
    label = y_true[~valid].flatten()[0].item()
    raise ValueError(
        f"{function.__name__} expects integer class labels in [0, {num_classes}) "
        f"({num_classes} classes in y_pred), received: label {label!r}"
    )


class _Target:
    """The shapes under check, and the phrases the messages share."""

    def __init__(self, loss_name: str, y_true: tuple, y_pred: tuple, dtype: str) -> None:
        self.loss_name = loss_name
        self.y_true = y_true
        self.y_pred = y_pred
        self.dtype = dtype
        self.classes = y_pred[-1] if y_pred else None

    def received(self) -> str:
        dtype = f" and dtype {self.dtype}" if self.dtype else ""
        return f"received y_true of shape {self.y_true}{dtype} for y_pred of shape {self.y_pred}"

    def looks_like_labels(self) -> bool:
        """One value per sample (``(n,)`` or ``(n, 1)``) against several classes."""
        if self.classes is None or self.classes == 1:
            return False
        rank_true, rank_pred = len(self.y_true), len(self.y_pred)
        one_fewer = rank_true == rank_pred - 1 and _same(self.y_true, self.y_pred[:-1])
        size_one = rank_true == rank_pred and self.y_true[-1] == 1
        return one_fewer or size_one

    def label_fix(self) -> str:
        return (
            "Use loss='sparse_categorical_crossentropy' for integer class labels, or one-hot "
            f"encode them first: utils.to_categorical(y, num_classes={self.classes})."
        )


def _check_categorical(target: _Target) -> None:
    if _same(target.y_true, target.y_pred):
        return
    if target.looks_like_labels():
        raise ValueError(
            f"{target.loss_name} expects one-hot targets shaped like y_pred, "
            f"{target.received()}: these look like integer class labels. {target.label_fix()}"
        )
    raise ValueError(
        f"{target.loss_name} expects one-hot targets shaped like y_pred, {target.received()}."
    )


def _check_sparse(target: _Target, axis: int) -> None:
    y_true, y_pred = _squeeze_or_expand(target.y_true, target.y_pred)
    if not y_pred:
        return
    class_axis = axis % len(y_pred)
    without_classes = y_pred[:class_axis] + y_pred[class_axis + 1 :]
    if len(y_true) == len(y_pred) and y_true[class_axis] == 1:
        y_true = y_true[:class_axis] + y_true[class_axis + 1 :]
    if _same(y_true, without_classes):
        return
    if _same(target.y_true, target.y_pred) and target.classes != 1:
        raise ValueError(
            f"{target.loss_name} expects integer class labels shaped like y_pred without its "
            f"class axis, i.e. {without_classes}, {target.received()}: these look like one-hot "
            "targets. Use loss='categorical_crossentropy' for one-hot targets, or turn them "
            "into labels with argmax over the last axis."
        )
    raise ValueError(
        f"{target.loss_name} expects integer class labels shaped like y_pred without its "
        f"class axis, i.e. {without_classes} (or with a size-1 class axis), "
        f"{target.received()}."
    )


def _check_elementwise(target: _Target) -> None:
    y_true, y_pred = _squeeze_or_expand(target.y_true, target.y_pred)
    if _same(y_true, y_pred):
        return
    hint = ""
    if target.looks_like_labels():
        hint = f" These look like class labels for {target.classes} classes. {target.label_fix()}"
    raise ValueError(
        f"{target.loss_name} compares y_true and y_pred elementwise and expects the same shape "
        f"(up to a trailing axis of size 1), {target.received()}; broadcasting would pair the "
        f"wrong values.{hint}"
    )


def _squeeze_or_expand(y_true: tuple, y_pred: tuple) -> tuple[tuple, tuple]:
    """The shapes after ``squeeze_or_expand_to_same_rank``, which the losses apply first."""
    if len(y_true) == len(y_pred) + 1 and y_true[-1] == 1:
        return (y_true, y_pred + (1,)) if len(y_pred) == 1 else (y_true[:-1], y_pred)
    if len(y_pred) == len(y_true) + 1 and y_pred[-1] == 1:
        return (y_true + (1,), y_pred) if len(y_true) == 1 else (y_true, y_pred[:-1])
    return y_true, y_pred


def _same(first: tuple, second: tuple) -> bool:
    """Equal shapes, an unknown size (``None``) matching any size."""
    return len(first) == len(second) and all(
        a is None or b is None or a == b for a, b in zip(first, second)
    )


def _dtype_name(dtype: Any) -> str:
    if dtype is None:
        return ""
    return str(getattr(dtype, "name", None) or dtype).removeprefix("torch.")
