"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector.

They move no data where torch can avoid it: Flatten and Reshape return views of
contiguous inputs, Permute returns a permuted view and RepeatVector an expanded one.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from torchseq import config
from torchseq.layers.layer import InputSpec, Layer
from torchseq.layers.symbolic import KerasTensor
from torchseq.utils.integers import is_int

__all__ = ["Flatten", "Permute", "RepeatVector", "Reshape"]


class _ShapeLayer(Layer):
    """A layer that only rearranges its input, so the output keeps the input's dtype."""

    def build(self, input_shape: tuple) -> None:
        # The base checks input_spec only once built; the first call must be checked too.
        if self.input_spec is not None:
            self.input_spec.check(self.name, 0, tuple(input_shape))

    def compute_output_spec(self, inputs: KerasTensor, *args: Any, **kwargs: Any) -> KerasTensor:
        return KerasTensor(self.compute_output_shape(inputs.shape), inputs.dtype)


class Flatten(_ShapeLayer):
    """Flattens every axis but the batch axis; mirrors ``keras.layers.Flatten``.

    A channels_first input is first put in channels_last order, as Keras does, so a
    following Dense kernel means the same in both frameworks whatever the data format.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.

    Input shape: ``(batch, ...)``. Output shape: ``(batch, product of the other sizes)``;
    a rank-1 input ``(batch,)`` gives ``(batch, 1)``.

    Example:
        >>> Flatten()(torch.zeros(2, 3, 4)).shape
        torch.Size([2, 12])
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        try:
            data_format = config.standardize_data_format(data_format)
        except ValueError as error:
            raise ValueError(f"Flatten: {error}") from error
        super().__init__(**kwargs)
        self.data_format = data_format
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = inputs.movedim(1, -1)
        return inputs.reshape(inputs.shape[0], math.prod(inputs.shape[1:]))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        sizes = input_shape[1:]
        flat = None if any(size is None for size in sizes) else math.prod(sizes)
        return (input_shape[0], flat)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(_ShapeLayer):
    """Reshapes every sample to ``target_shape``; mirrors ``keras.layers.Reshape``.

    Args:
        target_shape: The new shape of one sample (no batch axis): non-negative ints, and
            at most one ``-1`` for a size inferred from the others.

    Input shape: ``(batch, ...)`` with as many elements per sample as ``target_shape``.
    Output shape: ``(batch, *target_shape)``.

    Example:
        >>> Reshape((-1, 2))(torch.zeros(5, 6)).shape
        torch.Size([5, 3, 2])
    """

    def __init__(self, target_shape: Any, **kwargs: Any) -> None:
        target_shape = _standardize_target_shape(target_shape)
        super().__init__(**kwargs)
        self.target_shape = target_shape

    def build(self, input_shape: tuple) -> None:
        super().build(input_shape)
        self._resolve_target(input_shape[1:])

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.reshape(inputs.shape[0], *self._resolve_target(inputs.shape[1:]))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], *self._resolve_target(input_shape[1:]))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": self.target_shape}

    def _resolve_target(self, sample_shape: tuple) -> tuple:
        """``target_shape`` with its -1 worked out (``None`` while the input has unknown sizes)."""
        if any(size is None for size in sample_shape):
            return tuple(None if size == -1 else size for size in self.target_shape)
        size = math.prod(sample_shape)
        known = math.prod(dim for dim in self.target_shape if dim != -1)
        if -1 not in self.target_shape:
            if size == known:
                return self.target_shape
        elif known != 0 and size % known == 0:
            return tuple(size // known if dim == -1 else dim for dim in self.target_shape)
        raise ValueError(
            f'Layer "{self.name}": cannot reshape an input of shape {(None, *sample_shape)} '
            f"({size} elements per sample) to target_shape={self.target_shape}"
        )


class Permute(_ShapeLayer):
    """Permutes the non-batch axes; mirrors ``keras.layers.Permute``.

    Args:
        dims: A permutation of ``1..rank-1`` (1-based, the batch axis excluded):
            ``(2, 1)`` swaps the two axes of a ``(batch, a, b)`` input.

    Input shape: ``(batch, d1, ..., dn)`` with ``n == len(dims)``.
    Output shape: the input's axes reordered by ``dims``. The result is a view.

    Example:
        >>> Permute((2, 1))(torch.zeros(2, 3, 4)).shape
        torch.Size([2, 4, 3])
    """

    def __init__(self, dims: Any, **kwargs: Any) -> None:
        dims = _standardize_dims(dims)
        super().__init__(**kwargs)
        self.dims = dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.permute(0, *self.dims)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], *(input_shape[dim] for dim in self.dims))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(_ShapeLayer):
    """Repeats a vector ``n`` times along a new axis 1; mirrors ``keras.layers.RepeatVector``.

    The result is an expanded view of the input (no copy): write to it only after
    ``.clone()``.

    Args:
        n: Positive int, the number of repetitions.

    Input shape: ``(batch, features)``. Output shape: ``(batch, n, features)``.

    Example:
        >>> RepeatVector(3)(torch.zeros(2, 4)).shape
        torch.Size([2, 3, 4])
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        if not is_int(n):
            raise TypeError(
                f"RepeatVector: n must be an int, received: n={n!r} of type {type(n).__name__}"
            )
        if n <= 0:
            raise ValueError(f"RepeatVector: n must be a positive integer, received: n={n}")
        super().__init__(**kwargs)
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.unsqueeze(1).expand(-1, self.n, -1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}


def _standardize_target_shape(target_shape: Any) -> tuple[int, ...]:
    if is_int(target_shape):
        target_shape = (target_shape,)
    if not isinstance(target_shape, (tuple, list, torch.Size)) or not all(
        is_int(dim) for dim in target_shape
    ):
        raise TypeError(
            "Reshape: target_shape must be a tuple of ints, received: "
            f"target_shape={target_shape!r}"
        )
    target_shape = tuple(int(dim) for dim in target_shape)
    if any(dim < -1 for dim in target_shape) or target_shape.count(-1) > 1:
        raise ValueError(
            "Reshape: target_shape must hold non-negative ints and at most one -1 (a size "
            f"inferred from the others), received: target_shape={target_shape}"
        )
    return target_shape


def _standardize_dims(dims: Any) -> tuple[int, ...]:
    if not isinstance(dims, (tuple, list)) or not all(
        is_int(dim) for dim in dims
    ):
        raise TypeError(f"Permute: dims must be a tuple of ints, received: dims={dims!r}")
    dims = tuple(int(dim) for dim in dims)
    if sorted(dims) != list(range(1, len(dims) + 1)):
        raise ValueError(
            "Permute: dims must be a permutation of 1..n, the non-batch axes counted from 1 "
            f"(e.g. (2, 1)); expected a reordering of {tuple(range(1, len(dims) + 1))}, "
            f"received: dims={dims}"
        )
    return dims
