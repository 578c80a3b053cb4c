"""Convolution layers: ``Conv1D``, ``Conv2D`` and ``Conv3D``, sharing ``_BaseConv``, whose
window geometry (argument checks, padding, output shape) is ``_ConvGeometry``, the base that
the depthwise and separable convolutions share too.

Kernels are stored in torch's layout, ``(filters, in_channels // groups, *kernel_size)``, so
``F.conv2d`` uses them as they are; ``get_weights``/``set_weights`` show Keras's layout,
``(*kernel_size, in_channels // groups, filters)``. Channels-last inputs reach the torch kernel
as permuted views (torch's channels_last memory format), never as copies. A 1-D convolution
runs as a 2-D one over a unit height axis, which keeps channels-last inputs copy-free.

The module also holds the window arithmetic and layout helpers that ``pooling`` shares.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from torchseq import activations, config, constraints, initializers, ops, regularizers
from torchseq.layers.layer import InputSpec, Layer

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D"]

_Pads = list[tuple[int, int]]


class _ConvGeometry(Layer):
    """The window geometry the convolution layers share (``_BaseConv`` here,
    ``_BaseDepthwiseConv`` in ``separable_conv``): checks ``kernel_size``, ``strides``,
    ``dilation_rate``, ``padding`` and ``data_format``, works out the padding (once, unless
    "same" padding with strides makes it depend on the input size) and the output shape.
    Subclasses set ``rank``, the accepted ``_paddings`` and ``_output_channels``.
    """

    rank: int = 0
    _paddings: tuple[str, ...] = ("valid", "same")
    # Keras's Conv layers reject strides > 1 with dilation_rate > 1; its depthwise ones do not.
    _rejects_strided_dilation = False

    def __init__(
        self,
        *,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int],
        padding: str,
        data_format: str | None,
        dilation_rate: int | Sequence[int],
        **kwargs: Any,
    ) -> None:
        layer = type(self).__name__
        kernel_size = _int_tuple(kernel_size, self.rank, layer, "kernel_size")
        strides = _int_tuple(strides, self.rank, layer, "strides")
        dilation_rate = _int_tuple(dilation_rate, self.rank, layer, "dilation_rate")
        if self._rejects_strided_dilation and max(strides) > 1 and max(dilation_rate) > 1:
            raise ValueError(
                f"{layer}: strides > 1 cannot be combined with dilation_rate > 1, received: "
                f"strides={strides}, dilation_rate={dilation_rate}"
            )
        padding = _padding_mode(padding, self._paddings, layer)
        data_format = _data_format(data_format, layer)
        super().__init__(**kwargs)
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.data_format = data_format
        self.dilation_rate = dilation_rate
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._channels_last = data_format == "channels_last"
        self._channel_axis = -1 if self._channels_last else 1
        # The dilated extent of the kernel along each spatial axis.
        self._windows = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation_rate))
        self._torch_strides = _lift(strides, self.rank, 1)
        self._torch_dilation = _lift(dilation_rate, self.rank, 1)
        self._torch_conv = _CONV_FUNCTIONS[self.rank]
        self._static_pads = self._size_independent_pads()

    def _size_independent_pads(self) -> tuple[tuple[int, int], ...] | None:
        """The (before, after) padding per torch axis (see ``_lift``) when it does not depend
        on the input size; lifted here so that ``call`` does not lift it each time."""
        if self.padding == "valid":
            pads = [(0, 0)] * self.rank
        elif self.padding == "causal":
            pads = [(self._windows[0] - 1, 0)]
        elif max(self.strides) == 1:
            pads = [_same_pads(1, window, 1) for window in self._windows]
        else:
            return None
        return _lift(pads, self.rank, (0, 0))

    def _input_channels(self, input_shape: tuple) -> int:
        """Check ``input_shape`` against the input spec; return its channels, which must be known."""
        self.input_spec.check(self.name, 0, tuple(input_shape))
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                f'{type(self).__name__} "{self.name}": the channel axis of the input must be '
                f"known, received input shape {tuple(input_shape)}"
            )
        return channels

    def _pad_input(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple]:
        """Pad ``x`` (torch layout) for the window: returns it with the uneven part of the
        padding applied and the symmetric part for the torch op's ``padding=``."""
        pads = self._static_pads
        if pads is None:
            sizes = x.shape[-self.rank :]
            pads = _lift(
                [_same_pads(*args) for args in zip(sizes, self._windows, self.strides)],
                self.rank,
                (0, 0),
            )
        return _pad_asymmetric(x, pads, 0.0)

    def _output_channels(self, input_shape: tuple) -> int | None:
        """The output's channel count for an input of shape ``input_shape``."""
        raise NotImplementedError

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        spatial = input_shape[1:-1] if self._channels_last else input_shape[2:]
        output_spatial = tuple(
            _output_size(size, window, stride, self.padding)
            for size, window, stride in zip(spatial, self._windows, self.strides)
        )
        if any(size is not None and size <= 0 for size in output_spatial):
            raise ValueError(
                f'{type(self).__name__} "{self.name}": with padding="valid" the kernel must fit '
                f"in the input, but kernel_size={self.kernel_size} with "
                f"dilation_rate={self.dilation_rate} spans {self._windows}, larger than the "
                f"input's spatial size {tuple(spatial)} (input shape {input_shape})"
            )
        channels = self._output_channels(input_shape)
        if self._channels_last:
            return (input_shape[0], *output_spatial, channels)
        return (input_shape[0], channels, *output_spatial)


