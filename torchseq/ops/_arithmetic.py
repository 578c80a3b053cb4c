"""More element-wise arithmetic: ``reciprocal``, ``trunc``, ``fmod``, ``fmax``/``fmin``,
``divide_no_nan``, ``heaviside``, ``ldexp``, ``nextafter``, ``gcd``/``lcm``, ``signbit`` and
``nan_to_num``."""

from __future__ import annotations

import torch

from torchseq.ops._convert import Tensor, TensorLike, _floating, _operands, _promoted, _to_tensor

__all__ = [
    "divide_no_nan",
    "fabs",
    "fmax",
    "fmin",
    "fmod",
    "gcd",
    "heaviside",
    "lcm",
    "ldexp",
    "nan_to_num",
    "nextafter",
    "reciprocal",
    "signbit",
    "trunc",
]


def reciprocal(x: TensorLike) -> Tensor:
    """Element-wise ``1 / x``; integers give ``floatx`` results."""
    return torch.reciprocal(_floating(x))


def trunc(x: TensorLike) -> Tensor:
    """Round towards zero; integers are returned as they are."""
    x = _to_tensor(x)
    return torch.trunc(x) if x.is_floating_point() else x


def fabs(x: TensorLike) -> Tensor:
    """Element-wise absolute value as a float (numpy's ``fabs``)."""
    return torch.abs(_floating(x))


def fmod(x1: TensorLike, x2: TensorLike) -> Tensor:
    """C's remainder: the result takes the sign of ``x1`` (``mod`` takes that of ``x2``)."""
    return torch.fmod(*_promoted(x1, x2))


def fmax(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise maximum that ignores NaN (it wins only against another NaN)."""
    return torch.fmax(*_promoted(x1, x2))


def fmin(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise minimum that ignores NaN (it wins only against another NaN)."""
    return torch.fmin(*_promoted(x1, x2))


def divide_no_nan(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 / x2``, but 0 wherever ``x2`` is 0 (instead of infinity or NaN)."""
    x1, x2 = (_floating(t) for t in _promoted(x1, x2))
    zero = x2 == 0
    return torch.where(zero, torch.zeros_like(x1), x1 / torch.where(zero, torch.ones_like(x2), x2))


def heaviside(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Step function: 0 where ``x1 < 0``, 1 where ``x1 > 0``, ``x2`` where ``x1 == 0``."""
    return torch.heaviside(*(_floating(t) for t in _promoted(x1, x2)))


def ldexp(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 * 2 ** x2`` element-wise; ``x2`` must hold integers."""
    x1, x2 = _operands(x1, x2)
    if x2.is_floating_point() or x2.is_complex():
        raise TypeError(f"ldexp expected integer exponents x2, received: dtype {x2.dtype}")
    return torch.ldexp(_floating(x1), x2)


def nextafter(x1: TensorLike, x2: TensorLike) -> Tensor:
    """The next representable float after ``x1`` in the direction of ``x2``.

    Computed in the inputs' own float dtype, as numpy does (Keras computes in float64 and
    rounds back, which returns ``x1`` unchanged for float32 inputs).
    """
    return torch.nextafter(*(_floating(t) for t in _promoted(x1, x2)))


def gcd(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise greatest common divisor of integers."""
    return torch.gcd(*_promoted(x1, x2))


def lcm(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise least common multiple of integers."""
    return torch.lcm(*_promoted(x1, x2))


def signbit(x: TensorLike) -> Tensor:
    """Where the sign bit is set (true for ``-0.0`` too)."""
    return torch.signbit(_to_tensor(x))


def nan_to_num(
    x: TensorLike, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    """Replace NaN by ``nan`` and infinities by ``posinf``/``neginf`` (default: the dtype's
    largest and smallest finite values). Integer tensors are returned as they are."""
    x = _to_tensor(x)
    if not (x.is_floating_point() or x.is_complex()):
        return x
    return torch.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)
