"""The ``Initializer`` base class and the shape, dtype and option checks shared by all."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchseq import config

__all__ = [
    "DType",
    "Initializer",
    "Shape",
]

Shape = Sequence[int] | int
DType = str | torch.dtype | None


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None) -> torch.Tensor``.

    Subclasses whose constructor arguments match the keys of ``get_config()``
    need no ``from_config``.
    """

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype)")

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-serialisable."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """Rebuild an initializer from the output of :meth:`get_config`."""
        return cls(**config)

    def clone(self) -> Initializer:
        """A new initializer with the same configuration."""
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _standardize_shape(shape: Shape) -> tuple[int, ...]:
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError as e:
        raise TypeError(f"shape must be a sequence of ints, received: shape={shape!r}") from e
    if any(isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) for dim in dims):
        raise TypeError(f"shape must be a sequence of ints, received: shape={shape!r}")
    if any(dim < 0 for dim in dims):
        raise ValueError(f"shape must not contain negative sizes, received: shape={shape!r}")
    return tuple(int(dim) for dim in dims)


def _float_dtype(dtype: DType, who: str) -> torch.dtype:
    resolved = config.standardize_dtype(dtype)
    if not resolved.is_floating_point:
        raise ValueError(
            f"{who} initializer expected a floating dtype such as 'float32', "
            f"received: dtype={dtype!r}"
        )
    return resolved


def _check_choice(name: str, value: Any, choices: Sequence[Any]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, received: {name}={value!r}")
