"""Pooling layers: max and average pooling over windows (``_BasePooling``) and over the whole
spatial extent (``_BaseGlobalPooling``), in 1-D, 2-D and 3-D.

"same" padding follows Keras (TensorFlow's convention): the output size is
``ceil(size / stride)``, an odd total padding puts the extra element at the end, max pooling
ignores the padding and average pooling divides by the number of real input elements in each
window. Channels-last inputs reach torch's kernels as permuted views, never as copies.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from torchseq.layers.convolutional import (
    _data_format,
    _from_torch_layout,
    _int_tuple,
    _lift,
    _output_size,
    _pad_asymmetric,
    _padding_mode,
    _Pads,
    _same_pads,
    _to_torch_layout,
)
from torchseq.layers.layer import InputSpec, Layer

__all__ = [
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
]


_PoolFunctions = dict[int, Callable[..., torch.Tensor]]


class _BasePooling(Layer):
    """Max or average over sliding windows; subclasses set ``rank``, ``_torch_pool`` and ``_pool_same``.

    Args:
        pool_size: Int or tuple of ``rank`` ints, the window size (default 2).
        strides: Int or tuple of ``rank`` ints; default ``None`` means ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (case-insensitive).
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
    """

    rank: int = 0
    # The torch op per rank; rank 1 runs as 2-D over a unit height axis.
    _pool_functions: ClassVar[_PoolFunctions]

    def __init__(
        self,
        pool_size: int | Sequence[int] = 2,
        strides: int | Sequence[int] | None = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        layer = type(self).__name__
        pool_size = _int_tuple(pool_size, self.rank, layer, "pool_size")
        strides = pool_size if strides is None else _int_tuple(strides, self.rank, layer, "strides")
        padding = _padding_mode(padding, ("valid", "same"), layer)
        data_format = _data_format(data_format, layer)
        super().__init__(**kwargs)
        self.pool_size = pool_size
        self.strides = strides
        self.padding = padding
        self.data_format = data_format
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._channels_last = data_format == "channels_last"
        self._torch_pool_size = _lift(pool_size, self.rank, 1)
        self._torch_strides = _lift(strides, self.rank, 1)
        self._torch_pool = self._pool_functions[self.rank]

    def build(self, input_shape: tuple) -> None:
        self.input_spec.check(self.name, 0, tuple(input_shape))
        self.compute_output_shape(input_shape)  # rejects windows larger than the input

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = _to_torch_layout(inputs, self._channels_last, self.rank)
        if self.padding == "valid":
            outputs = self._torch_pool(x, self._torch_pool_size, self._torch_strides)
        else:
            sizes = x.shape[-self.rank :]
            pads = [_same_pads(*args) for args in zip(sizes, self.pool_size, self.strides)]
            outputs = self._pool_same(x, pads)
        return _from_torch_layout(outputs, self._channels_last, self.rank)

    def _pool_same(self, x: torch.Tensor, pads: _Pads) -> torch.Tensor:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        spatial = input_shape[1:-1] if self._channels_last else input_shape[2:]
        output_spatial = tuple(
            _output_size(size, window, stride, self.padding)
            for size, window, stride in zip(spatial, self.pool_size, self.strides)
        )
        if any(size is not None and size <= 0 for size in output_spatial):
            raise ValueError(
                f'{type(self).__name__} "{self.name}": with padding="valid" the pooling window '
                f"must fit in the input, but pool_size={self.pool_size} is larger than the "
                f"input's spatial size {tuple(spatial)} (input shape {input_shape})"
            )
        if self._channels_last:
            return (input_shape[0], *output_spatial, input_shape[-1])
        return (input_shape[0], input_shape[1], *output_spatial)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }


class _BaseMaxPooling(_BasePooling):
    _pool_functions: ClassVar[_PoolFunctions] = {1: F.max_pool2d, 2: F.max_pool2d, 3: F.max_pool3d}

    def _pool_same(self, x: torch.Tensor, pads: _Pads) -> torch.Tensor:
        # -inf never wins a max, so padded elements are ignored.
        x, padding = _pad_asymmetric(x, _lift(pads, self.rank, (0, 0)), -math.inf)
        return self._torch_pool(x, self._torch_pool_size, self._torch_strides, padding)


class _BaseAveragePooling(_BasePooling):
    _pool_functions: ClassVar[_PoolFunctions] = {1: F.avg_pool2d, 2: F.avg_pool2d, 3: F.avg_pool3d}

    def _pool_same(self, x: torch.Tensor, pads: _Pads) -> torch.Tensor:
        x_padded, padding = _pad_asymmetric(x, _lift(pads, self.rank, (0, 0)), 0.0)
        if x_padded is x:  # torch excludes its own (symmetric) padding from the divisor
            return self._torch_pool(
                x, self._torch_pool_size, self._torch_strides, padding, count_include_pad=False
            )
        # Uneven padding was added as zeros: average over the whole window, then rescale
        # each output by window size / number of real elements in it.
        outputs = self._torch_pool(
            x_padded, self._torch_pool_size, self._torch_strides, padding, count_include_pad=True
        )
        sizes = x.shape[-self.rank :]
        return outputs * _real_element_scale(sizes, self.pool_size, self.strides, pads, outputs)


def _real_element_scale(
    sizes: Sequence[int],
    pool_size: Sequence[int],
    strides: Sequence[int],
    pads: _Pads,
    like: torch.Tensor,
) -> torch.Tensor:
    """``prod(pool_size) / real elements`` per output position, shaped ``(*out_spatial)``."""
    scale = torch.ones((), dtype=like.dtype, device=like.device)
    axes = len(sizes)
    for axis, (size, window, stride, (before, _)) in enumerate(
        zip(sizes, pool_size, strides, pads)
    ):
        starts = torch.arange(-(-size // stride), device=like.device) * stride - before
        real = (starts + window).clamp(max=size) - starts.clamp(min=0)
        shape = [1] * axes
        shape[axis] = -1
        scale = scale * (window / real.to(like.dtype)).reshape(shape)
    return scale


class MaxPooling1D(_BaseMaxPooling):
    """Max over windows of steps; mirrors ``keras.layers.MaxPooling1D`` (alias ``MaxPool1D``).

    Args:
        pool_size: Int, the window size (default 2).
        strides: Int or ``None`` (default: ``pool_size``).
        padding: ``"valid"`` or ``"same"`` (padding is ignored by the max).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, steps, channels)`` or ``(batch, channels, steps)``.
    Output shape: ``(batch, pooled_steps, channels)`` or ``(batch, channels, pooled_steps)``.

    Example:
        >>> MaxPooling1D(2)(torch.ones(1, 5, 3)).shape
        torch.Size([1, 2, 3])
    """

    rank = 1


class MaxPooling2D(_BaseMaxPooling):
    """Max over windows of rows and columns; mirrors ``keras.layers.MaxPooling2D``
    (alias ``MaxPool2D``).

    Args:
        pool_size: Int or tuple of 2 ints (default ``(2, 2)``).
        strides: Int, tuple of 2 ints, or ``None`` (default: ``pool_size``).
        padding: ``"valid"`` or ``"same"`` (padding is ignored by the max).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, rows, cols, channels)`` or ``(batch, channels, rows, cols)``.
    Output shape: ``(batch, pooled_rows, pooled_cols, channels)`` or channels first.

    Example:
        >>> MaxPooling2D(3)(torch.ones(1, 121, 121, 32)).shape
        torch.Size([1, 40, 40, 32])
    """

    rank = 2


class MaxPooling3D(_BaseMaxPooling):
    """Max over windows of a volume; mirrors ``keras.layers.MaxPooling3D`` (alias ``MaxPool3D``).

    Args:
        pool_size: Int or tuple of 3 ints (default ``(2, 2, 2)``).
        strides: Int, tuple of 3 ints, or ``None`` (default: ``pool_size``).
        padding: ``"valid"`` or ``"same"`` (padding is ignored by the max).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, dim1, dim2, dim3, channels)`` or ``(batch, channels, dim1, dim2, dim3)``.
    Output shape: ``(batch, pooled_dim1, pooled_dim2, pooled_dim3, channels)`` or channels first.

    Example:
        >>> MaxPooling3D(2)(torch.ones(1, 4, 5, 6, 3)).shape
        torch.Size([1, 2, 2, 3, 3])
    """

    rank = 3


class AveragePooling1D(_BaseAveragePooling):
    """Mean over windows of steps; mirrors ``keras.layers.AveragePooling1D`` (alias
    ``AvgPool1D``).

    Args:
        pool_size: Int, the window size. Keras 3 requires it; the default 2 is Keras 2's.
        strides: Int or ``None`` (default: ``pool_size``).
        padding: ``"valid"`` or ``"same"`` (border windows average their real elements only).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, steps, channels)`` or ``(batch, channels, steps)``.
    Output shape: ``(batch, pooled_steps, channels)`` or ``(batch, channels, pooled_steps)``.

    Example:
        >>> AveragePooling1D(2)(torch.ones(1, 5, 3)).shape
        torch.Size([1, 2, 3])
    """

    rank = 1


class AveragePooling2D(_BaseAveragePooling):
    """Mean over windows of rows and columns; mirrors ``keras.layers.AveragePooling2D``
    (alias ``AvgPool2D``).

    Args:
        pool_size: Int or tuple of 2 ints. Keras 3 requires it; the default ``(2, 2)`` is
            Keras 2's.
        strides: Int, tuple of 2 ints, or ``None`` (default: ``pool_size``).
        padding: ``"valid"`` or ``"same"`` (border windows average their real elements only).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, rows, cols, channels)`` or ``(batch, channels, rows, cols)``.
    Output shape: ``(batch, pooled_rows, pooled_cols, channels)`` or channels first.

    Example:
        >>> AveragePooling2D(2, padding="same")(torch.ones(1, 5, 5, 3)).shape
        torch.Size([1, 3, 3, 3])
    """

    rank = 2


class AveragePooling3D(_BaseAveragePooling):
    """Mean over windows of a volume; mirrors ``keras.layers.AveragePooling3D`` (alias
    ``AvgPool3D``).

    Args:
        pool_size: Int or tuple of 3 ints. Keras 3 requires it; the default ``(2, 2, 2)`` is
            Keras 2's.
        strides: Int, tuple of 3 ints, or ``None`` (default: ``pool_size``).
        padding: ``"valid"`` or ``"same"`` (border windows average their real elements only).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape: ``(batch, dim1, dim2, dim3, channels)`` or ``(batch, channels, dim1, dim2, dim3)``.
    Output shape: ``(batch, pooled_dim1, pooled_dim2, pooled_dim3, channels)`` or channels first.

    Example:
        >>> AveragePooling3D(2, padding="same")(torch.ones(1, 3, 4, 5, 2)).shape
        torch.Size([1, 2, 2, 3, 2])
    """

    rank = 3


class _BaseGlobalPooling(Layer):
    """Max or mean over all spatial axes; subclasses set ``rank`` and ``_reduce``.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
        keepdims: Keep the spatial axes with size 1 (default ``False``).
    """

    rank: int = 0

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        layer = type(self).__name__
        data_format = _data_format(data_format, layer)
        if not isinstance(keepdims, bool):
            raise TypeError(f"{layer}: keepdims must be a bool, received: keepdims={keepdims!r}")
        super().__init__(**kwargs)
        self.data_format = data_format
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self.rank + 2)
        first = 1 if data_format == "channels_last" else 2
        self._spatial_axes = tuple(range(first, first + self.rank))

    def build(self, input_shape: tuple) -> None:
        self.input_spec.check(self.name, 0, tuple(input_shape))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        if self.keepdims:
            return tuple(
                1 if axis in self._spatial_axes else size for axis, size in enumerate(input_shape)
            )
        return (input_shape[0], input_shape[-1 if self.data_format == "channels_last" else 1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class _BaseGlobalMaxPooling(_BaseGlobalPooling):
    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.amax(inputs, dim=self._spatial_axes, keepdim=self.keepdims)


class _BaseGlobalAveragePooling(_BaseGlobalPooling):
    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.mean(inputs, dim=self._spatial_axes, keepdim=self.keepdims)


class GlobalMaxPooling1D(_BaseGlobalMaxPooling):
    """Max over all steps; mirrors ``keras.layers.GlobalMaxPooling1D`` (alias
    ``GlobalMaxPool1D``).

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: Keep the steps axis with size 1 (default ``False``).

    Input shape: ``(batch, steps, channels)`` or ``(batch, channels, steps)``.
    Output shape: ``(batch, channels)``; with ``keepdims``, ``(batch, 1, channels)`` or
    ``(batch, channels, 1)``.

    Example:
        >>> GlobalMaxPooling1D()(torch.ones(2, 5, 3)).shape
        torch.Size([2, 3])
    """

    rank = 1


class GlobalMaxPooling2D(_BaseGlobalMaxPooling):
    """Max over all rows and columns; mirrors ``keras.layers.GlobalMaxPooling2D`` (alias
    ``GlobalMaxPool2D``).

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: Keep the spatial axes with size 1 (default ``False``).

    Input shape: ``(batch, rows, cols, channels)`` or ``(batch, channels, rows, cols)``.
    Output shape: ``(batch, channels)``; with ``keepdims``, ``(batch, 1, 1, channels)`` or
    ``(batch, channels, 1, 1)``.

    Example:
        >>> GlobalMaxPooling2D()(torch.ones(2, 4, 4, 3)).shape
        torch.Size([2, 3])
    """

    rank = 2


class GlobalAveragePooling1D(_BaseGlobalAveragePooling):
    """Mean over all steps; mirrors ``keras.layers.GlobalAveragePooling1D`` (alias
    ``GlobalAvgPool1D``).

    With a mask (``(batch, steps)``, e.g. from ``Embedding(mask_zero=True)``) only the unmasked
    steps are averaged; the output carries no mask.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: Keep the steps axis with size 1 (default ``False``).

    Input shape: ``(batch, steps, channels)`` or ``(batch, channels, steps)``.
    Output shape: ``(batch, channels)``; with ``keepdims``, ``(batch, 1, channels)`` or
    ``(batch, channels, 1)``.

    Example:
        >>> GlobalAveragePooling1D()(torch.ones(2, 5, 3)).shape
        torch.Size([2, 3])
    """

    rank = 1

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:
            return super().call(inputs)
        steps_axis = self._spatial_axes[0]
        channels_axis = 2 if self.data_format == "channels_last" else 1
        keep = mask.unsqueeze(channels_axis).bool()
        total = torch.sum(torch.where(keep, inputs, 0), dim=steps_axis, keepdim=self.keepdims)
        count = torch.sum(keep.to(inputs.dtype), dim=steps_axis, keepdim=self.keepdims)
        return total / count

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None


class GlobalAveragePooling2D(_BaseGlobalAveragePooling):
    """Mean over all rows and columns; mirrors ``keras.layers.GlobalAveragePooling2D`` (alias
    ``GlobalAvgPool2D``).

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: Keep the spatial axes with size 1 (default ``False``).

    Input shape: ``(batch, rows, cols, channels)`` or ``(batch, channels, rows, cols)``.
    Output shape: ``(batch, channels)``; with ``keepdims``, ``(batch, 1, 1, channels)`` or
    ``(batch, channels, 1, 1)``.

    Example:
        >>> GlobalAveragePooling2D()(torch.ones(2, 4, 4, 3)).shape
        torch.Size([2, 3])
    """

    rank = 2


class GlobalMaxPooling3D(_BaseGlobalMaxPooling):
    """Max over a whole volume; mirrors ``keras.layers.GlobalMaxPooling3D`` (alias
    ``GlobalMaxPool3D``).

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: Keep the spatial axes with size 1 (default ``False``).

    Input shape: ``(batch, dim1, dim2, dim3, channels)`` or ``(batch, channels, dim1, dim2, dim3)``.
    Output shape: ``(batch, channels)``; with ``keepdims``, ``(batch, 1, 1, 1, channels)`` or
    ``(batch, channels, 1, 1, 1)``.

    Example:
        >>> GlobalMaxPooling3D()(torch.ones(2, 3, 4, 4, 5)).shape
        torch.Size([2, 5])
    """

    rank = 3


class GlobalAveragePooling3D(_BaseGlobalAveragePooling):
    """Mean over a whole volume; mirrors ``keras.layers.GlobalAveragePooling3D`` (alias
    ``GlobalAvgPool3D``).

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: Keep the spatial axes with size 1 (default ``False``).

    Input shape: ``(batch, dim1, dim2, dim3, channels)`` or ``(batch, channels, dim1, dim2, dim3)``.
    Output shape: ``(batch, channels)``; with ``keepdims``, ``(batch, 1, 1, 1, channels)`` or
    ``(batch, channels, 1, 1, 1)``.

    Example:
        >>> GlobalAveragePooling3D()(torch.ones(2, 3, 4, 4, 5)).shape
        torch.Size([2, 5])
    """

    rank = 3


MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
