"""Element-wise arithmetic, rounding, clipping and selection (``where``)."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.ops._convert import Tensor, TensorLike, _floating, _operands, _promoted, _to_tensor
from torchseq.utils.integers import is_int

__all__ = [
    "abs",
    "absolute",
    "add",
    "ceil",
    "clip",
    "cos",
    "divide",
    "exp",
    "expm1",
    "floor",
    "floor_divide",
    "log",
    "log1p",
    "maximum",
    "minimum",
    "mod",
    "multiply",
    "negative",
    "power",
    "round",
    "rsqrt",
    "sign",
    "sin",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "tanh",
    "true_divide",
    "where",
]


def add(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 + x2`` with broadcasting."""
    return torch.add(*_operands(x1, x2))


def subtract(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 - x2`` with broadcasting."""
    return torch.subtract(*_operands(x1, x2))


def multiply(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 * x2`` with broadcasting."""
    return torch.multiply(*_operands(x1, x2))


def divide(x1: TensorLike, x2: TensorLike) -> Tensor:
    """True division ``x1 / x2``; integers give floats."""
    return torch.true_divide(*_operands(x1, x2))


true_divide = divide


def floor_divide(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 // x2``, rounding towards minus infinity like numpy."""
    return torch.floor_divide(*_operands(x1, x2))


def mod(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 % x2`` with the sign of ``x2`` like numpy."""
    return torch.remainder(*_operands(x1, x2))


def power(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 ** x2`` element-wise."""
    return torch.pow(*_operands(x1, x2))


def negative(x: TensorLike) -> Tensor:
    """``-x``."""
    return torch.negative(_to_tensor(x))


def abs(x: TensorLike) -> Tensor:
    """Element-wise absolute value."""
    return torch.abs(_to_tensor(x))


absolute = abs


def sign(x: TensorLike) -> Tensor:
    """-1, 0 or 1 by the sign of each element."""
    return torch.sign(_to_tensor(x))


def sqrt(x: TensorLike) -> Tensor:
    """Element-wise square root."""
    return torch.sqrt(_floating(x))


def rsqrt(x: TensorLike) -> Tensor:
    """Element-wise ``1 / sqrt(x)``."""
    return torch.rsqrt(_floating(x))


def square(x: TensorLike) -> Tensor:
    """Element-wise ``x * x``."""
    return torch.square(_to_tensor(x))


def exp(x: TensorLike) -> Tensor:
    """Element-wise exponential."""
    return torch.exp(_floating(x))


def log(x: TensorLike) -> Tensor:
    """Element-wise natural logarithm."""
    return torch.log(_floating(x))


def log1p(x: TensorLike) -> Tensor:
    """Element-wise ``log(1 + x)``, accurate for small ``x``."""
    return torch.log1p(_floating(x))


def expm1(x: TensorLike) -> Tensor:
    """Element-wise ``exp(x) - 1``, accurate for small ``x``."""
    return torch.expm1(_floating(x))


def sin(x: TensorLike) -> Tensor:
    """Element-wise sine."""
    return torch.sin(_floating(x))


def cos(x: TensorLike) -> Tensor:
    """Element-wise cosine."""
    return torch.cos(_floating(x))


def tan(x: TensorLike) -> Tensor:
    """Element-wise tangent."""
    return torch.tan(_floating(x))


def tanh(x: TensorLike) -> Tensor:
    """Element-wise hyperbolic tangent."""
    return torch.tanh(_floating(x))


def _is_number(value: Any) -> bool:
    return value is None or isinstance(value, (int, float)) or is_int(value)


def clip(x: TensorLike, x_min: TensorLike, x_max: TensorLike) -> Tensor:
    """Limit the values of ``x`` to ``[x_min, x_max]``."""
    x = _to_tensor(x)
    if _is_number(x_min) and _is_number(x_max):
        return torch.clamp(x, x_min, x_max)
    bounds = (None if b is None else _to_tensor(b, device=x.device) for b in (x_min, x_max))
    return torch.clamp(x, *bounds)


def maximum(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise maximum (NaN wins)."""
    return torch.maximum(*_promoted(x1, x2))


def minimum(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise minimum (NaN wins)."""
    return torch.minimum(*_promoted(x1, x2))


def where(
    condition: TensorLike, x1: TensorLike | None = None, x2: TensorLike | None = None
) -> Tensor:
    """Pick ``x1`` where ``condition`` holds, else ``x2``.

    With neither ``x1`` nor ``x2``, return the indices of the true elements as a
    ``(ndim, count)`` tensor, as Keras does.
    """
    if (x1 is None) != (x2 is None):
        raise ValueError(
            f"where expected both x1 and x2 or neither, received: x1={x1!r}, x2={x2!r}"
        )
    condition = _to_tensor(condition).bool()
    if x1 is None:
        return torch.stack(torch.where(condition))
    return torch.where(condition, *_promoted(x1, x2))


def round(x: TensorLike, decimals: int = 0) -> Tensor:
    """Round half to even, to ``decimals`` decimal places; integers are returned as is."""
    x = _to_tensor(x)
    return torch.round(x, decimals=decimals) if x.is_floating_point() else x


def floor(x: TensorLike) -> Tensor:
    """Element-wise floor."""
    return torch.floor(_floating(x))


def ceil(x: TensorLike) -> Tensor:
    """Element-wise ceiling."""
    return torch.ceil(_floating(x))
