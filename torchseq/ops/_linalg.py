"""Products, distances and norms: ``matmul``, ``dot``, ``tensordot``, ``einsum``, ``outer``,
``inner``, ``vdot``, ``kron``, ``cross``, ``correlate``, ``cdist``, ``norm`` and more."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from torchseq.config import epsilon
from torchseq.ops._convert import Axis, Tensor, TensorLike, _axes, _floating, _ints, _promoted
from torchseq.utils.integers import is_int

__all__ = [
    "cdist",
    "correlate",
    "cross",
    "dot",
    "einsum",
    "inner",
    "kron",
    "matmul",
    "norm",
    "normalize",
    "outer",
    "tensordot",
    "vdot",
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
    if is_int(axes):
        axes = int(axes)
    else:
        first, second = axes
        axes = tuple([int(a)] if is_int(a) else _ints(a) for a in (first, second))
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
    if not is_int(order) or order < 1:
        raise ValueError(f"normalize expected order to be an int >= 1, received: order={order!r}")
    order = int(order)
    floor_value = _epsilon_or(epsilon)
    x = _floating(x)
    x = x.reshape(1) if x.ndim == 0 else x
    size_along = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
    return x / torch.clamp(size_along, min=floor_value)


def _epsilon_or(value: float | None) -> float:
    return epsilon() if value is None else value


def inner(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Sum of products over the last axes of both (a product, if either is a scalar)."""
    return torch.inner(*_promoted(x1, x2))


def vdot(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Dot product of the flattened inputs, conjugating ``x1`` if complex."""
    x1, x2 = _promoted(x1, x2)
    return torch.vdot(x1.reshape(-1), x2.reshape(-1))


def kron(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Kronecker product: blocks of ``x2`` scaled by each element of ``x1``."""
    return torch.kron(*_promoted(x1, x2))


def cross(
    x1: TensorLike,
    x2: TensorLike,
    axisa: int = -1,
    axisb: int = -1,
    axisc: int = -1,
    axis: int | None = None,
) -> Tensor:
    """Cross product of 2- or 3-vectors along ``axisa`` of ``x1`` and ``axisb`` of ``x2``.

    A 2-vector has a zero third component; when both are 2-vectors the result is the
    scalar third component. ``axis``, when given, sets all three axes.
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    x1, x2 = _promoted(x1, x2)
    x1, x2 = torch.movedim(x1, axisa, -1), torch.movedim(x2, axisb, -1)
    sizes = (x1.shape[-1], x2.shape[-1])
    if not set(sizes) <= {2, 3}:
        raise ValueError(f"cross expected vectors of size 2 or 3, received: sizes {sizes}")
    x1, x2 = (torch.nn.functional.pad(t, (0, 3 - t.shape[-1])) for t in (x1, x2))
    x1, x2 = torch.broadcast_tensors(x1, x2)
    product = torch.linalg.cross(x1, x2, dim=-1)
    if sizes == (2, 2):
        return product[..., 2]
    return torch.movedim(product, -1, axisc)


def correlate(x1: TensorLike, x2: TensorLike, mode: str = "valid") -> Tensor:
    """Cross-correlation of two 1-D tensors (numpy's ``correlate``).

    Args:
        x1: First 1-D tensor.
        x2: Second 1-D tensor, slid along ``x1``.
        mode: ``"valid"`` (default: full overlaps only), ``"same"`` (the length of the
            longer input) or ``"full"`` (every overlap).
    """
    modes = ("valid", "same", "full")
    if mode not in modes:
        raise ValueError(f"correlate expected mode to be one of {modes}, received: mode={mode!r}")
    x1, x2 = _promoted(x1, x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(
            f"correlate expected two 1-D tensors, received: shapes {tuple(x1.shape)} and {tuple(x2.shape)}"
        )
    x1, x2 = (_floating(t) for t in (x1, x2))
    n, m = x1.shape[0], x2.shape[0]
    full = torch.nn.functional.conv1d(x1[None, None], x2.conj()[None, None], padding=m - 1)[0, 0]
    if mode == "full":
        return full
    longest, shortest = max(n, m), min(n, m)
    if mode == "valid":
        start, length = shortest - 1, longest - shortest + 1
    else:
        start, length = (shortest - 1) // 2 if n >= m else shortest // 2, longest
    return full[start : start + length]


def cdist(x: TensorLike, y: TensorLike) -> Tensor:
    """Euclidean distances between the rows of ``x`` ``(..., P, M)`` and of ``y``
    ``(..., R, M)``, as ``(..., P, R)``; batch axes broadcast."""
    x, y = (_floating(t) for t in _promoted(x, y))
    if x.ndim < 2 or y.ndim < 2 or x.shape[-1] != y.shape[-1]:
        raise ValueError(
            "cdist expected tensors of rank >= 2 with the same last axis, received: "
            f"shapes {tuple(x.shape)} and {tuple(y.shape)}"
        )
    return torch.cdist(x, y, compute_mode="donot_use_mm_for_euclid_dist")
