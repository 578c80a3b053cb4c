"""Reductions over axes, sorting, cumulative ops, ``moments`` and ``top_k``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from torchseq.ops._convert import (
    Axis,
    DTypeLike,
    Tensor,
    TensorLike,
    _axes,
    _flat_or_along,
    _floating,
    _to_tensor,
    _torch_dtype,
)

__all__ = [
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "argsort",
    "count_nonzero",
    "cumprod",
    "cumsum",
    "in_top_k",
    "logsumexp",
    "max",
    "mean",
    "min",
    "moments",
    "prod",
    "sort",
    "std",
    "sum",
    "top_k",
    "var",
]


def sum(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (``None``: all elements)."""
    return torch.sum(_to_tensor(x), dim=_axes(axis), keepdim=keepdims)


def mean(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis``; integers give ``floatx`` results."""
    return torch.mean(_floating(x), dim=_axes(axis), keepdim=keepdims)


def _with_initial(reduced: Tensor, initial: float | None, combine: Callable[..., Tensor]) -> Tensor:
    if initial is None:
        return reduced
    return combine(reduced, torch.tensor(initial, dtype=reduced.dtype, device=reduced.device))


def max(
    x: TensorLike, axis: Axis = None, keepdims: bool = False, initial: float | None = None
) -> Tensor:
    """Maximum over ``axis``, no smaller than ``initial`` when given."""
    reduced = amax(x, axis=axis, keepdims=keepdims)
    return _with_initial(reduced, initial, torch.maximum)


def min(
    x: TensorLike, axis: Axis = None, keepdims: bool = False, initial: float | None = None
) -> Tensor:
    """Minimum over ``axis``, no larger than ``initial`` when given."""
    reduced = amin(x, axis=axis, keepdims=keepdims)
    return _with_initial(reduced, initial, torch.minimum)


def amax(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis`` (``None``: all elements)."""
    return torch.amax(_to_tensor(x), dim=() if axis is None else _axes(axis), keepdim=keepdims)


def amin(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis`` (``None``: all elements)."""
    return torch.amin(_to_tensor(x), dim=() if axis is None else _axes(axis), keepdim=keepdims)


def prod(
    x: TensorLike, axis: Axis = None, keepdims: bool = False, dtype: DTypeLike = None
) -> Tensor:
    """Product over ``axis`` (``None``: all elements)."""
    x = _to_tensor(x)
    x = x if dtype is None else x.to(_torch_dtype(dtype))
    axis = _axes(axis)
    axes = tuple(range(x.ndim)) if axis is None else (axis,) if isinstance(axis, int) else axis
    for a in sorted((a % x.ndim for a in axes), reverse=True):
        x = torch.prod(x, dim=a, keepdim=keepdims)
    return x


def var(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Population variance (no Bessel correction, like numpy and Keras)."""
    return torch.var(_floating(x), dim=_axes(axis), correction=0, keepdim=keepdims)


def std(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Population standard deviation."""
    return torch.std(_floating(x), dim=_axes(axis), correction=0, keepdim=keepdims)


def _arg_reduce(
    fn: Callable[..., Tensor], x: TensorLike, axis: int | None, keepdims: bool
) -> Tensor:
    x = _to_tensor(x)
    if axis is not None:
        return fn(x, dim=axis, keepdim=keepdims)
    flat = fn(x.reshape(-1))
    return flat.reshape((1,) * x.ndim) if keepdims else flat


def argmax(x: TensorLike, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index (int64) of the largest element along ``axis`` (``None``: flattened)."""
    return _arg_reduce(torch.argmax, x, axis, keepdims)


def argmin(x: TensorLike, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index (int64) of the smallest element along ``axis`` (``None``: flattened)."""
    return _arg_reduce(torch.argmin, x, axis, keepdims)


def argsort(x: TensorLike, axis: int | None = -1) -> Tensor:
    """Indices that sort ``x`` along ``axis``, stably (``None``: flattened)."""
    x, axis = _flat_or_along(x, axis)
    return torch.argsort(x, dim=axis, stable=True)


def sort(x: TensorLike, axis: int | None = -1) -> Tensor:
    """``x`` sorted along ``axis`` (``None``: flattened)."""
    x, axis = _flat_or_along(x, axis)
    return torch.sort(x, dim=axis, stable=True).values


def cumsum(x: TensorLike, axis: int | None = None, dtype: DTypeLike = None) -> Tensor:
    """Running sum along ``axis`` (``None``: flattened)."""
    x, axis = _flat_or_along(x, axis)
    return torch.cumsum(x, dim=axis, dtype=None if dtype is None else _torch_dtype(dtype))


def cumprod(x: TensorLike, axis: int | None = None, dtype: DTypeLike = None) -> Tensor:
    """Running product along ``axis`` (``None``: flattened)."""
    x, axis = _flat_or_along(x, axis)
    return torch.cumprod(x, dim=axis, dtype=None if dtype is None else _torch_dtype(dtype))


def all(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Whether every element along ``axis`` is true."""
    return torch.all(_to_tensor(x), dim=_axes(axis), keepdim=keepdims)


def any(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Whether some element along ``axis`` is true."""
    return torch.any(_to_tensor(x), dim=_axes(axis), keepdim=keepdims)


def logsumexp(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, computed stably."""
    x = _floating(x)
    return torch.logsumexp(
        x, dim=tuple(range(x.ndim)) if axis is None else _axes(axis), keepdim=keepdims
    )


def count_nonzero(x: TensorLike, axis: Axis = None) -> Tensor:
    """Number of non-zero elements along ``axis``."""
    return torch.count_nonzero(_to_tensor(x), dim=_axes(axis))


def moments(
    x: TensorLike, axes: Sequence[int] | int, keepdims: bool = False, synchronized: bool = False
) -> tuple[Tensor, Tensor]:
    """Mean and (population) variance of ``x`` over ``axes``.

    float16 inputs are reduced in float32 and cast back. ``synchronized`` (a
    cross-replica reduction in Keras) is not supported.
    """
    if synchronized:
        raise NotImplementedError("moments does not support synchronized=True on torch")
    x = _floating(x)
    compute = torch.float32 if x.dtype == torch.float16 else x.dtype
    variance, average = torch.var_mean(
        x.to(compute), dim=_axes(axes), correction=0, keepdim=keepdims
    )
    return average.to(x.dtype), variance.to(x.dtype)


def top_k(x: TensorLike, k: int, sorted: bool = True) -> tuple[Tensor, Tensor]:
    """The ``k`` largest values along the last axis and their indices, as ``(values, indices)``."""
    return torch.topk(_to_tensor(x), k, sorted=sorted)


def in_top_k(targets: TensorLike, predictions: TensorLike, k: int) -> Tensor:
    """Whether each target class is among the ``k`` highest predictions of its row (ties
    with the ``k``-th value count as in).

    Args:
        targets: Integer class indices ``(batch,)``.
        predictions: Scores ``(batch, classes)``.
        k: How many top predictions to look at.
    """
    predictions = _to_tensor(predictions)
    targets = _to_tensor(targets, dtype=torch.int64, device=predictions.device)
    kth_largest = torch.topk(predictions, k, dim=-1).values[..., -1:]
    picked = torch.take_along_dim(predictions, targets[..., None], dim=-1)
    return (picked >= kth_largest)[..., 0]
