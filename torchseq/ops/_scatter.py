"""Writing into and cutting out of tensors by position (``keras.ops`` core): ``scatter``,
``scatter_update``, ``slice`` and ``slice_update``. None of them changes its input."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

import torch

from torchseq.ops._convert import ShapeLike, Tensor, TensorLike, _operands, _shape, _to_tensor

__all__ = ["scatter", "scatter_update", "slice", "slice_update"]

_REDUCTIONS = {None: None, "add": "sum", "max": "amax", "min": "amin", "mul": "prod"}


def _index_rows(indices: Tensor, shape: Sequence[int]) -> Tensor:
    """Index vectors ``(..., k)`` into the first ``k`` axes of ``shape`` as flat row numbers."""
    depth = indices.shape[-1]
    strides = torch.ones(depth, dtype=torch.int64, device=indices.device)
    for axis in range(depth - 2, -1, -1):
        strides[axis] = strides[axis + 1] * shape[axis + 1]
    wrapped = torch.remainder(indices.to(torch.int64), torch.tensor(shape[:depth], device=indices.device))
    return (wrapped * strides).sum(-1).reshape(-1)


def scatter(indices: TensorLike, values: TensorLike, shape: ShapeLike) -> Tensor:
    """A zero tensor of ``shape`` with ``values`` added at ``indices``.

    Args:
        indices: Integer tensor ``(..., k)``: each row indexes the first ``k`` axes.
        values: Tensor ``(..., *shape[k:])``: the value (or slice) for each index row;
            values at repeated indices add up.
        shape: The result's shape.
    """
    indices, values = _operands(indices, values)
    return scatter_update(torch.zeros(_shape(shape), dtype=values.dtype, device=values.device),
                          indices, values, reduction="add")


def scatter_update(
    inputs: TensorLike, indices: TensorLike, updates: TensorLike, reduction: str | None = None
) -> Tensor:
    """A copy of ``inputs`` with ``updates`` written at ``indices``.

    Args:
        inputs: Tensor to update.
        indices: Integer tensor ``(n, k)``: each row indexes the first ``k`` axes.
        updates: Tensor ``(n, *inputs.shape[k:])``: the new values.
        reduction: ``None`` (default: replace; which of repeated indices wins is not
            defined), ``"add"``, ``"max"``, ``"min"`` or ``"mul"`` (combine with the old
            value and each other).
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"scatter_update expected reduction to be one of {list(_REDUCTIONS)}, "
            f"received: reduction={reduction!r}"
        )
    inputs, indices, updates = _operands(inputs, indices, updates)
    shape = tuple(inputs.shape)
    depth = indices.shape[-1]
    rows = _index_rows(indices, shape)
    flat = inputs.reshape((-1,) + shape[depth:])
    updates = updates.to(inputs.dtype).reshape((-1,) + shape[depth:])
    if reduction is None:
        result = flat.index_copy(0, rows, updates)
    else:
        index = rows.reshape((-1,) + (1,) * (updates.ndim - 1)).expand_as(updates)
        result = flat.scatter_reduce(0, index, updates, _REDUCTIONS[reduction], include_self=True)
    return result.reshape(shape)


def _starts(start_indices: TensorLike) -> list[int]:
    if isinstance(start_indices, torch.Tensor):
        return [int(i) for i in start_indices.reshape(-1).tolist()]
    return [int(i) for i in start_indices]


def slice(inputs: TensorLike, start_indices: TensorLike, shape: ShapeLike) -> Tensor:
    """The block of ``inputs`` of size ``shape`` starting at ``start_indices`` (one per axis)."""
    inputs = _to_tensor(inputs)
    starts, sizes = _starts(start_indices), _shape(shape)
    if len(starts) != inputs.ndim or len(sizes) != inputs.ndim:
        raise ValueError(
            f"slice expected one start and one size per axis of a rank-{inputs.ndim} tensor, "
            f"received: start_indices={starts}, shape={sizes}"
        )
    return inputs[tuple(builtins.slice(s, s + n) for s, n in zip(starts, sizes))]


def slice_update(inputs: TensorLike, start_indices: TensorLike, updates: TensorLike) -> Tensor:
    """A copy of ``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    inputs, updates = _operands(inputs, updates)
    starts = _starts(start_indices)
    if len(starts) != inputs.ndim or updates.ndim != inputs.ndim:
        raise ValueError(
            f"slice_update expected one start per axis and updates of rank {inputs.ndim}, "
            f"received: start_indices={starts}, updates.shape={tuple(updates.shape)}"
        )
    block = tuple(builtins.slice(s, s + n) for s, n in zip(starts, updates.shape))
    result = inputs.clone()
    result[block] = updates.to(inputs.dtype)
    return result
