"""Order statistics and summaries: ``quantile``/``percentile``/``median`` (and their NaN-skipping
forms), ``average``, ``ptp``, ``histogram``, ``bincount`` and ``corrcoef``."""

from __future__ import annotations

import builtins
from collections.abc import Callable

import torch

from torchseq.ops._convert import (
    Axis,
    Tensor,
    TensorLike,
    _axes,
    _floating,
    _operands,
    _to_tensor,
)
from torchseq.utils.integers import is_int

__all__ = [
    "average",
    "bincount",
    "corrcoef",
    "histogram",
    "median",
    "nanmedian",
    "nanpercentile",
    "nanquantile",
    "percentile",
    "ptp",
    "quantile",
]

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _normalized_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axis = _axes(axis)
    axes = (axis,) if isinstance(axis, int) else axis
    return tuple(sorted(a % builtins.max(ndim, 1) for a in axes))


def _quantiles(
    function: Callable[..., Tensor],
    name: str,
    x: TensorLike,
    q: TensorLike,
    axis: Axis,
    method: str,
    keepdims: bool,
) -> Tensor:
    """Quantiles over several axes at once: they are moved last and merged into one."""
    if method not in _METHODS:
        raise ValueError(f"{name} expected method to be one of {_METHODS}, received: method={method!r}")
    x = _floating(x)
    compute = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype
    q = _to_tensor(q, dtype=compute, device=x.device)
    axes = _normalized_axes(axis, x.ndim)
    kept = [d for d in range(x.ndim) if d not in axes]
    merged = x.to(compute).permute(*kept, *axes).reshape([x.shape[d] for d in kept] + [-1])
    result = function(merged, q, dim=-1, interpolation=method)
    if keepdims:
        reduced = [1 if d in axes else x.shape[d] for d in range(x.ndim)]
        result = result.reshape(tuple(q.shape) + tuple(reduced))
    return result.to(x.dtype)


def quantile(
    x: TensorLike, q: TensorLike, axis: Axis = None, method: str = "linear", keepdims: bool = False
) -> Tensor:
    """The ``q``-th quantiles (``q`` in ``[0, 1]``) over ``axis`` (``None``: all elements).

    Args:
        x: Input tensor.
        q: A quantile or a 1-D tensor of them; several put a leading axis on the result.
        axis: Axis or axes to reduce. Defaults to ``None``.
        method: ``"linear"`` (default), ``"lower"``, ``"higher"``, ``"midpoint"`` or
            ``"nearest"``: how to pick between the two nearest data points.
        keepdims: Keep the reduced axes with size 1. Defaults to ``False``.
    """
    return _quantiles(torch.quantile, "quantile", x, q, axis, method, keepdims)


def nanquantile(
    x: TensorLike, q: TensorLike, axis: Axis = None, method: str = "linear", keepdims: bool = False
) -> Tensor:
    """``quantile`` of the non-NaN elements."""
    return _quantiles(torch.nanquantile, "nanquantile", x, q, axis, method, keepdims)


def percentile(
    x: TensorLike, q: TensorLike, axis: Axis = None, method: str = "linear", keepdims: bool = False
) -> Tensor:
    """``quantile`` with ``q`` in percent (``[0, 100]``)."""
    return _quantiles(torch.quantile, "percentile", x, _floating(q) / 100, axis, method, keepdims)


def nanpercentile(
    x: TensorLike, q: TensorLike, axis: Axis = None, method: str = "linear", keepdims: bool = False
) -> Tensor:
    """``percentile`` of the non-NaN elements."""
    return _quantiles(
        torch.nanquantile, "nanpercentile", x, _floating(q) / 100, axis, method, keepdims
    )


