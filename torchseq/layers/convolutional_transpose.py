"""Transposed convolutions: ``Conv1DTranspose``, ``Conv2DTranspose`` and ``Conv3DTranspose``.

Kernels are stored in torch's ``conv_transpose`` layout, ``(in_channels, filters, *kernel_size)``;
``get_weights``/``set_weights`` show Keras's, ``(*kernel_size, filters, in_channels)``.

Keras's output size along an axis, with ``window = dilation_rate * (kernel_size - 1) + 1``:

- ``"valid"``: ``(size - 1) * stride + window + output_padding``, where ``output_padding``
  defaults to ``max(window, stride) - window``;
- ``"same"``: ``size * stride`` when ``output_padding`` is ``None``, else
  ``(size - 1) * stride + window % 2 + output_padding``.

Both are a crop of torch's full output ``(size - 1) * stride + window``: a (before, after) pair
per axis that depends on the arguments only, never on the input size. The crop runs as torch's
symmetric ``padding`` plus a view slice of the rest; an axis that must grow instead (a negative
crop after) gets torch's ``output_padding``, which adds positions no input reaches.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from torchseq.layers.convolutional import (
    _activated,
    _BaseConv,
    _int_tuple,
    _lift,
    _to_torch_layout,
    _torch_kernel,
)

__all__ = [
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "Convolution1DTranspose",
    "Convolution2DTranspose",
    "Convolution3DTranspose",
]

# A 1-D transposed convolution runs as a 2-D one over a unit height axis.
_CONV_TRANSPOSE_FUNCTIONS: dict[int, Callable[..., torch.Tensor]] = {
    1: F.conv_transpose2d,
    2: F.conv_transpose2d,
    3: F.conv_transpose3d,
}


class _BaseConvTranspose(_BaseConv):
    """N-D transposed convolution with Keras's arguments; subclasses set ``rank``.
    The arguments are documented on ``Conv2DTranspose``.
    """

    _paddings = ("valid", "same")

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        output_padding: int | Sequence[int] | None = None,
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        layer = type(self).__name__
        if output_padding is not None:
            output_padding = _output_padding(
                output_padding, _int_tuple(strides, self.rank, layer, "strides"), layer
            )
        super().__init__(
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=1,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        self.output_padding = output_padding
        self._torch_conv = _CONV_TRANSPOSE_FUNCTIONS[self.rank]
        self._plan_crops()

    def _plan_crops(self) -> None:
        """Split each axis's crop into torch's padding, its output_padding and a slice."""
        extras = self.output_padding or (None,) * self.rank
        crops = [
            _keras_crop(window, stride, self.padding, extra)
            for window, stride, extra in zip(self._windows, self.strides, extras)
        ]
        self._crops = crops
        torch_padding, torch_output_padding, slices = [], [], []
        for before, after in crops:
            if after >= 0:
                common = min(before, after)
                torch_padding.append(common)
                torch_output_padding.append(0)
                slices.append(slice(before - common, -(after - common) or None))
            else:
                # Grows at the end by less than the stride (output_padding < stride, and the
                # "same" default adds at most stride - 1), which torch's output_padding allows.
                torch_padding.append(0)
                torch_output_padding.append(-after)
                slices.append(slice(before, None))
        self._torch_padding = _lift(torch_padding, self.rank, 0)
        self._torch_output_padding = _lift(torch_output_padding, self.rank, 0)
        trimmed = any(s != slice(0, None) for s in slices)
        self._slices = (..., *slices) if trimmed else None

    def _kernel_shape(self, channels: int) -> tuple[int, ...]:
        return (*self.kernel_size, self.filters, channels)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = _to_torch_layout(inputs, self._channels_last, self.rank)
        kernel = _torch_kernel(self.kernel, self.rank)
        outputs = self._torch_conv(
            x,
            kernel,
            self.bias,
            stride=self._torch_strides,
            padding=self._torch_padding,
            output_padding=self._torch_output_padding,
            dilation=self._torch_dilation,
        )
        return _activated(
            self.activation, outputs, self._channels_last, self.rank, self._slices
        )

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        spatial = input_shape[1:-1] if self._channels_last else input_shape[2:]
        output_spatial = tuple(
            None if size is None else (size - 1) * stride + window - before - after
            for size, window, stride, (before, after) in zip(
                spatial, self._windows, self.strides, self._crops
            )
        )
        if self._channels_last:
            return (input_shape[0], *output_spatial, self.filters)
        return (input_shape[0], self.filters, *output_spatial)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["groups"]
        return {**config, "output_padding": self.output_padding}


def _output_padding(value: Any, strides: tuple[int, ...], layer: str) -> tuple[int, ...]:
    """``output_padding`` as a tuple of non-negative ints, each below its stride."""
    rank = len(strides)
    expected = f"output_padding must be None, a non-negative integer or a tuple of {rank}"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        values: tuple = (value,) * rank
    elif isinstance(value, (tuple, list)):
        values = tuple(value)
    else:
        raise TypeError(f"{layer}: {expected}, received: output_padding={value!r}")
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in values):
        raise TypeError(f"{layer}: {expected}, received: output_padding={value!r}")
    if len(values) != rank or any(v < 0 for v in values):
        raise ValueError(f"{layer}: {expected}, received: output_padding={value!r}")
    if any(v >= s for v, s in zip(values, strides)):
        raise ValueError(
            f"{layer}: each output_padding must be smaller than its stride, received: "
            f"output_padding={tuple(values)}, strides={strides}"
        )
    return tuple(int(v) for v in values)


def _keras_crop(window: int, stride: int, padding: str, extra: int | None) -> tuple[int, int]:
    """(before, after) to remove from torch's full transposed output ``(size-1)*stride+window``
    so that it has Keras's size; a negative ``after`` means the output grows at the end.
    """
    if padding == "valid":
        extra = max(window, stride) - window if extra is None else extra
        return 0, -extra
    # Keras pads a stride-1 convolution of the dilated input by (before, after) in total
    # ``pad`` elements; the crop is what the full output has beyond that.
    pad = stride + window - 2 if extra is None else window + window % 2 - 2 + extra
    before = min(pad // 2 + pad % 2, window - 1)
    return window - 1 - before, window - 1 - (pad - before)


class Conv1DTranspose(_BaseConvTranspose):
    """1-D transposed convolution; mirrors ``keras.layers.Conv1DTranspose``.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or tuple of 1 int.
        strides: Int or tuple of 1 int (default 1); above 1 it cannot be combined with a
            ``dilation_rate`` above 1.
        padding: ``"valid"`` or ``"same"`` (case-insensitive).
        output_padding: ``None`` (default) or an int / tuple of 1 int smaller than the stride:
            how many steps to add at the end (see the module docstring for the sizes).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Int or tuple of 1 int (default 1).
        activation: Activation function or name; default none (linear).
        use_bias: Whether to add a bias vector (default ``True``).
        kernel_initializer: Default ``"glorot_uniform"``.
        bias_initializer: Default ``"zeros"``.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Optional constraints.

    Input shape: ``(batch, steps, channels)`` or ``(batch, channels, steps)``.
    Output shape: ``(batch, new_steps, filters)`` or ``(batch, filters, new_steps)``.

    Example:
        >>> Conv1DTranspose(4, 3, strides=2, padding="same")(torch.ones(2, 5, 3)).shape
        torch.Size([2, 10, 4])
    """

    rank = 1


class Conv2DTranspose(_BaseConvTranspose):
    """2-D transposed convolution ("deconvolution"); mirrors ``keras.layers.Conv2DTranspose``.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or tuple of 2 ints.
        strides: Int or tuple of 2 ints (default 1); above 1 it cannot be combined with a
            ``dilation_rate`` above 1.
        padding: ``"valid"`` or ``"same"`` (case-insensitive).
        output_padding: ``None`` (default) or an int / tuple of 2 ints, each smaller than
            its stride (see the module docstring for the sizes).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Int or tuple of 2 ints (default 1).
        activation: Activation function or name; default none (linear).
        use_bias: Whether to add a bias vector (default ``True``).
        kernel_initializer: Default ``"glorot_uniform"``.
        bias_initializer: Default ``"zeros"``.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Optional constraints.

    Input shape: ``(batch, rows, cols, channels)`` or ``(batch, channels, rows, cols)``.
    Output shape: ``(batch, new_rows, new_cols, filters)`` or channels first.

    Example:
        >>> Conv2DTranspose(8, 3, strides=2)(torch.ones(1, 4, 4, 3)).shape
        torch.Size([1, 9, 9, 8])
    """

    rank = 2


class Conv3DTranspose(_BaseConvTranspose):
    """3-D transposed convolution; mirrors ``keras.layers.Conv3DTranspose``.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or tuple of 3 ints.
        strides: Int or tuple of 3 ints (default 1); above 1 it cannot be combined with a
            ``dilation_rate`` above 1.
        padding: ``"valid"`` or ``"same"`` (case-insensitive).
        output_padding: ``None`` (default) or an int / tuple of 3 ints, each smaller than
            its stride (see the module docstring for the sizes).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Int or tuple of 3 ints (default 1).
        activation: Activation function or name; default none (linear).
        use_bias: Whether to add a bias vector (default ``True``).
        kernel_initializer: Default ``"glorot_uniform"``.
        bias_initializer: Default ``"zeros"``.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Optional constraints.

    Input shape: ``(batch, dim1, dim2, dim3, channels)`` or ``(batch, channels, dim1, dim2, dim3)``.
    Output shape: ``(batch, new_dim1, new_dim2, new_dim3, filters)`` or channels first.

    Example:
        >>> Conv3DTranspose(2, 2, strides=2)(torch.ones(1, 2, 3, 4, 3)).shape
        torch.Size([1, 4, 6, 8, 2])
    """

    rank = 3


Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
