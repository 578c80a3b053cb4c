"""Activations, ``one_hot`` and the cross-entropies (``keras.ops`` nn)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from torchseq.config import epsilon
from torchseq.ops._convert import (
    Axis,
    DTypeLike,
    Tensor,
    TensorLike,
    _axes,
    _floating,
    _operands,
    _promoted,
    _to_tensor,
    _torch_dtype,
)

__all__ = [
    "binary_crossentropy",
    "categorical_crossentropy",
    "elu",
    "gelu",
    "hard_sigmoid",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "multi_hot",
    "one_hot",
    "polar",
    "psnr",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "sparse_categorical_crossentropy",
    "swish",
]


def sigmoid(x: TensorLike) -> Tensor:
    """``1 / (1 + exp(-x))``."""
    return torch.sigmoid(_floating(x))


def relu(x: TensorLike) -> Tensor:
    """``max(x, 0)``."""
    return torch.relu(_to_tensor(x))


def relu6(x: TensorLike) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return F.relu6(_floating(x))


def leaky_relu(x: TensorLike, negative_slope: float = 0.2) -> Tensor:
    """``x`` for positive inputs, ``negative_slope * x`` otherwise (Keras default 0.2)."""
    return F.leaky_relu(_floating(x), negative_slope)


def elu(x: TensorLike, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit."""
    return F.elu(_floating(x), alpha)


def selu(x: TensorLike) -> Tensor:
    """Scaled exponential linear unit."""
    return F.selu(_floating(x))


def _over_axes(fn: Callable[..., Tensor], x: Tensor, axis: Axis) -> Tensor:
    """Apply a ``dim=-1`` normaliser (softmax, log_softmax) jointly over ``axis``."""
    if not isinstance(axis, int):
        axis = _axes(axis)
    if isinstance(axis, int):
        return fn(x, dim=axis)
    axes = list(range(x.ndim)) if axis is None else [a % x.ndim for a in axis]
    last = list(range(x.ndim - len(axes), x.ndim))
    moved = torch.movedim(x, axes, last)
    out = fn(moved.reshape(moved.shape[: x.ndim - len(axes)] + (-1,)), dim=-1)
    return torch.movedim(out.reshape(moved.shape), last, axes)


