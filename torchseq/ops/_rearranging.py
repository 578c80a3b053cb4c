"""Moving elements around: ``roll``, ``rot90``, ``fliplr``/``flipud``, ``ravel``, ``pad``,
``diff``, ``trapezoid`` and ``view``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchseq.ops._convert import (
    DTypeLike,
    Tensor,
    TensorLike,
    _operands,
    _to_tensor,
    _torch_dtype,
)

__all__ = ["diff", "fliplr", "flipud", "pad", "ravel", "roll", "rot90", "trapezoid", "view"]

_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def roll(x: TensorLike, shift: int | Sequence[int], axis: int | Sequence[int] | None = None) -> Tensor:
    """Shift elements along ``axis`` (``None``: the flattened tensor), wrapping around."""
    x = _to_tensor(x)
    if axis is None:
        return torch.roll(x.reshape(-1), shift).reshape(x.shape)
    return torch.roll(x, shift, axis)


def rot90(array: TensorLike, k: int = 1, axes: tuple[int, int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``, from the first towards the
    second."""
    array = _to_tensor(array)
    if array.ndim < 2:
        raise ValueError(f"rot90 expected a tensor of rank >= 2, received: shape {tuple(array.shape)}")
    return torch.rot90(array, k, list(axes))


def fliplr(x: TensorLike) -> Tensor:
    """Reverse the second axis (columns)."""
    return torch.fliplr(_to_tensor(x))


def flipud(x: TensorLike) -> Tensor:
    """Reverse the first axis (rows)."""
    return torch.flipud(_to_tensor(x))


def ravel(x: TensorLike) -> Tensor:
    """``x`` flattened to 1-D."""
    return _to_tensor(x).reshape(-1)


def diff(a: TensorLike, n: int = 1, axis: int = -1) -> Tensor:
    """The ``n``-th discrete difference along ``axis``: ``a[i + 1] - a[i]``, ``n`` times."""
    return torch.diff(_to_tensor(a), n=n, dim=axis)


def trapezoid(y: TensorLike, x: TensorLike | None = None, dx: float = 1.0, axis: int = -1) -> Tensor:
    """Integral of ``y`` along ``axis`` by the trapezoidal rule, at points ``x`` or spaced ``dx``."""
    y = _to_tensor(y)
    y = y if y.is_floating_point() else y.to(_torch_dtype(None))
    if x is None:
        return torch.trapezoid(y, dx=dx, dim=axis)
    (x,) = _operands(y, x)[1:]
    return torch.trapezoid(y, x.to(y.dtype), dim=axis)


def view(x: TensorLike, dtype: DTypeLike = None) -> Tensor:
    """The same memory read as ``dtype`` (the last axis scales by the size ratio)."""
    x = _to_tensor(x)
    return x if dtype is None else x.view(_torch_dtype(dtype))


def _pairs(pad_width: Any, ndim: int) -> list[tuple[int, int]]:
    """numpy's ``pad_width`` forms (``n``, ``(before, after)``, one pair per axis) as pairs."""
    widths = np.asarray(pad_width, dtype=np.int64)
    try:
        widths = np.broadcast_to(widths.reshape(-1, 2) if widths.size == 2 else widths, (ndim, 2))
    except ValueError as e:
        raise ValueError(
            f"pad expected pad_width as an int, a (before, after) pair or {ndim} pairs, "
            f"received: pad_width={pad_width!r}"
        ) from e
    if (widths < 0).any():
        raise ValueError(f"pad expected non-negative widths, received: pad_width={pad_width!r}")
    return [(int(before), int(after)) for before, after in widths]


def _source_positions(length: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each position of the padded axis, the position of the input it copies."""
    positions = np.arange(-before, length + after)
    if mode == "edge":
        return np.clip(positions, 0, length - 1)
    if mode == "wrap":
        return positions % length
    if mode == "symmetric":  # edge repeated: ... 1 0 | 0 1 2 | 2 1 ...
        folded = positions % (2 * length)
        return np.where(folded < length, folded, 2 * length - 1 - folded)
    period = 2 * (length - 1)  # reflect, edge not repeated: ... 2 1 | 0 1 2 | 1 0 ...
    if period == 0:
        return np.zeros_like(positions)
    folded = positions % period
    return np.where(folded < length, folded, period - folded)


def pad(
    x: TensorLike,
    pad_width: int | Sequence[Any],
    mode: str = "constant",
    constant_values: TensorLike | None = None,
) -> Tensor:
    """Pad ``x`` on each axis (numpy's ``pad``).

    Args:
        x: Input tensor.
        pad_width: Widths ``(before, after)`` per axis; one int or one pair serves all axes.
        mode: ``"constant"`` (default), ``"edge"`` (repeat the border), ``"reflect"``
            (mirror without repeating the border), ``"symmetric"`` (mirror repeating it) or
            ``"wrap"`` (continue from the other side).
        constant_values: The fill value for ``"constant"``. Defaults to 0.
    """
    if mode not in _PAD_MODES:
        raise ValueError(f"pad expected mode to be one of {_PAD_MODES}, received: mode={mode!r}")
    if constant_values is not None and mode != "constant":
        raise ValueError(
            f"pad takes constant_values only with mode='constant', received: mode={mode!r}"
        )
    x = _to_tensor(x)
    widths = _pairs(pad_width, x.ndim)
    if mode == "constant":
        value = 0 if constant_values is None else constant_values
        flat = [w for pair in reversed(widths) for w in pair]
        if isinstance(value, torch.Tensor):
            value = value.item()
        return torch.nn.functional.pad(x, flat, value=value)
    for axis, (before, after) in enumerate(widths):
        if before or after:
            source = _source_positions(x.shape[axis], before, after, mode)
            x = torch.index_select(x, axis, torch.as_tensor(source, device=x.device))
    return x
