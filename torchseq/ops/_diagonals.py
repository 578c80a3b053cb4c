"""Diagonals and triangles: ``diag``, ``diagflat``, ``diagonal``, ``trace`` and ``tri``."""

from __future__ import annotations

import torch

from torchseq.ops._convert import DTypeLike, Tensor, TensorLike, _to_tensor, _torch_dtype

__all__ = ["diag", "diagflat", "diagonal", "trace", "tri"]


def diag(x: TensorLike, k: int = 0) -> Tensor:
    """The ``k``-th diagonal of a matrix, or a matrix with the 1-D ``x`` on its ``k``-th
    diagonal (``k > 0``: above the main one)."""
    x = _to_tensor(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"diag expected a 1-D or 2-D tensor, received: shape {tuple(x.shape)}")
    return torch.diag(x, k)


def diagflat(x: TensorLike, k: int = 0) -> Tensor:
    """A matrix with the flattened ``x`` on its ``k``-th diagonal."""
    return torch.diag(_to_tensor(x).reshape(-1), k)


def diagonal(x: TensorLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The diagonals in the plane of ``axis1`` and ``axis2``, along a new last axis."""
    x = _to_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"diagonal expected a tensor of rank >= 2, received: shape {tuple(x.shape)}")
    return torch.diagonal(x, offset, axis1, axis2)


def trace(x: TensorLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The sum of the diagonals in the plane of ``axis1`` and ``axis2``; booleans sum as
    integers."""
    return torch.sum(diagonal(x, offset, axis1, axis2), dim=-1)


def tri(N: int, M: int | None = None, k: int = 0, dtype: DTypeLike = None) -> Tensor:
    """An ``N x M`` matrix of ones at and below the ``k``-th diagonal; ``dtype`` defaults to
    ``floatx()``."""
    ones = torch.ones((N, N if M is None else M), dtype=_torch_dtype(dtype))
    return torch.tril(ones, k)
