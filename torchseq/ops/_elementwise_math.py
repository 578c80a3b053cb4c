"""Transcendental element-wise functions: inverse trigonometry, hyperbolics, logarithms in
other bases, ``logaddexp``, ``hypot``, error functions and friends.

Integer inputs give ``floatx`` results, as in Keras.
"""

from __future__ import annotations

import math

import torch

from torchseq.ops._convert import Tensor, TensorLike, _floating, _promoted

__all__ = [
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "cbrt",
    "cosh",
    "deg2rad",
    "erf",
    "erfc",
    "erfinv",
    "exp2",
    "hypot",
    "i0",
    "log2",
    "log10",
    "logaddexp",
    "logaddexp2",
    "rad2deg",
    "sinc",
    "sinh",
]


def _floating_pair(x1: TensorLike, x2: TensorLike) -> list[Tensor]:
    """Both operands in their common dtype, made floating point if it is not."""
    return [_floating(t) for t in _promoted(x1, x2)]


def arccos(x: TensorLike) -> Tensor:
    """Element-wise inverse cosine, in radians."""
    return torch.arccos(_floating(x))


def arcsin(x: TensorLike) -> Tensor:
    """Element-wise inverse sine, in radians."""
    return torch.arcsin(_floating(x))


def arctan(x: TensorLike) -> Tensor:
    """Element-wise inverse tangent, in radians."""
    return torch.arctan(_floating(x))


def arctan2(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise angle of the point ``(x2, x1)``: ``arctan(x1 / x2)`` in the right quadrant."""
    return torch.arctan2(*_floating_pair(x1, x2))


def arccosh(x: TensorLike) -> Tensor:
    """Element-wise inverse hyperbolic cosine."""
    return torch.arccosh(_floating(x))


def arcsinh(x: TensorLike) -> Tensor:
    """Element-wise inverse hyperbolic sine."""
    return torch.arcsinh(_floating(x))


def arctanh(x: TensorLike) -> Tensor:
    """Element-wise inverse hyperbolic tangent."""
    return torch.arctanh(_floating(x))


def cosh(x: TensorLike) -> Tensor:
    """Element-wise hyperbolic cosine."""
    return torch.cosh(_floating(x))


def sinh(x: TensorLike) -> Tensor:
    """Element-wise hyperbolic sine."""
    return torch.sinh(_floating(x))


def exp2(x: TensorLike) -> Tensor:
    """Element-wise ``2 ** x``."""
    return torch.exp2(_floating(x))


def log2(x: TensorLike) -> Tensor:
    """Element-wise base-2 logarithm."""
    return torch.log2(_floating(x))


def log10(x: TensorLike) -> Tensor:
    """Element-wise base-10 logarithm."""
    return torch.log10(_floating(x))


def logaddexp(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise ``log(exp(x1) + exp(x2))``, computed without overflow."""
    return torch.logaddexp(*_floating_pair(x1, x2))


def logaddexp2(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise ``log2(2 ** x1 + 2 ** x2)``, computed without overflow."""
    return torch.logaddexp2(*_floating_pair(x1, x2))


def hypot(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise ``sqrt(x1 ** 2 + x2 ** 2)``, the hypotenuse of a right triangle."""
    return torch.hypot(*_floating_pair(x1, x2))


def cbrt(x: TensorLike) -> Tensor:
    """Element-wise real cube root (negative for negative ``x``)."""
    x = _floating(x)
    return torch.sign(x) * torch.abs(x).pow(1.0 / 3.0)


def deg2rad(x: TensorLike) -> Tensor:
    """Degrees to radians."""
    return _floating(x) * (math.pi / 180.0)


def rad2deg(x: TensorLike) -> Tensor:
    """Radians to degrees."""
    return _floating(x) * (180.0 / math.pi)


def sinc(x: TensorLike) -> Tensor:
    """Normalised sinc: ``sin(pi * x) / (pi * x)``, 1 at 0."""
    return torch.sinc(_floating(x))


def i0(x: TensorLike) -> Tensor:
    """Modified Bessel function of the first kind, order 0."""
    return torch.special.i0(_floating(x))


def erf(x: TensorLike) -> Tensor:
    """Element-wise Gauss error function."""
    return torch.erf(_floating(x))


def erfc(x: TensorLike) -> Tensor:
    """Element-wise complementary error function ``1 - erf(x)``, accurate for large ``x``."""
    return torch.erfc(_floating(x))


def erfinv(x: TensorLike) -> Tensor:
    """Element-wise inverse of ``erf`` on ``(-1, 1)``."""
    return torch.erfinv(_floating(x))
