"""Depthwise and depthwise-separable convolutions: ``DepthwiseConv1D``/``2D`` and
``SeparableConv1D``/``2D``, sharing ``_BaseDepthwiseConv``, whose window geometry (argument
checks, padding, output shape) is ``convolutional._ConvGeometry``.

A depthwise convolution convolves each input channel with its own ``depth_multiplier`` filters
(torch's grouped convolution with ``groups = in_channels``); output channel
``c * depth_multiplier + m`` is input channel ``c``'s ``m``-th filter, as in Keras. The depthwise
kernel is stored as ``(in_channels, depth_multiplier, *kernel_size)``, whose free reshape is the
``(in_channels * depth_multiplier, 1, *kernel_size)`` weight torch's kernel takes;
``get_weights`` shows Keras's ``(*kernel_size, in_channels, depth_multiplier)``. A separable
convolution follows it with a 1x1 ("pointwise") convolution to ``filters`` channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from torchseq import activations, constraints, initializers, regularizers
from torchseq.layers.convolutional import (
    _activated,
    _ConvGeometry,
    _positive_int,
    _to_torch_layout,
    _torch_kernel,
)
from torchseq.layers.layer import InputSpec

__all__ = [
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
]


class _BaseDepthwiseConv(_ConvGeometry):
    """Per-channel convolution with Keras's arguments; subclasses set ``rank``.
    The arguments are documented on ``DepthwiseConv2D``.
    """

    # The depthwise kernel's weight name: Keras calls it "kernel" in DepthwiseConv*D.
    _depthwise_name = "kernel"
    # A separable convolution adds its bias after the pointwise step instead.
    _bias_in_depthwise = True

    def __init__(
        self,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        depth_multiplier = _positive_int(depth_multiplier, type(self).__name__, "depth_multiplier")
        super().__init__(
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.depth_multiplier = depth_multiplier
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._lazy_weight(self._depthwise_name)
        if self.use_bias:
            self._lazy_weight("bias")
        else:
            self.register_parameter("bias", None)

    def build(self, input_shape: tuple) -> None:
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)  # rejects kernels larger than the input
        self.add_weight(
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
            name=self._depthwise_name,
            layout=(self.rank, self.rank + 1, *range(self.rank)),
        )
        self._build_pointwise(channels * self.depth_multiplier)
        if self.use_bias:
            self.add_weight(
                shape=(self._output_channels(input_shape),),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})

    def _build_pointwise(self, depthwise_channels: int) -> None:
        """Create the weights that follow the depthwise step (none here)."""

    def _output_channels(self, input_shape: tuple) -> int | None:
        channels = input_shape[self._channel_axis]
        return None if channels is None else channels * self.depth_multiplier

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = _to_torch_layout(inputs, self._channels_last, self.rank)
        outputs = self._pointwise(self._depthwise(x))
        return _activated(self.activation, outputs, self._channels_last, self.rank)

    def _depthwise(self, x: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
        """The per-channel convolution of ``x`` in torch's layout."""
        x, padding = self._pad_input(x)
        kernel = getattr(self, self._depthwise_name)
        # (in, multiplier, *k) -> (in * multiplier, 1, *k): a view of the stored kernel.
        kernel = kernel.flatten(0, 1).unsqueeze(1)
        if self.rank == 1:
            kernel = kernel.unsqueeze(2)
        return self._torch_conv(
            x,
            kernel,
            self.bias if self._bias_in_depthwise else None,
            stride=self._torch_strides,
            padding=padding,
            dilation=self._torch_dilation,
            groups=x.shape[1],
        )

    def _pointwise(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "depth_multiplier": self.depth_multiplier,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class _BaseSeparableConv(_BaseDepthwiseConv):
    """A depthwise convolution followed by a pointwise one; subclasses set ``rank``.
    The arguments are documented on ``SeparableConv2D``.
    """

    _depthwise_name = "depthwise_kernel"
    _bias_in_depthwise = False

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        filters = _positive_int(filters, type(self).__name__, "filters")
        super().__init__(
            kernel_size,
            strides=strides,
            padding=padding,
            depth_multiplier=depth_multiplier,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        self.filters = filters
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self._lazy_weight("pointwise_kernel")

    def _build_pointwise(self, depthwise_channels: int) -> None:
        self.add_weight(
            shape=(*(1,) * self.rank, depthwise_channels, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
            name="pointwise_kernel",
            layout=(self.rank + 1, self.rank, *range(self.rank)),
        )

    def _output_channels(self, input_shape: tuple) -> int:
        return self.filters

    def _pointwise(self, x: torch.Tensor) -> torch.Tensor:
        kernel = _torch_kernel(self.pointwise_kernel, self.rank)
        return self._torch_conv(x, kernel, self.bias)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        }


class DepthwiseConv1D(_BaseDepthwiseConv):
    """Per-channel 1-D convolution; mirrors ``keras.layers.DepthwiseConv1D``.

    Args:
        kernel_size: Int or tuple of 1 int, the window size.
        strides: Int or tuple of 1 int (default 1).
        padding: ``"valid"`` or ``"same"`` (case-insensitive).
        depth_multiplier: Positive int, filters per input channel (default 1).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Int or tuple of 1 int (default 1).
        activation: Activation function or name; default none (linear).
        use_bias: Whether to add a bias vector (default ``True``).
        depthwise_initializer: Default ``"glorot_uniform"``.
        bias_initializer: Default ``"zeros"``.
        depthwise_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        depthwise_constraint, bias_constraint: Optional constraints.

    Input shape: ``(batch, steps, channels)`` or ``(batch, channels, steps)``.
    Output shape: ``(batch, new_steps, channels * depth_multiplier)`` or channels first.

    Example:
        >>> DepthwiseConv1D(3, depth_multiplier=2)(torch.ones(2, 8, 4)).shape
        torch.Size([2, 6, 8])
    """

    rank = 1


class DepthwiseConv2D(_BaseDepthwiseConv):
    """Per-channel 2-D convolution; mirrors ``keras.layers.DepthwiseConv2D``.

    Args:
        kernel_size: Int or tuple of 2 ints, the window size.
        strides: Int or tuple of 2 ints (default 1).
        padding: ``"valid"`` or ``"same"`` (output size ``ceil(size / stride)``; an odd
            total padding puts the extra element at the end). Case-insensitive.
        depth_multiplier: Positive int, filters per input channel (default 1).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Int or tuple of 2 ints (default 1).
        activation: Activation function or name; default none (linear).
        use_bias: Whether to add a bias vector (default ``True``).
        depthwise_initializer: Default ``"glorot_uniform"``.
        bias_initializer: Default ``"zeros"``.
        depthwise_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        depthwise_constraint, bias_constraint: Optional constraints.

    Input shape: ``(batch, rows, cols, channels)`` or ``(batch, channels, rows, cols)``.
    Output shape: ``(batch, new_rows, new_cols, channels * depth_multiplier)`` or channels
    first.

    Example:
        >>> DepthwiseConv2D(3, padding="same")(torch.ones(1, 6, 6, 4)).shape
        torch.Size([1, 6, 6, 4])
    """

    rank = 2


class SeparableConv1D(_BaseSeparableConv):
    """Depthwise-separable 1-D convolution; mirrors ``keras.layers.SeparableConv1D`` (alias
    ``SeparableConvolution1D``).

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or tuple of 1 int, the depthwise window size.
        strides: Int or tuple of 1 int (default 1).
        padding: ``"valid"`` or ``"same"`` (case-insensitive).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Int or tuple of 1 int (default 1).
        depth_multiplier: Positive int, depthwise filters per input channel (default 1).
        activation: Activation function or name; default none (linear).
        use_bias: Whether to add a bias vector after the pointwise step (default ``True``).
        depthwise_initializer, pointwise_initializer: Default ``"glorot_uniform"``.
        bias_initializer: Default ``"zeros"``.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer: Optional regularizers.
        depthwise_constraint, pointwise_constraint, bias_constraint: Optional constraints.

    Input shape: ``(batch, steps, channels)`` or ``(batch, channels, steps)``.
    Output shape: ``(batch, new_steps, filters)`` or ``(batch, filters, new_steps)``.

    Example:
        >>> SeparableConv1D(5, 3)(torch.ones(2, 8, 4)).shape
        torch.Size([2, 6, 5])
    """

    rank = 1


class SeparableConv2D(_BaseSeparableConv):
    """Depthwise-separable 2-D convolution; mirrors ``keras.layers.SeparableConv2D`` (alias
    ``SeparableConvolution2D``).

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or tuple of 2 ints, the depthwise window size.
        strides: Int or tuple of 2 ints (default 1).
        padding: ``"valid"`` or ``"same"`` (case-insensitive).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Int or tuple of 2 ints (default 1).
        depth_multiplier: Positive int, depthwise filters per input channel (default 1).
        activation: Activation function or name; default none (linear).
        use_bias: Whether to add a bias vector after the pointwise step (default ``True``).
        depthwise_initializer, pointwise_initializer: Default ``"glorot_uniform"``.
        bias_initializer: Default ``"zeros"``.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer: Optional regularizers.
        depthwise_constraint, pointwise_constraint, bias_constraint: Optional constraints.

    Input shape: ``(batch, rows, cols, channels)`` or ``(batch, channels, rows, cols)``.
    Output shape: ``(batch, new_rows, new_cols, filters)`` or channels first.

    Example:
        >>> SeparableConv2D(8, 3, padding="same")(torch.ones(1, 6, 6, 4)).shape
        torch.Size([1, 6, 6, 8])
    """

    rank = 2


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
