"""Bitwise operators on integer (and boolean) tensors."""

from __future__ import annotations

import torch

from torchseq.ops._convert import Tensor, TensorLike, _promoted, _to_tensor

__all__ = [
    "bitwise_and",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "left_shift",
    "right_shift",
]


def _integers(x: TensorLike, y: TensorLike, name: str) -> list[Tensor]:
    tensors = _promoted(x, y)
    if tensors[0].is_floating_point() or tensors[0].is_complex():
        raise TypeError(
            f"{name} expected integer or boolean tensors, received: dtype {tensors[0].dtype}"
        )
    return tensors


def bitwise_and(x: TensorLike, y: TensorLike) -> Tensor:
    """Element-wise ``x & y``."""
    return torch.bitwise_and(*_integers(x, y, "bitwise_and"))


def bitwise_or(x: TensorLike, y: TensorLike) -> Tensor:
    """Element-wise ``x | y``."""
    return torch.bitwise_or(*_integers(x, y, "bitwise_or"))


def bitwise_xor(x: TensorLike, y: TensorLike) -> Tensor:
    """Element-wise ``x ^ y``."""
    return torch.bitwise_xor(*_integers(x, y, "bitwise_xor"))


def bitwise_invert(x: TensorLike) -> Tensor:
    """Element-wise ``~x``."""
    return torch.bitwise_not(_to_tensor(x))


def bitwise_not(x: TensorLike) -> Tensor:
    """Element-wise ``~x`` (the same as ``bitwise_invert``)."""
    return torch.bitwise_not(_to_tensor(x))


def bitwise_left_shift(x: TensorLike, y: TensorLike) -> Tensor:
    """Element-wise ``x << y``."""
    return torch.bitwise_left_shift(*_integers(x, y, "bitwise_left_shift"))


def left_shift(x: TensorLike, y: TensorLike) -> Tensor:
    """Element-wise ``x << y`` (the same as ``bitwise_left_shift``)."""
    return torch.bitwise_left_shift(*_integers(x, y, "left_shift"))


def bitwise_right_shift(x: TensorLike, y: TensorLike) -> Tensor:
    """Element-wise ``x >> y``, arithmetic (the sign is kept)."""
    return torch.bitwise_right_shift(*_integers(x, y, "bitwise_right_shift"))


def right_shift(x: TensorLike, y: TensorLike) -> Tensor:
    """Element-wise ``x >> y`` (the same as ``bitwise_right_shift``)."""
    return torch.bitwise_right_shift(*_integers(x, y, "right_shift"))
