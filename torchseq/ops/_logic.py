"""Element-wise comparisons, logical operators, closeness, membership and NaN/infinity tests."""

from __future__ import annotations

import torch

from torchseq.ops._convert import Tensor, TensorLike, _operands, _promoted, _to_tensor

__all__ = [
    "allclose",
    "equal",
    "greater",
    "greater_equal",
    "isclose",
    "isfinite",
    "isin",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
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


def isneginf(x: TensorLike) -> Tensor:
    """Where ``x`` is minus infinity."""
    return torch.isneginf(_to_tensor(x))


def isposinf(x: TensorLike) -> Tensor:
    """Where ``x`` is plus infinity."""
    return torch.isposinf(_to_tensor(x))


def isclose(
    x1: TensorLike,
    x2: TensorLike,
    rtol: TensorLike = 1e-05,
    atol: TensorLike = 1e-08,
    equal_nan: bool = False,
) -> Tensor:
    """Where ``|x1 - x2| <= atol + rtol * |x2|`` (numpy's asymmetric test).

    Args:
        x1: First tensor.
        x2: Second tensor; the relative tolerance scales with its magnitude.
        rtol: Relative tolerance. Defaults to ``1e-05``.
        atol: Absolute tolerance. Defaults to ``1e-08``.
        equal_nan: Whether two NaNs count as close. Defaults to ``False``.
    """
    x1, x2 = _promoted(x1, x2)
    return torch.isclose(x1, x2, rtol=float(rtol), atol=float(atol), equal_nan=equal_nan)


def allclose(
    x1: TensorLike,
    x2: TensorLike,
    rtol: float = 1e-05,
    atol: float = 1e-08,
    equal_nan: bool = False,
) -> Tensor:
    """Whether ``isclose`` holds everywhere, as a boolean scalar tensor."""
    return torch.all(isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isin(
    x1: TensorLike, x2: TensorLike, assume_unique: bool = False, invert: bool = False
) -> Tensor:
    """Where the elements of ``x1`` occur in ``x2`` (anywhere); ``invert`` negates."""
    x1, x2 = _promoted(x1, x2)
    if x1.dtype == torch.bool:  # torch.isin has no boolean kernel
        x1, x2 = x1.to(torch.uint8), x2.to(torch.uint8)
    return torch.isin(x1, x2, assume_unique=assume_unique, invert=invert)
