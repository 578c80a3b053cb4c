"""Tensor creation: ``array``, ``ones``, ``zeros``, ``full``, ``empty``, ``eye``, ``arange``,
``linspace``/``logspace``/``geomspace``, ``meshgrid``, ``vander`` and ``*_like``."""

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
    "array",
    "copy",
    "empty",
    "empty_like",
    "eye",
    "full",
    "full_like",
    "geomspace",
    "identity",
    "linspace",
    "logspace",
    "meshgrid",
    "ones",
    "ones_like",
    "vander",
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


def _default_spaced_dtype(start: Tensor, stop: Tensor) -> torch.dtype:
    """Keras's dtype for ``logspace``/``geomspace``: the inputs' own, at least ``floatx``."""
    if start.is_floating_point() or stop.is_floating_point():
        return torch.promote_types(start.dtype, stop.dtype)
    return _floatx()


def logspace(
    start: TensorLike,
    stop: TensorLike,
    num: int = 50,
    endpoint: bool = True,
    base: float = 10,
    dtype: DTypeLike = None,
    axis: int = 0,
) -> Tensor:
    """``num`` values spaced evenly on a log scale, from ``base ** start`` to ``base ** stop``."""
    start_t, stop_t = _operands(start, stop)
    default = _default_spaced_dtype(start_t, stop_t)
    exponents = linspace(start_t, stop_t, num, endpoint=endpoint, dtype="float64", axis=axis)
    values = torch.pow(torch.tensor(float(base), dtype=torch.float64), exponents)
    return values.to(default if dtype is None else _torch_dtype(dtype))


def geomspace(
    start: TensorLike,
    stop: TensorLike,
    num: int = 50,
    endpoint: bool = True,
    dtype: DTypeLike = None,
    axis: int = 0,
) -> Tensor:
    """``num`` values in geometric progression from ``start`` to ``stop`` (of one sign, not 0)."""
    start_t, stop_t = _operands(start, stop)
    default = _default_spaced_dtype(start_t, stop_t)
    start_t, stop_t = start_t.to(torch.float64), stop_t.to(torch.float64)
    if bool(torch.any(start_t * stop_t <= 0)):
        raise ValueError(
            "geomspace expected non-zero start and stop of the same sign, received: "
            f"start={start!r}, stop={stop!r}"
        )
    exponents = linspace(
        torch.log10(start_t.abs()), torch.log10(stop_t.abs()), num, endpoint=endpoint, dtype="float64"
    )
    values = torch.pow(10.0, exponents) * torch.sign(start_t)
    if num > 0:  # the ends exactly, as numpy gives them
        values[0] = start_t
        if endpoint and num > 1:
            values[-1] = stop_t
    values = torch.movedim(values, 0, axis)
    return values.to(default if dtype is None else _torch_dtype(dtype))


def meshgrid(*x: TensorLike, indexing: str = "xy") -> list[Tensor]:
    """Coordinate grids from 1-D coordinate vectors.

    Args:
        *x: 1-D tensors of coordinates.
        indexing: ``"xy"`` (default, Cartesian: the first two outputs' axes swapped) or
            ``"ij"`` (matrix indexing).
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid expected indexing 'xy' or 'ij', received: indexing={indexing!r}")
    return list(torch.meshgrid(*_operands(*x), indexing=indexing))


def vander(x: TensorLike, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of the 1-D ``x``: columns are powers of ``x`` (highest first,
    unless ``increasing``), ``N`` of them (default ``len(x)``)."""
    x = _to_tensor(x)
    if x.ndim != 1:
        raise ValueError(f"vander expected a 1-D tensor, received: shape {tuple(x.shape)}")
    return torch.linalg.vander(x, N=N).flip(-1) if not increasing else torch.linalg.vander(x, N=N)


def array(x: TensorLike, dtype: DTypeLike = None) -> Tensor:
    """``x`` as a tensor (``convert_to_tensor``)."""
    return _to_tensor(x, dtype)


def copy(x: TensorLike) -> Tensor:
    """A tensor with ``x``'s values in new memory."""
    return _to_tensor(x).clone()


def empty(shape: ShapeLike, dtype: DTypeLike = None) -> Tensor:
    """A tensor whose values are not set; ``dtype`` defaults to ``floatx()``."""
    return torch.empty(_shape(shape), dtype=_torch_dtype(dtype))


def empty_like(x: TensorLike, dtype: DTypeLike = None) -> Tensor:
    """A tensor of ``x``'s shape (and, by default, dtype) whose values are not set."""
    x = _to_tensor(x)
    return torch.empty_like(x, dtype=_like_dtype(x, dtype))
