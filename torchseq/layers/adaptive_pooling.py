"""Adaptive pooling: max or average pooling into a fixed output size, in 1-D, 2-D and 3-D.

The windows are torch's adaptive ones (the ``i``-th output covers input positions
``floor(i * n / out)`` to ``ceil((i + 1) * n / out)``), which are also Keras's on its torch
backend. Channels-last inputs reach torch's kernels as permuted views.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import torch

from torchseq import ops
from torchseq.layers.convolutional import _data_format
from torchseq.layers.layer import InputSpec, Layer

__all__ = [
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
]

_AXIS_NAMES = {1: "(length,)", 2: "(height, width)", 3: "(depth, height, width)"}


class _BaseAdaptivePooling(Layer):
    """Pools every spatial axis into ``output_size`` windows; subclasses set ``rank`` and
    ``_pool`` (an ``ops`` function taking ``inputs, output_size, data_format``).

    Args:
        output_size: Positive int (the same size on every spatial axis) or a tuple of
            ``rank`` positive ints.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
    """

    rank: ClassVar[int] = 0
    _pool: ClassVar[Callable[..., torch.Tensor]]

    def __init__(
        self, output_size: int | Sequence[int], data_format: str | None = None, **kwargs: Any
    ) -> None:
        layer = type(self).__name__
        output_size = _output_size(output_size, self.rank, layer)
        data_format = _data_format(data_format, layer)
        super().__init__(**kwargs)
        self.output_size = output_size
        self.data_format = data_format
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def build(self, input_shape: tuple) -> None:
        self.input_spec.check(self.name, 0, tuple(input_shape))

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return type(self)._pool(inputs, self.output_size, self.data_format)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "output_size": self.output_size,
            "data_format": self.data_format,
        }


def _output_size(value: Any, rank: int, layer: str) -> tuple[int, ...]:
    expected = f"output_size must be an int or a tuple of {rank} ints {_AXIS_NAMES[rank]}"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        values: tuple = (value,) * rank
    elif isinstance(value, (tuple, list)) and len(value) == rank:
        values = tuple(value)
    elif isinstance(value, (tuple, list)):
        raise ValueError(f"{layer}: {expected}, received: output_size={value!r}")
    else:
        raise TypeError(
            f"{layer}: {expected}, received: output_size={value!r} of type {type(value).__name__}"
        )
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in values):
        raise TypeError(f"{layer}: {expected}, received: output_size={value!r}")
    if any(v <= 0 for v in values):
        raise ValueError(f"{layer}: output_size must be positive, received: output_size={value!r}")
    return tuple(int(v) for v in values)


class _BaseAdaptiveAveragePooling(_BaseAdaptivePooling):
    _pool = staticmethod(ops.adaptive_average_pool)


class _BaseAdaptiveMaxPooling(_BaseAdaptivePooling):
    _pool = staticmethod(ops.adaptive_max_pool)


class AdaptiveAveragePooling1D(_BaseAdaptiveAveragePooling):
    """Average pooling into ``output_size`` steps; mirrors ``keras.layers.AdaptiveAveragePooling1D``.

    Args:
        output_size: Int or tuple of 1 int, the number of output steps.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, steps, channels)`` or ``(batch, channels, steps)``.
    Output shape: ``(batch, output_size, channels)`` or ``(batch, channels, output_size)``.

    Example:
        >>> AdaptiveAveragePooling1D(4)(torch.ones(2, 10, 3)).shape
        torch.Size([2, 4, 3])
    """

    rank = 1


class AdaptiveAveragePooling2D(_BaseAdaptiveAveragePooling):
    """Average pooling into an ``output_size`` grid; mirrors ``keras.layers.AdaptiveAveragePooling2D``.

    Args:
        output_size: Int or tuple ``(height, width)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, rows, cols, channels)`` or ``(batch, channels, rows, cols)``.
    Output shape: ``(batch, height, width, channels)`` or ``(batch, channels, height, width)``.

    Example:
        >>> AdaptiveAveragePooling2D((2, 3))(torch.ones(1, 7, 9, 4)).shape
        torch.Size([1, 2, 3, 4])
    """

    rank = 2


class AdaptiveAveragePooling3D(_BaseAdaptiveAveragePooling):
    """Average pooling into an ``output_size`` volume; mirrors
    ``keras.layers.AdaptiveAveragePooling3D``.

    Args:
        output_size: Int or tuple ``(depth, height, width)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, d1, d2, d3, channels)`` or ``(batch, channels, d1, d2, d3)``.
    Output shape: ``(batch, *output_size, channels)`` or ``(batch, channels, *output_size)``.

    Example:
        >>> AdaptiveAveragePooling3D(2)(torch.ones(1, 4, 5, 6, 3)).shape
        torch.Size([1, 2, 2, 2, 3])
    """

    rank = 3


class AdaptiveMaxPooling1D(_BaseAdaptiveMaxPooling):
    """Max pooling into ``output_size`` steps; mirrors ``keras.layers.AdaptiveMaxPooling1D``.

    Args:
        output_size: Int or tuple of 1 int, the number of output steps.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, steps, channels)`` or ``(batch, channels, steps)``.
    Output shape: ``(batch, output_size, channels)`` or ``(batch, channels, output_size)``.

    Example:
        >>> AdaptiveMaxPooling1D(4)(torch.ones(2, 10, 3)).shape
        torch.Size([2, 4, 3])
    """

    rank = 1


class AdaptiveMaxPooling2D(_BaseAdaptiveMaxPooling):
    """Max pooling into an ``output_size`` grid; mirrors ``keras.layers.AdaptiveMaxPooling2D``.

    Args:
        output_size: Int or tuple ``(height, width)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, rows, cols, channels)`` or ``(batch, channels, rows, cols)``.
    Output shape: ``(batch, height, width, channels)`` or ``(batch, channels, height, width)``.

    Example:
        >>> AdaptiveMaxPooling2D((2, 3))(torch.ones(1, 7, 9, 4)).shape
        torch.Size([1, 2, 3, 4])
    """

    rank = 2


class AdaptiveMaxPooling3D(_BaseAdaptiveMaxPooling):
    """Max pooling into an ``output_size`` volume; mirrors ``keras.layers.AdaptiveMaxPooling3D``.

    Args:
        output_size: Int or tuple ``(depth, height, width)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, d1, d2, d3, channels)`` or ``(batch, channels, d1, d2, d3)``.
    Output shape: ``(batch, *output_size, channels)`` or ``(batch, channels, *output_size)``.

    Example:
        >>> AdaptiveMaxPooling3D(2)(torch.ones(1, 4, 5, 6, 3)).shape
        torch.Size([1, 2, 2, 2, 3])
    """

    rank = 3
