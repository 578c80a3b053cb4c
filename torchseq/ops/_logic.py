"""Element-wise comparisons, logical operators and NaN/infinity tests."""

from __future__ import annotations

import torch

from torchseq.ops._convert import Tensor, TensorLike, _operands, _to_tensor

__all__ = [
    "equal",
    "greater",
    "greater_equal",
    "isfinite",
    "isinf",
    "isnan",
    "less",
    "less_equal",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "not_equal",
]


def equal(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 == x2`` element-wise."""
    return torch.eq(*_operands(x1, x2))


def not_equal(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 != x2`` element-wise."""
    return torch.ne(*_operands(x1, x2))


def greater(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 > x2`` element-wise."""
    return torch.gt(*_operands(x1, x2))


def greater_equal(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 >= x2`` element-wise."""
    return torch.ge(*_operands(x1, x2))


def less(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 < x2`` element-wise."""
    return torch.lt(*_operands(x1, x2))


def less_equal(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 <= x2`` element-wise."""
    return torch.le(*_operands(x1, x2))


def logical_and(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise logical and."""
    return torch.logical_and(*_operands(x1, x2))


def logical_or(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise logical or."""
    return torch.logical_or(*_operands(x1, x2))


def logical_xor(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise logical exclusive or."""
    return torch.logical_xor(*_operands(x1, x2))


def logical_not(x: TensorLike) -> Tensor:
    """Element-wise logical not."""
    return torch.logical_not(_to_tensor(x))


def isnan(x: TensorLike) -> Tensor:
    """Where ``x`` is NaN."""
    return torch.isnan(_to_tensor(x))


def isinf(x: TensorLike) -> Tensor:
    """Where ``x`` is plus or minus infinity."""
    return torch.isinf(_to_tensor(x))


def isfinite(x: TensorLike) -> Tensor:
    """Where ``x`` is neither NaN nor infinite."""
    return torch.isfinite(_to_tensor(x))
