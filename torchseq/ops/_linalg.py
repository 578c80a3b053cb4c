"""Products and norms: ``matmul``, ``dot``, ``tensordot``, ``einsum``, ``outer``, ``norm`` and more."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from torchseq.config import epsilon
from torchseq.ops._convert import Axis, Tensor, TensorLike, _axes, _floating, _promoted

__all__ = [
    "dot",
    "einsum",
    "matmul",
    "norm",
    "normalize",
    "outer",
    "tensordot",
]


def matmul(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Matrix product with numpy's ``matmul`` broadcasting rules."""
    return torch.matmul(*_promoted(x1, x2))


def dot(x1: TensorLike, x2: TensorLike) -> Tensor:
    """numpy's ``dot``: sum over the last axis of ``x1`` and the second-to-last of ``x2``.

    Scalars multiply; a 1-D ``x2`` contracts with the last axis of ``x1``. For two
    tensors of rank 3 or more this is numpy's (and Keras's documented) result, not a
    batched matmul.
    """
    x1, x2 = _promoted(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return x1 * x2
    if x2.ndim == 1:
        return torch.matmul(x1, x2)
    return torch.tensordot(x1, x2, dims=([x1.ndim - 1], [x2.ndim - 2]))


def tensordot(x1: TensorLike, x2: TensorLike, axes: int | Sequence[Any] = 2) -> Tensor:
    """Sum products over ``axes``: an int (last ``axes`` of ``x1``, first of ``x2``) or a pair."""
    if not isinstance(axes, int):
        first, second = axes
        axes = tuple([a] if isinstance(a, int) else list(a) for a in (first, second))
    return torch.tensordot(*_promoted(x1, x2), dims=axes)


def einsum(subscripts: str, *operands: TensorLike, **kwargs: Any) -> Tensor:
    """Einstein summation, e.g. ``einsum("ij,jk->ik", a, b)``."""
    return torch.einsum(subscripts, *_promoted(*operands))


def outer(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Outer product of the flattened inputs."""
    x1, x2 = _promoted(x1, x2)
    return torch.outer(x1.reshape(-1), x2.reshape(-1))


def norm(
    x: TensorLike, ord: float | str | None = None, axis: Axis = None, keepdims: bool = False
) -> Tensor:
    """Vector or matrix norm (``numpy.linalg.norm`` semantics; default 2 / Frobenius)."""
    return torch.linalg.norm(_floating(x), ord=ord, dim=_axes(axis), keepdim=keepdims)


def normalize(
    x: TensorLike, axis: int = -1, order: int = 2, epsilon: float | None = None
) -> Tensor:
    """``x`` divided by its ``order``-norm along ``axis``, the norm floored at ``epsilon``."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize expected order to be an int >= 1, received: order={order!r}")
    floor_value = _epsilon_or(epsilon)
    x = _floating(x)
    x = x.reshape(1) if x.ndim == 0 else x
    size_along = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
    return x / torch.clamp(size_along, min=floor_value)


def _epsilon_or(value: float | None) -> float:
    return epsilon() if value is None else value