def softmax(x: TensorLike, axis: Axis = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis`` (``None``: over all elements)."""
    return _over_axes(torch.softmax, _floating(x), axis)


def log_softmax(x: TensorLike, axis: Axis = -1) -> Tensor:
    """``log(softmax(x))``, computed stably."""
    return _over_axes(torch.log_softmax, _floating(x), axis)


def softplus(x: TensorLike) -> Tensor:
    """``log(1 + exp(x))``."""
    return F.softplus(_floating(x))


def softsign(x: TensorLike) -> Tensor:
    """``x / (1 + |x|)``."""
    return F.softsign(_floating(x))


def gelu(x: TensorLike, approximate: bool = True) -> Tensor:
    """Gaussian error linear unit; Keras defaults to the tanh approximation."""
    return F.gelu(_floating(x), approximate="tanh" if approximate else "none")


def silu(x: TensorLike) -> Tensor:
    """``x * sigmoid(x)`` (also called swish)."""
    return F.silu(_floating(x))


swish = silu


def hard_sigmoid(x: TensorLike) -> Tensor:
    """``relu6(x + 3) / 6``."""
    return F.hardsigmoid(_floating(x))


def log_sigmoid(x: TensorLike) -> Tensor:
    """``log(sigmoid(x))``, computed stably."""
    return F.logsigmoid(_floating(x))


def one_hot(
    x: TensorLike, num_classes: int, axis: int = -1, dtype: DTypeLike = None, sparse: bool = False
) -> Tensor:
    """One-hot encode integer labels; the class axis goes to ``axis``.

    Negative labels give all-zero rows, as in Keras. ``dtype`` defaults to ``floatx()``.
    """
    if sparse:
        raise ValueError(
            "one_hot expected sparse=False (torch has no sparse one-hot), received: True"
        )
    labels = _to_tensor(x, dtype=torch.int64)
    encoded = F.one_hot(labels.clamp(min=0), num_classes) * (labels >= 0).unsqueeze(-1)
    return torch.movedim(encoded.to(_torch_dtype(dtype)), -1, axis)


def multi_hot(
    inputs: TensorLike,
    num_classes: int | None = None,
    axis: int = -1,
    dtype: DTypeLike = None,
    sparse: bool = False,
    **kwargs: int,
) -> Tensor:
    """Multi-hot encode integer labels: 1 for each class present in a sample.

    A 2-D (or higher) input holds one sample per row; a 1-D input is one sample. Negative
    labels are ignored. ``num_tokens=`` is accepted for ``num_classes``, as in Keras.

    Example:

    >>> ops.multi_hot([[0, 2], [1, 1]], 3)
    tensor([[1., 0., 1.],
            [0., 1., 0.]])
    """
    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if kwargs:
        raise TypeError(f"multi_hot got unexpected arguments: {sorted(kwargs)}")
    if num_classes is None:
        raise ValueError("multi_hot expected num_classes, received: num_classes=None")
    encoded = one_hot(inputs, num_classes, axis=axis, dtype=dtype, sparse=sparse)
    return encoded.amax(dim=1 if encoded.ndim > 2 else 0)


def polar(abs_: TensorLike, angle: TensorLike) -> Tensor:
    """The complex numbers ``abs_ * (cos(angle) + i * sin(angle))``."""
    magnitude, angle = _promoted(_floating(abs_), _floating(angle))
    return torch.polar(magnitude, angle)


def psnr(x1: TensorLike, x2: TensorLike, max_val: float) -> Tensor:
    """Peak signal-to-noise ratio in dB: ``20 log10(max_val) - 10 log10(mean((x1 - x2)**2))``.

    Args:
        x1: Tensor (e.g. an image or a batch of images).
        x2: Tensor of the same shape.
        max_val: The largest possible value of the signal (1.0 or 255 for images).
    """
    x1, x2 = _promoted(_floating(x1), _floating(x2))
    if x1.shape != x2.shape:
        raise ValueError(
            "psnr expected x1 and x2 to have the same shape, received: "
            f"x1.shape={tuple(x1.shape)}, x2.shape={tuple(x2.shape)}"
        )
    mse = (x1 - x2).square().mean()
    peak = torch.as_tensor(max_val, dtype=x1.dtype, device=x1.device)
    return 20 * torch.log10(peak) - 10 * torch.log10(mse)


def _check_same_shape(target: Tensor, output: Tensor) -> None:
    if target.shape != output.shape:
        raise ValueError(
            "Expected target and output to have the same shape, received: "
            f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )


def _clipped_log(probabilities: Tensor) -> Tensor:
    fuzz = epsilon()
    return torch.log(probabilities.clamp(fuzz, 1.0 - fuzz))


def categorical_crossentropy(
    target: TensorLike, output: TensorLike, from_logits: bool = False, axis: int = -1
) -> Tensor:
    """Cross-entropy between one-hot ``target`` and predictions, reduced over ``axis``.

    Probabilities (``from_logits=False``) are renormalised to sum to one, then
    clipped to ``[epsilon, 1 - epsilon]`` before the log, as Keras does.
    """
    target, output = _promoted(target, _floating(output))
    _check_same_shape(target, output)
    if from_logits:
        log_prob = torch.log_softmax(output, dim=axis)
    else:
        log_prob = _clipped_log(output / output.sum(dim=axis, keepdim=True))
    return -(target * log_prob).sum(dim=axis)


def sparse_categorical_crossentropy(
    target: TensorLike, output: TensorLike, from_logits: bool = False, axis: int = -1
) -> Tensor:
    """Cross-entropy between integer labels ``target`` and predictions over ``axis``.

    A trailing size-1 axis on ``target`` is dropped, as in Keras.
    """
    labels, output = _operands(target, _floating(output))
    labels = labels.to(torch.int64)
    if labels.ndim == output.ndim and labels.shape[axis] == 1:
        labels = labels.squeeze(axis)
    log_prob = (
        output.log_softmax(dim=axis)
        if from_logits
        else _clipped_log(output / output.sum(dim=axis, keepdim=True))
    )
    log_prob = torch.movedim(log_prob, axis, -1)
    if labels.shape != log_prob.shape[:-1]:
        raise ValueError(
            "Expected target to have the shape of output without its class axis, received: "
            f"target.shape={tuple(labels.shape)}, output.shape={tuple(output.shape)}"
        )
    return -torch.take_along_dim(log_prob, labels.unsqueeze(-1), dim=-1).squeeze(-1)


def binary_crossentropy(
    target: TensorLike, output: TensorLike, from_logits: bool = False
) -> Tensor:
    """Element-wise binary cross-entropy; probabilities are clipped to ``[eps, 1 - eps]``."""
    target, output = _promoted(target, _floating(output))
    _check_same_shape(target, output)
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    fuzz = epsilon()
    output = output.clamp(fuzz, 1.0 - fuzz)
    return -(target * torch.log(output) + (1.0 - target) * torch.log1p(-output))
