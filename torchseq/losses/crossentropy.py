"""Crossentropy losses: binary, categorical, sparse categorical, and their focal variants.

Probabilities are clipped to ``[epsilon, 1 - epsilon]`` (after normalising categorical
predictions to sum to one) as Keras does; with ``from_logits=True`` the fused, stable
kernels are used (``binary_cross_entropy_with_logits``, ``log_softmax``,
``cross_entropy``). Nothing is read back to the host.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F

from torchseq import config
from torchseq.losses._inputs import (
    as_labels,
    as_prediction,
    check_axis,
    check_class_labels,
    check_number,
    prediction_pair,
)
from torchseq.losses.loss import _BuiltinLoss, _LabelLoss
from torchseq.utils.integers import is_int

__all__ = [
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "SparseCategoricalCrossentropy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "sparse_categorical_crossentropy",
]


def binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> torch.Tensor:
    """Binary crossentropy, averaged over ``axis``.

    Args:
        y_true: Targets in ``[0, 1]``, same shape as ``y_pred``.
        y_pred: Probabilities, or logits with ``from_logits=True``.
        from_logits: Whether ``y_pred`` holds logits. Defaults to ``False``.
        label_smoothing: In ``[0, 1]``; targets move towards 0.5:
            ``y * (1 - s) + 0.5 * s``. Defaults to ``0.0``.
        axis: The axis averaged over. Defaults to ``-1``.
    """
    check_axis(axis)
    y_true, y_pred = prediction_pair(y_true, y_pred)
    y_true = _smooth_binary(y_true, label_smoothing)
    _check_same_shape("binary_crossentropy", y_true, y_pred)
    if from_logits:
        losses = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    else:
        losses = _binary_crossentropy_on_probabilities(y_true, y_pred)
    return torch.mean(losses, dim=axis)


def binary_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> torch.Tensor:
    """Binary crossentropy scaled by ``(1 - p_t) ** gamma``, averaged over ``axis``.

    ``p_t`` is the probability given to the true label; with
    ``apply_class_balancing=True`` positives are also weighted by ``alpha`` and
    negatives by ``1 - alpha``. The other arguments are those of
    :func:`binary_crossentropy`.
    """
    check_axis(axis)
    y_true, y_pred = prediction_pair(y_true, y_pred)
    y_true = _smooth_binary(y_true, label_smoothing)
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    _check_same_shape("binary_focal_crossentropy", y_true, y_pred)
    crossentropy = _binary_crossentropy_on_probabilities(y_true, y_pred)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    losses = torch.pow(1.0 - p_t, gamma) * crossentropy
    if apply_class_balancing:
        losses = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * losses
    return torch.mean(losses, dim=axis)


def categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> torch.Tensor:
    """Crossentropy between one-hot (or soft) targets and class scores along ``axis``.

    Args:
        y_true: One-hot or probability targets, same shape as ``y_pred``.
        y_pred: Probabilities (renormalised to sum to one, then clipped), or logits
            with ``from_logits=True``.
        from_logits: Whether ``y_pred`` holds logits. Defaults to ``False``.
        label_smoothing: In ``[0, 1]``; ``y * (1 - s) + s / num_classes``, with the
            number of classes read from the last axis of ``y_true`` (as in Keras).
            Defaults to ``0.0``.
        axis: The class axis. Defaults to ``-1``.
    """
    check_axis(axis)
    y_true, y_pred = prediction_pair(y_true, y_pred)
    _warn_if_single_class("categorical_crossentropy", y_pred)
    y_true = _smooth_categorical(y_true, label_smoothing)
    _check_same_shape("categorical_crossentropy", y_true, y_pred)
    if from_logits and y_pred.ndim == 2 and axis in (-1, 1) and y_true.dtype == y_pred.dtype:
        return F.cross_entropy(y_pred, y_true, reduction="none")  # one fused kernel
    return -torch.sum(y_true * _log_probabilities(y_pred, from_logits, axis), dim=axis)


def categorical_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> torch.Tensor:
    """Categorical crossentropy with each class term scaled by ``alpha * (1 - p) ** gamma``.

    The other arguments are those of :func:`categorical_crossentropy`.
    """
    check_axis(axis)
    y_true, y_pred = prediction_pair(y_true, y_pred)
    _warn_if_single_class("categorical_focal_crossentropy", y_pred)
    y_true = _smooth_categorical(y_true, label_smoothing)
    if from_logits:
        y_pred = torch.softmax(y_pred, dim=axis)
    _check_same_shape("categorical_focal_crossentropy", y_true, y_pred)
    probabilities = _normalized_clipped(y_pred, axis)
    crossentropy = -y_true * torch.log(probabilities)
    weights = torch.pow(1.0 - probabilities, gamma) * alpha
    return torch.sum(weights * crossentropy, dim=axis)


def sparse_categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> torch.Tensor:
    """Crossentropy between integer class labels and class scores along ``axis``.

    Args:
        y_true: Integer labels, shaped like ``y_pred`` without its class axis (a
            trailing size-1 class axis is accepted too). Float labels must be whole
            numbers.
        y_pred: Probabilities (renormalised, then clipped), or logits with
            ``from_logits=True``.
        from_logits: Whether ``y_pred`` holds logits. Defaults to ``False``.
        ignore_class: A label whose entries get a zero loss and are left out of the
            mean: the result carries a ``_keras_mask`` that the loss classes and
            the reductions honour. Defaults to ``None``.
        axis: The class axis of ``y_pred``. Defaults to ``-1``.

    Raises:
        ValueError: For labels that are not whole numbers or not in ``[0, num_classes)``
            (checked where the labels are in host memory; on an accelerator torch's
            kernel fails instead), or shapes that do not fit.
    """
    check_axis(axis)
    y_pred = as_prediction(y_pred)
    if y_pred.ndim >= 1:
        check_class_labels(
            y_true, y_pred.shape[axis], "sparse_categorical_crossentropy",
            ignore_class=ignore_class,
        )  # fmt: skip
    labels = as_labels(y_true, y_pred.device)
    if y_pred.ndim < 1:
        raise ValueError(
            "sparse_categorical_crossentropy expects y_pred of rank >= 1, "
            f"received: y_pred.shape={tuple(y_pred.shape)}"
        )
    if labels.ndim == y_pred.ndim and labels.shape[axis] == 1:
        labels = labels.squeeze(axis)
    expected = list(y_pred.shape)
    del expected[axis]
    if list(labels.shape) != expected:
        raise ValueError(
            "sparse_categorical_crossentropy expects y_true shaped like y_pred without its "
            f"class axis ({tuple(expected)}), received: y_true.shape={tuple(labels.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}"
        )
    scores, targets = _classes_on_axis_1(y_pred, labels, axis)
    ignore_index = -100 if ignore_class is None else ignore_class
    try:
        if from_logits:
            losses = F.cross_entropy(scores, targets, reduction="none", ignore_index=ignore_index)
        else:
            log_probabilities = torch.log(_normalized_clipped(scores, 1))
            losses = F.nll_loss(
                log_probabilities, targets, reduction="none", ignore_index=ignore_index
            )
    except (IndexError, RuntimeError) as error:
        if "out of bounds" not in str(error):
            raise
        num_classes = scores.shape[1]
        outside = (targets < 0) | (targets >= num_classes)
        label = targets[outside & (targets != ignore_index)].flatten()[0].item()
        raise ValueError(
            f"sparse_categorical_crossentropy expects integer class labels in [0, {num_classes})"
            f" ({num_classes} classes in y_pred), received: label {label}"
        ) from error
    if y_pred.ndim == 1:
        losses = losses.squeeze(0)
    if ignore_class is not None:
        losses._keras_mask = labels != ignore_class
    return losses


def _classes_on_axis_1(
    y_pred: torch.Tensor, labels: torch.Tensor, axis: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """torch's ``cross_entropy``/``nll_loss`` want the classes on axis 1 and a batch axis.

    Classes moved from the last axis are copied into a contiguous tensor: on the CPU,
    ``nll_loss``'s backward for images refuses the channels-last strides of a moved
    convolution output ("grad_input must be contiguous"; Keras's torch backend stops there).
    """
    if y_pred.ndim == 1:
        return y_pred.unsqueeze(0), labels.unsqueeze(0)
    class_axis = axis % y_pred.ndim
    if class_axis == 1:
        return y_pred, labels
    return y_pred.movedim(class_axis, 1).contiguous(), labels


def _binary_crossentropy_on_probabilities(
    y_true: torch.Tensor, y_pred: torch.Tensor
) -> torch.Tensor:
    epsilon = config.epsilon()
    y_pred = torch.clamp(y_pred, epsilon, 1.0 - epsilon)
    device_type = y_pred.device.type
    # torch refuses binary_cross_entropy inside a CUDA autocast region; our inputs are
    # already in the loss dtype, so the kernel runs as it is with autocast switched off.
    if torch.is_autocast_enabled(device_type):
        with torch.autocast(device_type, enabled=False):
            return F.binary_cross_entropy(y_pred, y_true, reduction="none")
    return F.binary_cross_entropy(y_pred, y_true, reduction="none")


def _log_probabilities(y_pred: torch.Tensor, from_logits: bool, axis: int) -> torch.Tensor:
    if from_logits:
        return torch.log_softmax(y_pred, dim=axis)
    return torch.log(_normalized_clipped(y_pred, axis))


def _normalized_clipped(y_pred: torch.Tensor, axis: int) -> torch.Tensor:
    epsilon = config.epsilon()
    y_pred = y_pred / torch.sum(y_pred, dim=axis, keepdim=True)
    return torch.clamp(y_pred, epsilon, 1.0 - epsilon)


def _smooth_binary(y_true: torch.Tensor, label_smoothing: float) -> torch.Tensor:
    if not label_smoothing:
        return y_true
    return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing


def _smooth_categorical(y_true: torch.Tensor, label_smoothing: float) -> torch.Tensor:
    if not label_smoothing:
        return y_true
    return y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]


def _check_same_shape(loss_name: str, y_true: torch.Tensor, y_pred: torch.Tensor) -> None:
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{loss_name} expects y_true and y_pred of the same shape, received: "
            f"y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        )
    if y_pred.ndim < 1:
        raise ValueError(
            f"{loss_name} expects y_true and y_pred of rank >= 1, received: "
            f"y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        )


def _warn_if_single_class(loss_name: str, y_pred: torch.Tensor) -> None:
    if y_pred.ndim and y_pred.shape[-1] == 1:
        warnings.warn(
            f"{loss_name} expects y_pred of shape (batch_size, num_classes) with "
            f"num_classes > 1, received: y_pred.shape={tuple(y_pred.shape)}; with one class "
            "the loss is always 0. Use 'binary_crossentropy' for two classes.",
            UserWarning,
            stacklevel=3,
        )


def _check_options(from_logits: Any, label_smoothing: Any, axis: Any) -> dict[str, Any]:
    return {
        "from_logits": bool(from_logits),
        "label_smoothing": check_number("label_smoothing", label_smoothing, low=0.0, high=1.0),
        "axis": check_axis(axis),
    }


class BinaryCrossentropy(_BuiltinLoss):
    """Binary crossentropy (:func:`binary_crossentropy`), for 0/1 targets.

    Args:
        from_logits: Whether ``y_pred`` holds logits. Defaults to ``False``.
        label_smoothing: In ``[0, 1]``. Defaults to ``0.0``.
        axis: The axis averaged over. Defaults to ``-1``.
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"binary_crossentropy"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.

    Example:
        >>> BinaryCrossentropy(from_logits=True)(torch.tensor([[1.0]]), torch.tensor([[0.0]]))
        tensor(0.6931)
    """

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "binary_crossentropy",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(
            binary_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            **_check_options(from_logits, label_smoothing, axis),
        )


class BinaryFocalCrossentropy(_BuiltinLoss):
    """Binary focal crossentropy (:func:`binary_focal_crossentropy`).

    Args:
        apply_class_balancing: Weight positives by ``alpha``, negatives by
            ``1 - alpha``. Defaults to ``False``.
        alpha: Balancing weight in ``[0, 1]``. Defaults to ``0.25``.
        gamma: Non-negative focusing exponent. Defaults to ``2.0``.
        from_logits: Whether ``y_pred`` holds logits. Defaults to ``False``.
        label_smoothing: In ``[0, 1]``. Defaults to ``0.0``.
        axis: The axis averaged over. Defaults to ``-1``.
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"binary_focal_crossentropy"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.
    """

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "binary_focal_crossentropy",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(
            binary_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            apply_class_balancing=bool(apply_class_balancing),
            alpha=check_number("alpha", alpha, low=0.0, high=1.0),
            gamma=check_number("gamma", gamma, low=0.0),
            **_check_options(from_logits, label_smoothing, axis),
        )


class CategoricalCrossentropy(_BuiltinLoss):
    """Categorical crossentropy on one-hot targets (:func:`categorical_crossentropy`).

    For integer labels use :class:`SparseCategoricalCrossentropy`.

    Args:
        from_logits: Whether ``y_pred`` holds logits. Defaults to ``False``.
        label_smoothing: In ``[0, 1]``. Defaults to ``0.0``.
        axis: The class axis. Defaults to ``-1``.
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"categorical_crossentropy"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.
    """

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_crossentropy",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(
            categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            **_check_options(from_logits, label_smoothing, axis),
        )


class CategoricalFocalCrossentropy(_BuiltinLoss):
    """Categorical focal crossentropy (:func:`categorical_focal_crossentropy`).

    Args:
        alpha: Weight of every class term. Defaults to ``0.25``.
        gamma: Non-negative focusing exponent. Defaults to ``2.0``.
        from_logits: Whether ``y_pred`` holds logits. Defaults to ``False``.
        label_smoothing: In ``[0, 1]``. Defaults to ``0.0``.
        axis: The class axis. Defaults to ``-1``.
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"categorical_focal_crossentropy"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.
    """

    def __init__(
        self,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_focal_crossentropy",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(
            categorical_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            alpha=check_number("alpha", alpha),
            gamma=check_number("gamma", gamma, low=0.0),
            **_check_options(from_logits, label_smoothing, axis),
        )


class SparseCategoricalCrossentropy(_LabelLoss):
    """Crossentropy of integer labels and scores (:func:`sparse_categorical_crossentropy`).

    Integer targets are used as they are (Keras round-trips them through float32).
    With ``ignore_class``, ``"sum_over_batch_size"`` averages over the kept entries only.

    Args:
        from_logits: Whether ``y_pred`` holds logits. Defaults to ``False``.
        ignore_class: A label to leave out of the loss, or ``None``. Defaults to ``None``.
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        axis: The class axis of ``y_pred``. Defaults to ``-1``.
        name: Defaults to ``"sparse_categorical_crossentropy"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.

    Unlike Keras 3, ``get_config()`` includes ``axis``.
    """

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = "sum_over_batch_size",
        axis: int = -1,
        name: str | None = "sparse_categorical_crossentropy",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        if ignore_class is not None and not is_int(ignore_class):
            raise TypeError(
                f"ignore_class must be an int or None, received: ignore_class={ignore_class!r} "
                f"of type {type(ignore_class).__name__}"
            )
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=bool(from_logits),
            ignore_class=None if ignore_class is None else int(ignore_class),
            axis=check_axis(axis),
        )
