"""Conversion of loss inputs and validation of loss options, shared by the loss modules."""

from __future__ import annotations

import math
from typing import Any

import torch

from torchseq import config

__all__ = [
    "as_labels",
    "as_prediction",
    "as_tensor",
    "check_axis",
    "check_class_labels",
    "check_number",
    "class_label_error",
    "explain_shape_error",
    "prediction_pair",
]


def as_tensor(x: Any, dtype: torch.dtype, device: torch.device | None = None) -> torch.Tensor:
    """``x`` as a tensor of ``dtype`` (on ``device`` when given); a matching tensor as is."""
    if isinstance(x, torch.Tensor):
        if x.dtype == dtype and (device is None or x.device == device):
            return x
        return x.to(device=device, dtype=dtype)
    if isinstance(x, (int, float)) and device is not None:
        return torch.full((), x, dtype=dtype, device=device)  # a fill, not a host-to-device copy
    return torch.as_tensor(x, dtype=dtype, device=device)


def as_prediction(y_pred: Any) -> torch.Tensor:
    """``y_pred`` as a tensor; arrays of integers become ``config.floatx()``."""
    if isinstance(y_pred, torch.Tensor):
        return y_pred
    y_pred = torch.as_tensor(y_pred)
    return y_pred if y_pred.is_floating_point() else y_pred.to(config.standardize_dtype(None))


def as_labels(y_true: Any, device: torch.device) -> torch.Tensor:
    """int64 labels on ``device``, as torch's kernels take them; float labels are truncated."""
    labels = y_true if isinstance(y_true, torch.Tensor) else torch.as_tensor(y_true)
    return labels.to(device=device, dtype=torch.long)


def check_class_labels(
    y_true: Any, num_classes: int, what: str, *, ignore_class: int | None = None
) -> None:
    """Refuse labels that are not whole numbers, or not in ``[0, num_classes)``.

    Only where checking is cheap and reads nothing back from a device: labels given as
    arrays or Python numbers, and float labels in a CPU tensor, outside
    ``torch.compile``. Integer tensors are left to the kernel (whose out-of-range error
    the caller explains on the CPU; on an accelerator it fails there), so a training
    step never waits on a check.

    Args:
        y_true: The labels as given.
        num_classes: The number of classes in ``y_pred``.
        what: The loss or metric, for the message.
        ignore_class: A label allowed outside the range (it is masked out).

    Raises:
        ValueError: Naming the first bad label, the number of classes and ``what``.
    """
    if torch.compiler.is_compiling():
        return
    if isinstance(y_true, torch.Tensor):
        if y_true.device.type != "cpu" or not y_true.is_floating_point():
            return
        labels = y_true.detach()
    else:
        try:
            labels = torch.as_tensor(y_true)
        except (TypeError, ValueError, RuntimeError):
            return  # not numbers: the conversion that follows says so
    if labels.numel() == 0 or labels.dtype == torch.bool or labels.is_complex():
        return
    if labels.is_floating_point():
        fractional = labels[labels != torch.floor(labels)]
        if fractional.numel():
            raise ValueError(
                f"{what} expects integer class labels, received: label {fractional[0].item()} "
                "(a float that is not a whole number; class labels are not truncated)"
            )
    error = class_label_error(labels, num_classes, what, ignore_class=ignore_class)
    if error is not None:
        raise error


def class_label_error(
    labels: torch.Tensor, num_classes: int, what: str, *, ignore_class: int | None = None
) -> ValueError | None:
    """The error for the first label outside ``[0, num_classes)`` (reads ``labels``)."""
    outside = (labels < 0) | (labels >= num_classes)
    if ignore_class is not None:
        outside &= labels != ignore_class
    found = labels[outside]
    if not found.numel():
        return None
    label = found[0].item()
    label = int(label) if float(label).is_integer() else label
    return ValueError(
        f"{what} expects integer class labels in [0, {num_classes}) ({num_classes} classes "
        f"in y_pred), received: label {label}"
    )


def prediction_pair(y_true: Any, y_pred: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Both as tensors, ``y_true`` cast to ``y_pred``'s dtype and device (the function forms)."""
    y_pred = as_prediction(y_pred)
    return as_tensor(y_true, y_pred.dtype, y_pred.device), y_pred


def check_axis(axis: Any) -> int:
    """An int axis; ``bool`` is refused even though it is an int."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(
            f"axis must be an int, received: axis={axis!r} of type {type(axis).__name__}"
        )
    return axis


def explain_shape_error(what: str, y_true: Any, y_pred: Any, error: RuntimeError) -> None:
    """Raise a ``ValueError`` naming ``what`` and both shapes when torch's ``error`` came
    from targets and predictions whose shapes do not broadcast; otherwise return."""
    shapes = [tuple(getattr(value, "shape", ())) for value in (y_true, y_pred)]
    try:
        torch.broadcast_shapes(*shapes)
    except RuntimeError:
        raise ValueError(
            f"{what} expects y_true and y_pred of the same shape (or shapes that broadcast "
            f"together), received: y_true.shape={shapes[0]}, y_pred.shape={shapes[1]}"
        ) from error


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """A real number within ``[low, high]``; either end is open without its ``*_inclusive``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"{name} must be a number, received: {name}={value!r} of type {type(value).__name__}"
        )
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high or math.isnan(value):
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        bounds = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise ValueError(f"{name} must be in {bounds}, received: {name}={value}")
    return value
