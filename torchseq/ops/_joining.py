"""numpy's joining and splitting shortcuts: ``append``, ``hstack``/``vstack``/``dstack`` and
``array_split``/``hsplit``/``vsplit``/``dsplit``."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from torchseq.ops._convert import Tensor, TensorLike, _promoted, _sections, _to_tensor

__all__ = [
    "append",
    "array_split",
    "dsplit",
    "dstack",
    "hsplit",
    "hstack",
    "vsplit",
    "vstack",
]


def append(x1: TensorLike, x2: TensorLike, axis: int | None = None) -> Tensor:
    """``x2`` joined after ``x1`` along ``axis`` (``None``: both flattened first)."""
    x1, x2 = _promoted(x1, x2)
    if axis is None:
        return torch.cat([x1.reshape(-1), x2.reshape(-1)])
    return torch.cat([x1, x2], dim=axis)


def hstack(xs: Sequence[TensorLike]) -> Tensor:
    """Join along the second axis (the first, for 1-D tensors)."""
    return torch.hstack(_promoted(*xs))


def vstack(xs: Sequence[TensorLike]) -> Tensor:
    """Join along the first axis, 1-D tensors becoming rows."""
    return torch.vstack(_promoted(*xs))


def dstack(xs: Sequence[TensorLike]) -> Tensor:
    """Join along the third axis, lower-rank tensors padded to rank 3 first."""
    return torch.dstack(_promoted(*xs))


def array_split(x: TensorLike, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """``split`` that allows an int not dividing the axis: the first parts get one more."""
    return list(torch.tensor_split(_to_tensor(x), _sections(indices_or_sections), dim=axis))


def _split_along(
    x: TensorLike, indices_or_sections: int | Sequence[int], axis: int, name: str, min_rank: int
) -> list[Tensor]:
    x = _to_tensor(x)
    if x.ndim < min_rank:
        raise ValueError(f"{name} expected a tensor of rank >= {min_rank}, received: shape {tuple(x.shape)}")
    axis = 0 if name == "hsplit" and x.ndim == 1 else axis
    sections = _sections(indices_or_sections)
    if isinstance(sections, int) and x.shape[axis] % sections:
        raise ValueError(
            f"{name} expected indices_or_sections to divide the axis length {x.shape[axis]} "
            f"evenly, received: indices_or_sections={indices_or_sections}"
        )
    return list(torch.tensor_split(x, sections, dim=axis))


def hsplit(x: TensorLike, indices_or_sections: int | Sequence[int]) -> list[Tensor]:
    """``split`` along the second axis (the first, for 1-D tensors)."""
    return _split_along(x, indices_or_sections, 1, "hsplit", 1)


def vsplit(x: TensorLike, indices_or_sections: int | Sequence[int]) -> list[Tensor]:
    """``split`` along the first axis of a tensor of rank 2 or more."""
    return _split_along(x, indices_or_sections, 0, "vsplit", 2)


def dsplit(x: TensorLike, indices_or_sections: int | Sequence[int]) -> list[Tensor]:
    """``split`` along the third axis of a tensor of rank 3 or more."""
    return _split_along(x, indices_or_sections, 2, "dsplit", 3)
