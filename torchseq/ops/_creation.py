"""Tensor creation: ``ones``, ``zeros``, ``full``, ``eye``, ``arange``, ``linspace`` and ``*_like``."""

from __future__ import annotations

import builtins

import torch

from torchseq.ops._convert import (
    DTypeLike,
    ShapeLike,
    Tensor,
    TensorLike,
    _floatx,
    _operands,
    _shape,
    _to_tensor,
    _torch_dtype,
)

__all__ = [
    "arange",
    "eye",
    "full",
    "full_like",
    "identity",
    "linspace",
    "ones",
    "ones_like",
    "zeros",
    "zeros_like",
]


def ones(shape: ShapeLike, dtype: DTypeLike = None) -> Tensor:
    """A tensor of ones; ``dtype`` defaults to ``floatx()``."""
    return torch.ones(_shape(shape), dtype=_torch_dtype(dtype))


def zeros(shape: ShapeLike, dtype: DTypeLike = None) -> Tensor:
    """A tensor of zeros; ``dtype`` defaults to ``floatx()``."""
    return torch.zeros(_shape(shape), dtype=_torch_dtype(dtype))


def full(shape: ShapeLike, fill_value: float, dtype: DTypeLike = None) -> Tensor:
    """A tensor filled with ``fill_value``; ``dtype`` defaults to ``floatx()``."""
    return torch.full(_shape(shape), fill_value, dtype=_torch_dtype(dtype))


def _like_dtype(x: Tensor, dtype: DTypeLike) -> torch.dtype:
    return x.dtype if dtype is None else _torch_dtype(dtype)


def ones_like(x: TensorLike, dtype: DTypeLike = None) -> Tensor:
    """Ones with the shape (and, by default, the dtype) of ``x``."""
    x = _to_tensor(x)
    return torch.ones_like(x, dtype=_like_dtype(x, dtype))


def zeros_like(x: TensorLike, dtype: DTypeLike = None) -> Tensor:
    """Zeros with the shape (and, by default, the dtype) of ``x``."""
    x = _to_tensor(x)
    return torch.zeros_like(x, dtype=_like_dtype(x, dtype))


def full_like(x: TensorLike, fill_value: float, dtype: DTypeLike = None) -> Tensor:
    """``fill_value`` with the shape (and, by default, the dtype) of ``x``."""
    x = _to_tensor(x)
    return torch.full_like(x, fill_value, dtype=_like_dtype(x, dtype))


def eye(N: int, M: int | None = None, k: int = 0, dtype: DTypeLike = None) -> Tensor:
    """An ``N x M`` matrix with ones on the ``k``-th diagonal (``k > 0``: above)."""
    rows = torch.arange(N)[:, None]
    cols = torch.arange(N if M is None else M)[None, :]
    return (cols - rows == k).to(_torch_dtype(dtype))


def identity(n: int, dtype: DTypeLike = None) -> Tensor:
    """The ``n x n`` identity matrix."""
    return eye(n, dtype=dtype)


def arange(
    start: float, stop: float | None = None, step: float | None = None, dtype: DTypeLike = None
) -> Tensor:
    """Evenly spaced values in ``[start, stop)``; ``arange(n)`` counts from 0.

    ``dtype`` defaults to ``floatx()`` when any bound is a float, else int64.
    """
    start, stop = (0, start) if stop is None else (start, stop)
    step = 1 if step is None else step
    if dtype is None:
        floats = builtins.any(isinstance(v, float) for v in (start, stop, step))
        dtype = _floatx() if floats else torch.int64
    return torch.arange(start, stop, step, dtype=_torch_dtype(dtype))


def linspace(
    start: TensorLike,
    stop: TensorLike,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: DTypeLike = None,
    axis: int = 0,
) -> Tensor | tuple[Tensor, Tensor]:
    """``num`` evenly spaced values from ``start`` to ``stop`` (inclusive if ``endpoint``).

    Array-valued ``start``/``stop`` give one sequence per element, laid along ``axis``.
    """
    start_t, stop_t = (t.to(torch.float64) for t in _operands(start, stop))
    divisions = num - 1 if endpoint else num
    step = (stop_t - start_t) / builtins.max(divisions, 1)
    counts = torch.arange(num, dtype=torch.float64, device=start_t.device)
    values = start_t + counts.reshape((-1,) + (1,) * step.ndim) * step
    if endpoint and num > 1:
        values[-1] = stop_t
    values = torch.movedim(values, 0, axis).to(_torch_dtype(dtype))
    return (values, step.to(values.dtype)) if retstep else values
