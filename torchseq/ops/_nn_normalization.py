"""Normalisations as functions: ``batch_normalization``, ``layer_normalization``,
``rms_normalization`` (``keras.ops`` nn).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from torchseq.config import epsilon as default_epsilon
from torchseq.ops._convert import Tensor, TensorLike, _axes, _floating, _operands

__all__ = ["batch_normalization", "layer_normalization", "rms_normalization"]


def _sorted_axes(axis: int | Sequence[int], ndim: int, op: str) -> list[int]:
    """``axis`` as a sorted list of non-negative axes of an ``ndim``-rank tensor."""
    dims = _axes(axis)
    axes = [dims] if isinstance(dims, int) else list(dims)
    if not axes or any(not -ndim <= a < ndim for a in axes):
        raise ValueError(
            f"{op} expected axes within [{-ndim}, {ndim}) for an input of rank {ndim}, "
            f"received: axis={axis!r}"
        )
    return sorted(a % ndim for a in axes)


def _along(value: Tensor | None, x: Tensor, axes: list[int]) -> Tensor | None:
    """A per-feature ``value`` shaped to broadcast against ``x`` over ``axes``."""
    if value is None:
        return None
    value = value.to(x.dtype)
    if value.ndim == x.ndim or axes == [x.ndim - 1]:
        return value
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    return value.reshape(shape)


def _compute_dtype(x: Tensor) -> torch.dtype:
    """float32 at least: statistics in float16 lose too much."""
    return torch.promote_types(x.dtype, torch.float32)


def batch_normalization(
    x: TensorLike,
    mean: TensorLike,
    variance: TensorLike,
    axis: int,
    offset: TensorLike | None = None,
    scale: TensorLike | None = None,
    epsilon: float = 1e-3,
) -> Tensor:
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``, the statistics along ``axis``.

    Args:
        x: Input tensor.
        mean: 1-D, one value per entry of ``x``'s ``axis``.
        variance: Like ``mean``.
        axis: The feature axis of ``x``.
        offset: Optional 1-D shift (beta).
        scale: Optional 1-D factor (gamma).
        epsilon: Added to the variance (default 1e-3).
    """
    x = _floating(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]

    def per_feature(value: TensorLike | None) -> Tensor | None:
        return None if value is None else _operands(x, value)[1].to(x.dtype).reshape(shape)

    inverse = torch.rsqrt(per_feature(variance) + epsilon)
    scale, offset = per_feature(scale), per_feature(offset)
    if scale is not None:
        inverse = inverse * scale
    outputs = (x - per_feature(mean)) * inverse
    return outputs if offset is None else outputs + offset


def layer_normalization(
    x: TensorLike,
    gamma: TensorLike | None = None,
    beta: TensorLike | None = None,
    axis: int | Sequence[int] = -1,
    epsilon: float | None = None,
    rms_scaling: bool = False,
) -> Tensor:
    """Normalise ``x`` to zero mean and unit variance over ``axis``, then scale by ``gamma``
    and shift by ``beta``; mirrors ``keras.ops.layer_normalization``.

    Args:
        x: Input tensor.
        gamma: Optional scale, shaped like ``x`` over ``axis``.
        beta: Optional shift, shaped like ``gamma``.
        axis: Int or list of ints (default -1).
        epsilon: Added to the variance; default ``config.epsilon()``.
        rms_scaling: Deprecated in Keras (it divides by the standard deviation without
            centring); prefer :func:`rms_normalization`.
    """
    x = _floating(x)
    original = x.dtype
    x = x.to(_compute_dtype(x))
    eps = default_epsilon() if epsilon is None else epsilon
    axes = _sorted_axes(axis, x.ndim, "layer_normalization")
    gamma, beta = (None if v is None else _operands(x, v)[1] for v in (gamma, beta))
    if rms_scaling:
        warnings.warn(
            "layer_normalization(rms_scaling=True) is deprecated: it scales by the standard "
            "deviation, not the root mean square; use rms_normalization instead.",
            stacklevel=2,
        )
        outputs = x * torch.rsqrt(x.var(dim=axes, keepdim=True, unbiased=False) + eps)
        gamma = _along(gamma, x, axes)
        return (outputs if gamma is None else outputs * gamma).to(original)
    trailing = axes == list(range(x.ndim - len(axes), x.ndim))
    if trailing and all(v is None or v.shape == x.shape[axes[0] :] for v in (gamma, beta)):
        shape = x.shape[axes[0] :]
        outputs = F.layer_norm(
            x,
            shape,
            None if gamma is None else gamma.to(x.dtype),
            None if beta is None else beta.to(x.dtype),
            eps,
        )
        return outputs.to(original)
    variance, mean = torch.var_mean(x, dim=axes, keepdim=True, unbiased=False)
    outputs = (x - mean) * torch.rsqrt(variance + eps)
    gamma, beta = _along(gamma, x, axes), _along(beta, x, axes)
    if gamma is not None:
        outputs = outputs * gamma
    if beta is not None:
        outputs = outputs + beta
    return outputs.to(original)


def rms_normalization(
    x: TensorLike,
    scale: TensorLike | None = None,
    axis: int | Sequence[int] = -1,
    epsilon: float | None = None,
) -> Tensor:
    """``x / sqrt(mean(x**2) + epsilon) * scale``, the mean over ``axis``; mirrors
    ``keras.ops.rms_normalization``.

    Args:
        x: Input tensor.
        scale: Optional factor, shaped like ``x`` over ``axis``.
        axis: Int or list of ints (default -1).
        epsilon: Added to the mean square; default ``config.epsilon()``.
    """
    x = _floating(x)
    original = x.dtype
    x = x.to(_compute_dtype(x))
    eps = default_epsilon() if epsilon is None else epsilon
    if x.ndim == 0:
        x = x.reshape(1)
    axes = _sorted_axes(axis, x.ndim, "rms_normalization")
    outputs = x * torch.rsqrt(x.square().mean(dim=axes, keepdim=True) + eps)
    if scale is not None:
        outputs = outputs * _along(_operands(x, scale)[1], x, axes)
    return outputs.to(original)