def median(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The median over ``axis`` (the mean of the middle two for an even count)."""
    return _quantiles(torch.quantile, "median", x, 0.5, axis, "linear", keepdims)


def nanmedian(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The median of the non-NaN elements over ``axis``."""
    return _quantiles(torch.nanquantile, "nanmedian", x, 0.5, axis, "linear", keepdims)


def average(x: TensorLike, axis: Axis = None, weights: TensorLike | None = None) -> Tensor:
    """Weighted mean over ``axis``.

    Args:
        x: Input tensor.
        axis: Axis or axes to average over. Defaults to ``None`` (all elements).
        weights: ``None`` (equal weights), a tensor of ``x``'s shape, or a 1-D tensor of
            weights along a single ``axis``.
    """
    x, axis = _floating(x), _axes(axis)
    if weights is None:
        return torch.mean(x, dim=axis)
    (weights,) = _operands(x, weights)[1:]
    if weights.ndim == 1 and x.ndim > 1 and isinstance(axis, int):
        weights = weights.reshape([-1 if d == axis % x.ndim else 1 for d in range(x.ndim)])
    dtype = torch.promote_types(x.dtype, weights.dtype)
    x, weights = x.to(dtype), torch.broadcast_to(weights.to(dtype), x.shape)
    return torch.sum(x * weights, dim=axis) / torch.sum(weights, dim=axis)


def ptp(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Peak to peak: maximum minus minimum over ``axis``."""
    x = _to_tensor(x)
    dims = () if axis is None else _axes(axis)
    return torch.amax(x, dim=dims, keepdim=keepdims) - torch.amin(x, dim=dims, keepdim=keepdims)


def histogram(
    x: TensorLike, bins: int = 10, range: tuple[float, float] | None = None
) -> tuple[Tensor, Tensor]:
    """Counts of the values of ``x`` (flattened) in ``bins`` equal bins, and the bin edges.

    Args:
        x: Input tensor.
        bins: Number of bins. Defaults to 10.
        range: ``(low, high)``; values outside are left out. Defaults to the data's range.

    Returns:
        ``(counts, edges)``: ``bins`` counts (in ``x``'s float dtype) and ``bins + 1`` edges.
    """
    if not is_int(bins) or bins < 1:
        raise ValueError(f"histogram expected bins to be a positive int, received: bins={bins!r}")
    bins = int(bins)
    x = _floating(x).reshape(-1)
    if range is None:
        low, high = (float(x.min()), float(x.max())) if x.numel() else (0.0, 1.0)
    else:
        low, high = (float(v) for v in range)
    if low == high:
        low, high = low - 0.5, high + 0.5
    counts = torch.histc(x, bins=bins, min=low, max=high)
    edges = torch.linspace(low, high, bins + 1, dtype=x.dtype, device=x.device)
    return counts, edges


def bincount(
    x: TensorLike, weights: TensorLike | None = None, minlength: int = 0, sparse: bool = False
) -> Tensor:
    """How often each non-negative integer occurs in ``x`` (per row for a 2-D ``x``).

    Args:
        x: 1-D or 2-D tensor of non-negative integers.
        weights: Optional weights of ``x``'s shape, summed instead of counting ones.
        minlength: The least length of the result's last axis. Defaults to 0.
        sparse: Must stay ``False`` (torchseq returns dense tensors).

    Returns:
        Counts (int64) or summed weights, of length ``max(x) + 1`` or ``minlength``.
    """
    if sparse:
        raise ValueError("bincount supports only sparse=False, received: sparse=True")
    x = _to_tensor(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"bincount expected a 1-D or 2-D tensor, received: shape {tuple(x.shape)}")
    x = x.to(torch.int64)
    length = builtins.max(int(minlength), int(x.max()) + 1 if x.numel() else 0)
    values = torch.ones_like(x) if weights is None else _operands(x, weights)[1]
    rows = x.reshape(-1, x.shape[-1])
    counts = torch.zeros((rows.shape[0], length), dtype=values.dtype, device=x.device)
    counts.scatter_add_(1, rows, values.reshape(rows.shape))
    return counts.reshape(x.shape[:-1] + (length,))


def corrcoef(x: TensorLike) -> Tensor:
    """Pearson correlation coefficients between the rows of ``x`` (variables in rows)."""
    return torch.corrcoef(_floating(x))
