"""Segment reductions: ``segment_sum``, ``segment_max``, ``segment_min``, ``segment_prod``.

Row ``i`` of ``data`` joins segment ``segment_ids[i]``; the result has one row per segment.
Rows whose id is negative or not below ``num_segments`` are dropped. An empty segment holds
the reduction's identity: 0, 1, or minus/plus infinity (the dtype's extremes for integers).
"""

from __future__ import annotations

import torch

from torchseq.ops._convert import Tensor, TensorLike, _operands

__all__ = ["segment_max", "segment_min", "segment_prod", "segment_sum"]


def _identity(reduction: str, dtype: torch.dtype) -> float:
    if reduction == "sum":
        return 0
    if reduction == "prod":
        return 1
    largest = reduction == "amin"
    if dtype.is_floating_point:
        return torch.inf if largest else -torch.inf
    if dtype == torch.bool:
        return largest
    info = torch.iinfo(dtype)
    return info.max if largest else info.min


def _segment_reduce(
    reduction: str, data: TensorLike, segment_ids: TensorLike, num_segments: int | None
) -> Tensor:
    data, segment_ids = _operands(data, segment_ids)
    segment_ids = segment_ids.to(torch.int64)
    if segment_ids.ndim != 1 or data.ndim == 0 or segment_ids.shape[0] != data.shape[0]:
        raise ValueError(
            "segment ops expected 1-D segment_ids as long as data's first axis, received: "
            f"data.shape={tuple(data.shape)}, segment_ids.shape={tuple(segment_ids.shape)}"
        )
    if num_segments is None:
        num_segments = int(segment_ids.max()) + 1 if segment_ids.numel() else 0
    kept = (segment_ids >= 0) & (segment_ids < num_segments)
    data, segment_ids = data[kept], segment_ids[kept]
    result = torch.full(
        (num_segments,) + tuple(data.shape[1:]),
        _identity(reduction, data.dtype),
        dtype=data.dtype,
        device=data.device,
    )
    index = segment_ids.reshape((-1,) + (1,) * (data.ndim - 1)).expand_as(data)
    return result.scatter_reduce(0, index, data, reduce=reduction, include_self=True)


def segment_sum(
    data: TensorLike, segment_ids: TensorLike, num_segments: int | None = None, sorted: bool = False
) -> Tensor:
    """Sum of the rows of ``data`` in each segment.

    Args:
        data: Tensor ``(N, ...)``.
        segment_ids: 1-D integer tensor ``(N,)``: the segment of each row.
        num_segments: Number of segments. Defaults to ``max(segment_ids) + 1``.
        sorted: Whether the ids are sorted (a hint; the result is the same).
    """
    return _segment_reduce("sum", data, segment_ids, num_segments)


def segment_prod(
    data: TensorLike, segment_ids: TensorLike, num_segments: int | None = None, sorted: bool = False
) -> Tensor:
    """Product of the rows of ``data`` in each segment (arguments as ``segment_sum``)."""
    return _segment_reduce("prod", data, segment_ids, num_segments)


def segment_max(
    data: TensorLike, segment_ids: TensorLike, num_segments: int | None = None, sorted: bool = False
) -> Tensor:
    """Maximum of the rows of ``data`` in each segment (arguments as ``segment_sum``)."""
    return _segment_reduce("amax", data, segment_ids, num_segments)


def segment_min(
    data: TensorLike, segment_ids: TensorLike, num_segments: int | None = None, sorted: bool = False
) -> Tensor:
    """Minimum of the rows of ``data`` in each segment (arguments as ``segment_sum``)."""
    return _segment_reduce("amin", data, segment_ids, num_segments)
