"""Finding and picking elements: ``select``, ``searchsorted``, ``digitize``, ``nonzero``,
``argpartition``, ``unique`` and ``unravel_index``.

Indices are int64 (torch's index dtype; Keras returns int32).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from torchseq.ops._convert import (
    ShapeLike,
    Tensor,
    TensorLike,
    _flat_or_along,
    _operands,
    _promoted,
    _shape,
    _to_tensor,
)

__all__ = [
    "argpartition",
    "digitize",
    "nonzero",
    "searchsorted",
    "select",
    "unique",
    "unravel_index",
]


def select(
    condlist: Sequence[TensorLike], choicelist: Sequence[TensorLike], default: TensorLike = 0
) -> Tensor:
    """Per element, the entry of the first ``choicelist`` tensor whose condition holds.

    Args:
        condlist: Boolean tensors, one per choice.
        choicelist: Tensors to pick from, broadcast together with the conditions.
        default: Where no condition holds. Defaults to 0.
    """
    if len(condlist) != len(choicelist):
        raise ValueError(
            "select expected as many conditions as choices, received: "
            f"{len(condlist)} conditions and {len(choicelist)} choices"
        )
    if not condlist:
        raise ValueError("select expected at least one condition, received: condlist=[]")
    *choices, result = _promoted(*choicelist, default)
    conditions = _operands(*condlist)
    for condition, choice in reversed(list(zip(conditions, choices))):
        result = torch.where(condition.bool(), choice, result)
    return result


def searchsorted(sorted_sequence: TensorLike, values: TensorLike, side: str = "left") -> Tensor:
    """Where each value would be inserted into the 1-D ``sorted_sequence`` to keep it sorted.

    Args:
        sorted_sequence: A sorted 1-D tensor.
        values: Tensor of values to place.
        side: ``"left"`` (default: before equal entries) or ``"right"`` (after them).
    """
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted expected side 'left' or 'right', received: side={side!r}")
    sorted_sequence, values = _promoted(sorted_sequence, values)
    if sorted_sequence.ndim != 1:
        raise ValueError(
            "searchsorted expected a 1-D sorted_sequence, received: shape "
            f"{tuple(sorted_sequence.shape)}"
        )
    return torch.searchsorted(sorted_sequence, values.contiguous(), side=side)


def digitize(x: TensorLike, bins: TensorLike) -> Tensor:
    """The index of the bin of each value: ``i`` with ``bins[i - 1] <= x < bins[i]``.

    Args:
        x: Input tensor.
        bins: Increasing 1-D tensor of bin edges.
    """
    x, bins = _promoted(x, bins)
    return torch.bucketize(x, bins, right=True)


def nonzero(x: TensorLike) -> tuple[Tensor, ...]:
    """The indices of the non-zero elements, one tensor per axis."""
    return tuple(torch.nonzero(_to_tensor(x), as_tuple=True))


def argpartition(x: TensorLike, kth: int, axis: int = -1) -> Tensor:
    """Indices that put the ``kth`` smallest element in its sorted place along ``axis``,
    smaller ones before it and larger ones after.

    torchseq returns the (stable) sorting order, which is one such partition.
    """
    x, along = _flat_or_along(x, axis)
    length = x.shape[along] if x.ndim else 1
    if not -length <= kth < length:
        raise ValueError(
            f"argpartition expected kth in [{-length}, {length}), received: kth={kth}"
        )
    return torch.argsort(x, dim=along, stable=True)


def unique(
    x: TensorLike,
    sorted: bool = True,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: int | None = None,
    size: int | None = None,
    fill_value: float | None = None,
) -> Tensor | tuple[Tensor, ...]:
    """The distinct elements of ``x`` (flattened), or distinct slices along ``axis``, sorted.

    Args:
        x: Input tensor.
        sorted: Accepted for Keras compatibility; the result is always sorted.
        return_index: Also return the index of each value's first occurrence.
        return_inverse: Also return, for each element, the index of its value.
        return_counts: Also return how often each value occurs.
        axis: Axis whose slices are compared, or ``None`` (default) for elements.
        size: If given, cut or pad the result to this many values (padding with
            ``fill_value``, default 0, and counts and indices of 0).
        fill_value: Padding value when ``size`` is larger than the number of values.

    Returns:
        The values, or a tuple ``(values, index?, inverse?, counts?)`` of those asked for.
    """
    x = _to_tensor(x)
    values, inverse, counts = torch.unique(
        x, sorted=True, return_inverse=True, return_counts=True, dim=axis
    )
    dim = 0 if axis is None else axis % x.ndim
    extras = []
    if return_index:
        positions = torch.arange(inverse.numel(), device=x.device)
        first = torch.full((values.shape[dim],), inverse.numel(), device=x.device)
        extras.append(first.scatter_reduce(0, inverse.reshape(-1), positions, reduce="amin"))
    if return_inverse:
        extras.append(inverse)
    if return_counts:
        extras.append(counts)
    if size is not None:
        values = _fit_length(values, dim, size, 0 if fill_value is None else fill_value)
        extras = [
            e if e is inverse else _fit_length(e, 0, size, 0) for e in extras
        ]
    return (values, *extras) if extras else values


def _fit_length(x: Tensor, dim: int, size: int, fill_value: float) -> Tensor:
    """``x`` cut or padded (with ``fill_value``) to ``size`` along ``dim``."""
    if x.shape[dim] >= size:
        return x.narrow(dim, 0, size)
    padding = list(x.shape)
    padding[dim] = size - x.shape[dim]
    return torch.cat([x, torch.full(padding, fill_value, dtype=x.dtype, device=x.device)], dim=dim)


def unravel_index(indices: TensorLike, shape: ShapeLike) -> tuple[Tensor, ...]:
    """Flat indices into ``shape`` as a tuple of per-axis index tensors."""
    index = _to_tensor(indices).to(torch.int64)
    return tuple(torch.unravel_index(index, _shape(shape)))
