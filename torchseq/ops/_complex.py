"""Complex numbers: real and imaginary parts, conjugates, angles, and the float views."""

from __future__ import annotations

import torch

from torchseq.ops._convert import Tensor, TensorLike, _floating, _to_tensor

__all__ = [
    "angle",
    "conj",
    "conjugate",
    "imag",
    "isreal",
    "real",
    "view_as_complex",
    "view_as_real",
]


def real(x: TensorLike) -> Tensor:
    """The real part (a real tensor is returned as it is)."""
    x = _to_tensor(x)
    return x.real if x.is_complex() else x


def imag(x: TensorLike) -> Tensor:
    """The imaginary part (zeros for a real tensor)."""
    x = _to_tensor(x)
    return x.imag if x.is_complex() else torch.zeros_like(x)


def conjugate(x: TensorLike) -> Tensor:
    """The complex conjugate (a real tensor is returned as it is)."""
    x = _to_tensor(x)
    return torch.conj_physical(x) if x.is_complex() else x


def conj(x: TensorLike) -> Tensor:
    """The complex conjugate (the same as ``conjugate``)."""
    return conjugate(x)


def angle(x: TensorLike) -> Tensor:
    """The argument of each element, in radians (0 or pi for real numbers)."""
    return torch.angle(_floating(x))


def isreal(x: TensorLike) -> Tensor:
    """Where the imaginary part is zero (everywhere, for a real tensor)."""
    x = _to_tensor(x)
    return torch.isreal(x)


def view_as_complex(x: TensorLike) -> Tensor:
    """A ``(..., 2)`` float tensor of (real, imaginary) pairs as a complex tensor ``(...)``."""
    x = _floating(x)
    if x.ndim == 0 or x.shape[-1] != 2:
        raise ValueError(
            f"view_as_complex expected a last axis of size 2 (real, imaginary), "
            f"received: shape {tuple(x.shape)}"
        )
    return torch.view_as_complex(x.contiguous())


def view_as_real(x: TensorLike) -> Tensor:
    """A complex tensor ``(...)`` as a float tensor ``(..., 2)`` of (real, imaginary) pairs."""
    x = _to_tensor(x)
    if not x.is_complex():
        raise ValueError(f"view_as_real expected a complex tensor, received: dtype {x.dtype}")
    return torch.view_as_real(x)
