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
    "check_number",
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
