"""Shape manipulation, joining, splitting and gathering."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from torchseq.ops._convert import (
    Axis,
    ShapeLike,
    Tensor,
    TensorLike,
    _axes,
    _flat_or_along,
    _operands,
    _promoted,
    _sections,
    _shape,
    _to_tensor,
    _wrapped_indices,
)
from torchseq.utils.integers import is_int

__all__ = [
    "broadcast_to",
    "concatenate",
    "expand_dims",
    "flip",
    "get_item",
    "moveaxis",
    "repeat",
    "reshape",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "take",
    "take_along_axis",
    "tile",
    "transpose",
    "tril",
    "triu",
    "unstack",
]


def transpose(x: TensorLike, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes of ``x``; ``axes=None`` reverses them."""
    x = _to_tensor(x)
    return x.permute(tuple(reversed(range(x.ndim))) if axes is None else tuple(axes))


def reshape(x: TensorLike, newshape: ShapeLike) -> Tensor:
    """Give ``x`` a new shape; one dimension may be ``-1``."""
    return torch.reshape(_to_tensor(x), _shape(newshape))


def expand_dims(x: TensorLike, axis: int | Sequence[int]) -> Tensor:
    """Insert size-1 axes at ``axis`` (an int or a sequence, positions in the result)."""
    x = _to_tensor(x)
    axis = _axes(axis)
    axes = [axis] if isinstance(axis, int) else axis
    rank = x.ndim + len(axes)
    for position in sorted(a % rank for a in axes):
        x = x.unsqueeze(position)
    return x


def squeeze(x: TensorLike, axis: Axis = None) -> Tensor:
    """Remove size-1 axes (all of them, or those in ``axis``)."""
    x = _to_tensor(x)
    return torch.squeeze(x) if axis is None else torch.squeeze(x, _axes(axis))


def concatenate(xs: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    return torch.cat(_operands(*xs), dim=axis)


def stack(x: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """Join tensors along a new axis."""
    return torch.stack(_promoted(*x), dim=axis)


def unstack(x: TensorLike, num: int | None = None, axis: int = 0) -> list[Tensor]:
    """Split ``x`` into the list of its slices along ``axis``."""
    return list(torch.unbind(_to_tensor(x), dim=axis))


def split(x: TensorLike, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """numpy's ``split``: an int gives that many equal parts, a list gives split points."""
    x = _to_tensor(x)
    sections = _sections(indices_or_sections)
    if isinstance(sections, int) and x.shape[axis] % sections:
        raise ValueError(
            f"split expected indices_or_sections to divide the axis length {x.shape[axis]} "
            f"evenly, received: indices_or_sections={indices_or_sections}"
        )
    return list(torch.tensor_split(x, sections, dim=axis))


def tile(x: TensorLike, repeats: ShapeLike) -> Tensor:
    """Repeat the whole of ``x`` ``repeats`` times along each axis."""
    return torch.tile(_to_tensor(x), _shape(repeats))


def repeat(x: TensorLike, repeats: int | Sequence[int], axis: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis`` (``None``: flatten first)."""
    x = _to_tensor(x)
    counts = int(repeats) if is_int(repeats) else _to_tensor(repeats, torch.int64, x.device)
    return torch.repeat_interleave(x, counts, dim=axis)


def flip(x: TensorLike, axis: Axis = None) -> Tensor:
    """Reverse the order of elements along ``axis`` (``None``: every axis)."""
    x = _to_tensor(x)
    axes = range(x.ndim) if axis is None else _axes(axis)
    return torch.flip(x, (axes,) if isinstance(axes, int) else tuple(axes))


def broadcast_to(x: TensorLike, shape: ShapeLike) -> Tensor:
    """A broadcast view of ``x`` with the given shape."""
    return torch.broadcast_to(_to_tensor(x), _shape(shape))


def swapaxes(x: TensorLike, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes."""
    return torch.swapaxes(_to_tensor(x), axis1, axis2)


def moveaxis(
    x: TensorLike, source: int | Sequence[int], destination: int | Sequence[int]
) -> Tensor:
    """Move axes to new positions, keeping the others in order."""
    return torch.movedim(_to_tensor(x), source, destination)


def get_item(x: TensorLike, key: Any) -> Tensor:
    """``x[key]``: ints, slices, ``None``, ``...`` and index tensors; a list key indexes
    like a tuple of its items, as in Keras."""
    return _to_tensor(x)[tuple(key) if isinstance(key, list) else key]


def take(x: TensorLike, indices: TensorLike, axis: int | None = None) -> Tensor:
    """Gather slices of ``x`` along ``axis`` (``None``: from the flattened ``x``).

    Negative indices count from the end. The result's shape is ``x.shape`` with
    ``axis`` replaced by ``indices.shape``.
    """
    x, axis = _flat_or_along(x, axis)
    axis %= x.ndim
    index = _wrapped_indices(indices, x.shape[axis], x.device)
    picked = torch.index_select(x, axis, index.reshape(-1))
    return picked.reshape(x.shape[:axis] + index.shape + x.shape[axis + 1 :])


def take_along_axis(x: TensorLike, indices: TensorLike, axis: int | None = None) -> Tensor:
    """Pick one element per index along ``axis`` (numpy's ``take_along_axis``)."""
    x = _to_tensor(x)
    length = x.numel() if axis is None else x.shape[axis]
    return torch.take_along_dim(x, _wrapped_indices(indices, length, x.device), dim=axis)


def tril(x: TensorLike, k: int = 0) -> Tensor:
    """Zero the elements above the ``k``-th diagonal."""
    return torch.tril(_to_tensor(x), k)


def triu(x: TensorLike, k: int = 0) -> Tensor:
    """Zero the elements below the ``k``-th diagonal."""
    return torch.triu(_to_tensor(x), k)
