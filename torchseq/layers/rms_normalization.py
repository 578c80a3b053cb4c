"""RMSNormalization: divide by the root mean square over some axes, then scale."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from torchseq.layers._normalization_utils import _non_negative
from torchseq.layers.layer import Layer

__all__ = ["RMSNormalization"]


class RMSNormalization(Layer):
    """``x / sqrt(mean(x**2) + epsilon) * scale`` over the given axes (Zhang & Sennrich, 2019).

    Mirrors ``keras.layers.RMSNormalization``. Unlike ``LayerNormalization``, nothing is
    subtracted. The statistics are computed in float32 at least (as Keras does), and
    normalising the trailing axes runs as one ``F.rms_norm``. The learned ``scale`` starts
    at ones and has the sizes of the normalised axes, in increasing axis order.

    Args:
        axis: Int or list of ints, the axes to normalise over. Default ``-1``.
        epsilon: Small float added to the mean square. Default ``1e-6``.

    Input shape: any, with the normalised axes known. Output shape: same as the input.

    Example:
        >>> layer = RMSNormalization()
        >>> layer(torch.ones(2, 3, 4)).shape
        torch.Size([2, 3, 4])
    """

    def __init__(
        self, axis: int | Sequence[int] = -1, epsilon: float = 1e-6, **kwargs: Any
    ) -> None:
        axes = [axis] if isinstance(axis, numbers.Integral) else axis
        if (
            isinstance(axis, bool)
            or not isinstance(axes, (list, tuple))
            or not axes
            or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes)
        ):
            raise TypeError(
                "RMSNormalization: axis must be an int or a non-empty list of ints, "
                f"received: axis={axis!r}"
            )
        if len(set(axes)) != len(axes):
            raise ValueError(
                f"RMSNormalization: axis must not repeat an axis, received: axis={axis!r}"
            )
        epsilon = _non_negative("RMSNormalization", "epsilon", epsilon)
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)
        self.epsilon = epsilon
        self.supports_masking = True
        self._axes = [int(a) for a in axes]
        self._positive_axes: list[int] = []
        self._trailing = False
        self._lazy_weight("scale")

    def build(self, input_shape: tuple) -> None:
        rank = len(input_shape)
        self._positive_axes = self._resolve_axes(rank, input_shape)
        shape = tuple(input_shape[a] for a in self._positive_axes)
        if None in shape:
            raise ValueError(
                f'RMSNormalization layer "{self.name}": the sizes of the normalised axes '
                f"{self.axis} must be known, received input shape {tuple(input_shape)}"
            )
        self._trailing = self._positive_axes == list(range(rank - len(shape), rank))
        self.add_weight(shape=shape, initializer="ones", name="scale")

    def _resolve_axes(self, rank: int, input_shape: tuple) -> list[int]:
        if any(not -rank <= a < rank for a in self._axes):
            raise ValueError(
                f'RMSNormalization layer "{self.name}": axis {self.axis} is out of bounds for '
                f"input shape {tuple(input_shape)} (rank {rank})"
            )
        return sorted(a % rank for a in self._axes)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs.to(torch.promote_types(inputs.dtype, torch.float32))
        scale = self.scale.to(x.dtype)
        if self._trailing:
            outputs = F.rms_norm(x, scale.shape, scale, self.epsilon)
        else:
            mean_square = x.square().mean(dim=self._positive_axes, keepdim=True)
            shape = [x.shape[a] if a in self._positive_axes else 1 for a in range(x.ndim)]
            outputs = x * torch.rsqrt(mean_square + self.epsilon) * scale.reshape(shape)
        return outputs.to(inputs.dtype)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._resolve_axes(len(input_shape), input_shape)
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
