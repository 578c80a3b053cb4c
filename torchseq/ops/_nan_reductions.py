"""Reductions that skip NaN: ``nansum``, ``nanmean``, ``nanmax``, ``nanargmax``,
``nancumsum`` and the rest.

Integer tensors hold no NaN, so on them each is its plain reduction. A slice that is all NaN
gives NaN for ``nanmax``/``nanmin``/``nanmean``/``nanvar``/``nanstd`` and index -1 for
``nanargmax``/``nanargmin``, as in Keras.
"""

from __future__ import annotations

import torch

from torchseq.ops._convert import Axis, DTypeLike, Tensor, TensorLike, _axes, _floating, _to_tensor
from torchseq.ops._reductions import amax, amin, argmax, argmin, cumprod, cumsum, prod

__all__ = [
    "nanargmax",
    "nanargmin",
    "nancumprod",
    "nancumsum",
    "nanmax",
    "nanmean",
    "nanmin",
    "nanprod",
    "nanstd",
    "nansum",
    "nanvar",
]


def _replaced(x: Tensor, value: float) -> Tensor:
    return torch.where(torch.isnan(x), torch.full_like(x, value), x) if x.is_floating_point() else x


def _all_nan(x: Tensor, axis: Axis, keepdims: bool) -> Tensor:
    missing = torch.isnan(x)
    return torch.all(missing, dim=_axes(axis), keepdim=keepdims)


def nansum(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis``, NaN counted as zero."""
    x = _to_tensor(x)
    return torch.sum(_replaced(x, 0.0), dim=_axes(axis), keepdim=keepdims)


def nanprod(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis``, NaN counted as one."""
    return prod(_replaced(_to_tensor(x), 1.0), axis=axis, keepdims=keepdims)


def nanmean(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean of the non-NaN elements over ``axis``; integers give ``floatx`` results."""
    return torch.nanmean(_floating(x), dim=_axes(axis), keepdim=keepdims)


def nanvar(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Population variance of the non-NaN elements over ``axis``."""
    x = _floating(x)
    average = torch.nanmean(x, dim=_axes(axis), keepdim=True)
    return torch.nanmean(torch.square(x - average), dim=_axes(axis), keepdim=keepdims)


def nanstd(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Population standard deviation of the non-NaN elements over ``axis``."""
    return torch.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def _nan_extreme(x: TensorLike, axis: Axis, keepdims: bool, largest: bool) -> Tensor:
    x = _to_tensor(x)
    reduce = amax if largest else amin
    if not x.is_floating_point():
        return reduce(x, axis=axis, keepdims=keepdims)
    filled = _replaced(x, -torch.inf if largest else torch.inf)
    reduced = reduce(filled, axis=axis, keepdims=keepdims)
    return torch.where(_all_nan(x, axis, keepdims), torch.full_like(reduced, torch.nan), reduced)


def nanmax(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis`` ignoring NaN."""
    return _nan_extreme(x, axis, keepdims, largest=True)


def nanmin(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis`` ignoring NaN."""
    return _nan_extreme(x, axis, keepdims, largest=False)


def _nan_arg_extreme(x: TensorLike, axis: int | None, keepdims: bool, largest: bool) -> Tensor:
    x = _to_tensor(x)
    arg_reduce = argmax if largest else argmin
    if not x.is_floating_point():
        return arg_reduce(x, axis=axis, keepdims=keepdims)
    index = arg_reduce(_replaced(x, -torch.inf if largest else torch.inf), axis, keepdims)
    if axis is None and keepdims:
        missing = torch.isnan(x).all().reshape(index.shape)
    else:
        missing = _all_nan(x, axis, keepdims)
    return torch.where(missing, torch.full_like(index, -1), index)


def nanargmax(x: TensorLike, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index (int64) of the largest non-NaN element along ``axis``; -1 where all are NaN."""
    return _nan_arg_extreme(x, axis, keepdims, largest=True)


def nanargmin(x: TensorLike, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index (int64) of the smallest non-NaN element along ``axis``; -1 where all are NaN."""
    return _nan_arg_extreme(x, axis, keepdims, largest=False)


def nancumsum(x: TensorLike, axis: int | None = None, dtype: DTypeLike = None) -> Tensor:
    """Running sum along ``axis`` (``None``: flattened), NaN counted as zero."""
    return cumsum(_replaced(_to_tensor(x), 0.0), axis=axis, dtype=dtype)


def nancumprod(x: TensorLike, axis: int | None = None, dtype: DTypeLike = None) -> Tensor:
    """Running product along ``axis`` (``None``: flattened), NaN counted as one."""
    return cumprod(_replaced(_to_tensor(x), 1.0), axis=axis, dtype=dtype)