class _BaseConv(_ConvGeometry):
    """N-D convolution (cross-correlation) with Keras's arguments; subclasses set ``rank``
    and the accepted ``_paddings``. The arguments are documented on ``Conv2D``.
    """

    _rejects_strided_dilation = True
    # Whether call() goes through convolution_op(): only for a subclass that overrides it,
    # so that the built-in path keeps calling the torch kernel on the stored layout.
    _custom_convolution_op = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._custom_convolution_op = cls.convolution_op is not _BaseConv.convolution_op

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        groups: int = 1,
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
        filters = _positive_int(filters, layer, "filters")
        groups = _positive_int(groups, layer, "groups")
        if filters % groups:
            raise ValueError(
                f"{layer}: filters (={filters}) must be divisible by groups (={groups})"
            )
        super().__init__(
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.filters = filters
        self.groups = groups
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._lazy_weight("kernel")
        if self.use_bias:
            self._lazy_weight("bias")
        else:
            self.register_parameter("bias", None)

    def build(self, input_shape: tuple) -> None:
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                f'{type(self).__name__} "{self.name}": input channels (={channels}) must be '
                f"divisible by groups (={self.groups}), received input shape "
                f"{tuple(input_shape)}"
            )
        self.compute_output_shape(input_shape)  # rejects kernels larger than the input
        self.add_weight(
            shape=self._kernel_shape(channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
            layout=(self.rank + 1, self.rank, *range(self.rank)),
        )
        if self.use_bias:
            self.add_weight(
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})

    def _kernel_shape(self, channels: int) -> tuple[int, ...]:
        """The kernel's Keras shape for ``channels`` input channels."""
        return (*self.kernel_size, channels // self.groups, self.filters)

    def convolution_op(self, inputs: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        """The convolution alone (no bias, no activation), as Keras's ``Conv.convolution_op``.

        ``kernel`` is in Keras's layout, ``(*kernel_size, in_channels // groups, filters)``:
        ``self.kernel.value``, not ``self.kernel``, which is stored in torch's layout. A
        subclass that overrides this method gets it called from ``call`` with
        ``self.kernel.value``, then the bias and activation are applied.
        """
        return ops.conv(
            inputs,
            kernel,
            strides=list(self.strides),
            padding=self.padding,
            dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if self._custom_convolution_op:
            return self._call_convolution_op(inputs)
        x, padding = self._pad_input(_to_torch_layout(inputs, self._channels_last, self.rank))
        kernel = _torch_kernel(self.kernel, self.rank)
        outputs = self._torch_conv(
            x,
            kernel,
            self.bias,
            stride=self._torch_strides,
            padding=padding,
            dilation=self._torch_dilation,
            groups=self.groups,
        )
        return _activated(self.activation, outputs, self._channels_last, self.rank)

    def _call_convolution_op(self, inputs: torch.Tensor) -> torch.Tensor:
        outputs = self.convolution_op(inputs, self.kernel.value)
        if self.use_bias:
            shape = [1] * outputs.ndim
            shape[self._channel_axis] = self.filters
            outputs = outputs + self.bias.reshape(shape)
        return outputs if self.activation is None else self.activation(outputs)

    def _output_channels(self, input_shape: tuple) -> int:
        return self.filters

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class Conv1D(_BaseConv):
    """1-D convolution over a sequence; mirrors ``keras.layers.Conv1D``.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or tuple of 1 int, the window size.
        strides: Int or tuple of 1 int (default 1). Values above 1 cannot be combined
            with a ``dilation_rate`` above 1.
        padding: ``"valid"`` (no padding), ``"same"`` (output length ``ceil(steps / stride)``;
            an odd total padding puts the extra element at the end, as TensorFlow does) or
            ``"causal"`` (``dilation_rate * (kernel_size - 1)`` zeros at the start only, so
            an output step never sees later input steps). Case-insensitive.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()`` (``"channels_last"``).
        dilation_rate: Int or tuple of 1 int (default 1).
        groups: Positive int dividing both ``filters`` and the input channels (default 1);
            each group of input channels is convolved with its own ``filters // groups``
            filters.
        activation: Activation function or name; default none (linear).
        use_bias: Whether to add a bias vector (default ``True``).
        kernel_initializer: Default ``"glorot_uniform"``.
        bias_initializer: Default ``"zeros"``.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Optional constraints.

    Input shape: ``(batch, steps, channels)`` (channels_last) or ``(batch, channels, steps)``.
    Output shape: ``(batch, new_steps, filters)`` or ``(batch, filters, new_steps)``.

    Example:
        >>> Conv1D(4, 3, padding="causal")(torch.ones(2, 10, 3)).shape
        torch.Size([2, 10, 4])
    """

    rank = 1
    _paddings = ("valid", "same", "causal")


class Conv2D(_BaseConv):
    """2-D convolution over images; mirrors ``keras.layers.Conv2D``.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or tuple of 2 ints, the window size.
        strides: Int or tuple of 2 ints (default 1). Values above 1 cannot be combined
            with a ``dilation_rate`` above 1.
        padding: ``"valid"`` (no padding) or ``"same"`` (output size ``ceil(size / stride)``;
            an odd total padding puts the extra element at the end, as TensorFlow does).
            Case-insensitive.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()`` (``"channels_last"``).
        dilation_rate: Int or tuple of 2 ints (default 1).
        groups: Positive int dividing both ``filters`` and the input channels (default 1);
            each group of input channels is convolved with its own ``filters // groups``
            filters.
        activation: Activation function or name; default none (linear).
        use_bias: Whether to add a bias vector (default ``True``).
        kernel_initializer: Default ``"glorot_uniform"``.
        bias_initializer: Default ``"zeros"``.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Optional constraints.

    Input shape: ``(batch, rows, cols, channels)`` (channels_last) or
    ``(batch, channels, rows, cols)``.
    Output shape: ``(batch, new_rows, new_cols, filters)`` or
    ``(batch, filters, new_rows, new_cols)``.

    Example:
        >>> Conv2D(32, 5, strides=2, activation="relu")(torch.ones(1, 250, 250, 3)).shape
        torch.Size([1, 123, 123, 32])
    """

    rank = 2


class Conv3D(_BaseConv):
    """3-D convolution over volumes; mirrors ``keras.layers.Conv3D``.

    Args:
        filters: Positive int, the number of output channels.
        kernel_size: Int or tuple of 3 ints, the window size.
        strides: Int or tuple of 3 ints (default 1). Values above 1 cannot be combined
            with a ``dilation_rate`` above 1.
        padding: ``"valid"`` (no padding) or ``"same"`` (output size ``ceil(size / stride)``;
            an odd total padding puts the extra element at the end). Case-insensitive.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()`` (``"channels_last"``).
        dilation_rate: Int or tuple of 3 ints (default 1).
        groups: Positive int dividing both ``filters`` and the input channels (default 1).
        activation: Activation function or name; default none (linear).
        use_bias: Whether to add a bias vector (default ``True``).
        kernel_initializer: Default ``"glorot_uniform"``.
        bias_initializer: Default ``"zeros"``.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Optional constraints.

    Input shape: ``(batch, dim1, dim2, dim3, channels)`` (channels_last) or
    ``(batch, channels, dim1, dim2, dim3)``.
    Output shape: ``(batch, new_dim1, new_dim2, new_dim3, filters)`` or
    ``(batch, filters, new_dim1, new_dim2, new_dim3)``.

    Example:
        >>> Conv3D(4, 3)(torch.ones(1, 5, 6, 7, 2)).shape
        torch.Size([1, 3, 4, 5, 4])
    """

    rank = 3


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D

# A 1-D convolution runs as a 2-D one over a unit height axis (see _to_torch_layout).
_CONV_FUNCTIONS: dict[int, Callable[..., torch.Tensor]] = {1: F.conv2d, 2: F.conv2d, 3: F.conv3d}


# ---------------------------------------------------------------------- argument checks


def _positive_int(value: Any, layer: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{layer}: {name} must be a positive integer, received: {name}={value!r}")
    if value <= 0:
        raise ValueError(f"{layer}: {name} must be a positive integer, received: {name}={value!r}")
    return int(value)


def _int_tuple(value: Any, rank: int, layer: str, name: str) -> tuple[int, ...]:
    """An int or a sequence of ``rank`` ints, all positive, as a tuple of ints."""
    expected = f"{name} must be a positive integer or a tuple of {rank} positive integers"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        values: tuple = (value,) * rank
    elif isinstance(value, (tuple, list)):
        values = tuple(value)
    else:
        raise TypeError(f"{layer}: {expected}, received: {name}={value!r}")
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in values):
        raise TypeError(f"{layer}: {expected}, received: {name}={value!r}")
    if len(values) != rank or any(v <= 0 for v in values):
        raise ValueError(f"{layer}: {expected}, received: {name}={value!r}")
    return tuple(int(v) for v in values)


def _padding_mode(value: Any, choices: tuple[str, ...], layer: str) -> str:
    if not isinstance(value, str):
        raise TypeError(
            f"{layer}: padding must be one of {list(choices)}, received: padding={value!r}"
        )
    if value.lower() not in choices:
        raise ValueError(
            f"{layer}: padding must be one of {list(choices)}, received: padding={value!r}"
        )
    return value.lower()


def _data_format(value: Any, layer: str) -> str:
    try:
        return config.standardize_data_format(value)
    except ValueError as error:
        raise ValueError(f"{layer}: {error}") from error


# ---------------------------------------------------------------------- window arithmetic


def _same_pads(size: int, window: int, stride: int) -> tuple[int, int]:
    """(before, after) padding giving ``ceil(size / stride)`` outputs; the odd one goes after."""
    outputs = -(-size // stride)
    total = max(0, (outputs - 1) * stride + window - size)
    return total // 2, total - total // 2


def _output_size(size: int | None, window: int, stride: int, padding: str) -> int | None:
    """Output length along one axis; ``None`` stays ``None``; may be <= 0 for "valid"."""
    if size is None:
        return None
    if padding == "valid":
        return (size - window) // stride + 1
    return -(-size // stride)  # "same" and "causal"


def _lift(values: Sequence[Any], rank: int, unit: Any) -> tuple:
    """Per-axis values for the torch op: rank 1 gains the unit height axis in front."""
    return (unit, *values) if rank == 1 else tuple(values)


# ---------------------------------------------------------------------- layouts and padding


def _to_torch_layout(x: torch.Tensor, channels_last: bool, rank: int) -> torch.Tensor:
    """A view of ``x`` as ``(batch, channels, *spatial)``; rank 1 gets a unit height axis.

    For channels-last inputs the view is torch's channels_last memory format, which its
    convolution and pooling kernels take without a copy.
    """
    if rank == 1:
        x = x.unsqueeze(1 if channels_last else 2)
    if channels_last:
        x = x.permute(0, x.ndim - 1, *range(1, x.ndim - 1))
    return x


def _torch_kernel(kernel: torch.Tensor, rank: int) -> torch.Tensor:
    """A stored kernel as the torch op takes it (rank 1 gains a unit height axis).

    The op's gradient for a kernel with a unit axis (one input channel, a 1x1 window) may
    come back laid out channels-last, whose strides on that axis differ from the kernel's:
    autograd keeps it, but ``DistributedDataParallel`` warns "Grad strides do not match
    bucket view strides" at every fit. Passed through a flat view, the kernel gets its
    gradient with its own strides, still without a copy.
    """
    if 1 in kernel.shape:
        kernel = kernel.flatten().view(kernel.shape)
    return kernel.unsqueeze(2) if rank == 1 else kernel


def _activated(
    activation: Any,
    outputs: torch.Tensor,
    channels_last: bool,
    rank: int,
    crop: tuple[slice, ...] | None = None,
) -> torch.Tensor:
    """A kernel's fresh output activated, cropped and back in the layer's layout.

    An element-wise activation runs in place on the kernel's output before any view of it
    (see ``activations.stages``); any other runs on the final view.
    """
    in_place, after = activations.stages(activation)
    if in_place is not None:
        outputs = in_place(outputs)
    if crop is not None:
        outputs = outputs[crop]
    outputs = _from_torch_layout(outputs, channels_last, rank)
    return outputs if after is None else after(outputs)


def _from_torch_layout(y: torch.Tensor, channels_last: bool, rank: int) -> torch.Tensor:
    """Undo ``_to_torch_layout`` (a view)."""
    if channels_last:
        y = y.permute(0, *range(2, y.ndim), 1)
    if rank == 1:
        y = y.squeeze(1 if channels_last else 2)
    return y


def _pad_asymmetric(x: torch.Tensor, pads: _Pads, value: float) -> tuple[torch.Tensor, tuple]:
    """Split (before, after) pads into what torch's symmetric ``padding=`` argument does for
    free and the uneven rest, which is padded here with ``value`` (a copy, only when needed).

    Returns the (maybe padded) tensor and the symmetric padding for the torch op.
    """
    symmetric = tuple(min(before, after) for before, after in pads)
    rest = [(before - s, after - s) for (before, after), s in zip(pads, symmetric)]
    if any(before or after for before, after in rest):
        x = F.pad(x, [amount for pair in reversed(rest) for amount in pair], value=value)
    return x, symmetric
