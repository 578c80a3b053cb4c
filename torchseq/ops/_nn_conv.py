"""Convolutions with Keras's layouts: ``conv``, ``conv_transpose``, ``depthwise_conv``,
``separable_conv`` (``keras.ops`` nn).

Inputs are ``(batch, *spatial, channels)`` (or channels first) and kernels are Keras's
``(*spatial, in, out)``; both are handed to torch's kernels as permuted views. "same" padding
is Keras's (TensorFlow's): ``ceil(size / stride)`` outputs, an odd total padding putting the
extra element at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch.nn.functional as F

from torchseq.ops import _nn_sliding as _sliding
from torchseq.ops._convert import Tensor, TensorLike, _operands

__all__ = ["conv", "conv_transpose", "depthwise_conv", "separable_conv"]

_CONVOLUTIONS: dict[int, Callable[..., Tensor]] = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_TRANSPOSED: dict[int, Callable[..., Tensor]] = {
    1: F.conv_transpose1d,
    2: F.conv_transpose2d,
    3: F.conv_transpose3d,
}


def _check_kernel_rank(kernel: Tensor, rank: int, op: str, name: str = "kernel") -> None:
    if kernel.ndim != rank + 2:
        raise ValueError(
            f"{op} expected a {name} of rank {rank + 2} for inputs with {rank} spatial axes, "
            f"received: {name}.shape={tuple(kernel.shape)}"
        )


def _torch_kernel(kernel: Tensor) -> Tensor:
    """Keras's ``(*spatial, a, b)`` as torch's ``(b, a, *spatial)``."""
    rank = kernel.ndim - 2
    return kernel.permute(rank + 1, rank, *range(rank))


def _convolve(
    x: Tensor,
    kernel: Tensor,
    strides: int | Sequence[int],
    padding: str,
    channels_last: bool,
    dilation_rate: int | Sequence[int],
    op: str,
) -> Tensor:
    """A grouped convolution of ``x`` in its layout by a Keras-layout kernel; the groups are
    ``input channels / kernel input channels``."""
    rank = x.ndim - 2
    strides = _sliding.int_tuple(strides, rank, op, "strides")
    dilations = _sliding.int_tuple(dilation_rate, rank, op, "dilation_rate")
    x = _sliding.to_channels_first(x, channels_last)
    channels, kernel_channels = x.shape[1], kernel.shape[-2]
    if channels % kernel_channels:
        raise ValueError(
            f"{op} expected the input channels ({channels}) to be a multiple of the kernel's "
            f"input channels ({kernel_channels}), received: input shape with {channels} channels, "
            f"kernel.shape={tuple(kernel.shape)}"
        )
    torch_padding: Sequence[int] | int = 0
    if padding == "same":
        pads = [
            _sliding.same_pads(size, window, stride, dilation)
            for size, window, stride, dilation in zip(
                x.shape[2:], kernel.shape[:rank], strides, dilations
            )
        ]
        if all(before == after for before, after in pads):
            torch_padding = [before for before, _ in pads]
        else:
            x = _sliding.pad_spatial(x, pads)
    outputs = _CONVOLUTIONS[rank](
        x,
        _torch_kernel(kernel),
        stride=strides,
        padding=torch_padding,
        dilation=dilations,
        groups=channels // kernel_channels,
    )
    return _sliding.from_channels_first(outputs, channels_last)


def conv(
    inputs: TensorLike,
    kernel: TensorLike,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> Tensor:
    """N-D convolution (1-D to 3-D, picked by the input's rank); mirrors ``keras.ops.conv``.

    Args:
        inputs: ``(batch, *spatial, channels)``, or ``(batch, channels, *spatial)`` for
            ``data_format="channels_first"``.
        kernel: ``(*window, in_channels / groups, out_channels)``; input channels that are a
            multiple of the kernel's make a grouped convolution.
        strides: Int or one int per spatial axis (default 1).
        padding: ``"valid"`` (default) or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
        dilation_rate: Int or one int per spatial axis (default 1).

    Returns:
        The convolution, in the input's layout.

    Example:

    >>> ops.conv(ops.ones((1, 5, 2)), ops.ones((3, 2, 4))).shape
    torch.Size([1, 3, 4])
    """
    x, kernel = _sliding.float_operands(*_operands(inputs, kernel))
    rank = _sliding.spatial_rank(x, "conv")
    _check_kernel_rank(kernel, rank, "conv")
    channels_last = _sliding.data_format(data_format, "conv") == "channels_last"
    padding = _sliding.padding_mode(padding, "conv")
    return _convolve(x, kernel, strides, padding, channels_last, dilation_rate, "conv")


def depthwise_conv(
    inputs: TensorLike,
    kernel: TensorLike,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> Tensor:
    """Each input channel convolved with its own filters; mirrors ``keras.ops.depthwise_conv``.

    Args:
        inputs: ``(batch, *spatial, channels)`` (or channels first).
        kernel: ``(*window, channels, multiplier)``; output channel ``c * multiplier + m``
            is input channel ``c`` convolved with filter ``m``.
        strides: Int or one int per spatial axis (default 1).
        padding: ``"valid"`` (default) or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
        dilation_rate: Int or one int per spatial axis (default 1).

    Returns:
        ``(batch, *out_spatial, channels * multiplier)`` (or channels first).
    """
    x, kernel = _sliding.float_operands(*_operands(inputs, kernel))
    rank = _sliding.spatial_rank(x, "depthwise_conv")
    _check_kernel_rank(kernel, rank, "depthwise_conv")
    channels_last = _sliding.data_format(data_format, "depthwise_conv") == "channels_last"
    padding = _sliding.padding_mode(padding, "depthwise_conv")
    return _convolve(
        x,
        _grouped_kernel(x, kernel, channels_last, "depthwise_conv"),
        strides,
        padding,
        channels_last,
        dilation_rate,
        "depthwise_conv",
    )


def _grouped_kernel(x: Tensor, kernel: Tensor, channels_last: bool, op: str) -> Tensor:
    """A depthwise ``(*window, channels, multiplier)`` kernel as a grouped convolution's
    ``(*window, 1, channels * multiplier)``."""
    channels = x.shape[-1] if channels_last else x.shape[1]
    if kernel.shape[-2] != channels:
        raise ValueError(
            f"{op} expected the kernel's input channels (axis -2) to equal the input's "
            f"{channels} channels, received: kernel.shape={tuple(kernel.shape)}, "
            f"inputs.shape={tuple(x.shape)}"
        )
    return kernel.reshape(*kernel.shape[:-2], 1, kernel.shape[-2] * kernel.shape[-1])


def separable_conv(
    inputs: TensorLike,
    depthwise_kernel: TensorLike,
    pointwise_kernel: TensorLike,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> Tensor:
    """A depthwise convolution followed by a 1x1 convolution; mirrors
    ``keras.ops.separable_conv``.

    Args:
        inputs: ``(batch, *spatial, channels)`` (or channels first).
        depthwise_kernel: ``(*window, channels, multiplier)``.
        pointwise_kernel: ``(*ones, channels * multiplier, out_channels)``.
        strides: Int or one int per spatial axis, for the depthwise step (default 1).
        padding: ``"valid"`` (default) or ``"same"``, for the depthwise step.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
        dilation_rate: Int or one int per spatial axis (default 1).
    """
    x, depthwise, pointwise = _sliding.float_operands(
        *_operands(inputs, depthwise_kernel, pointwise_kernel)
    )
    rank = _sliding.spatial_rank(x, "separable_conv")
    _check_kernel_rank(depthwise, rank, "separable_conv", "depthwise_kernel")
    _check_kernel_rank(pointwise, rank, "separable_conv", "pointwise_kernel")
    channels_last = _sliding.data_format(data_format, "separable_conv") == "channels_last"
    padding = _sliding.padding_mode(padding, "separable_conv")
    grouped = _grouped_kernel(x, depthwise, channels_last, "separable_conv")
    x = _convolve(x, grouped, strides, padding, channels_last, dilation_rate, "separable_conv")
    return _convolve(x, pointwise, 1, "valid", channels_last, 1, "separable_conv")


def _transpose_crop(
    window: int, stride: int, dilation: int, padding: str, extra: int | None
) -> tuple[int, int]:
    """(before, after) to cut from torch's full transposed output, ``(size - 1) * stride +
    span``, so that it has Keras's size; a negative amount grows the output with zeros."""
    span = (window - 1) * dilation + 1
    if padding == "valid":
        extra = max(span, stride) - span if extra is None else extra
        return 0, -extra
    # Keras pads the stride-dilated input by ``total`` elements before a stride-1
    # convolution; whatever the full output has beyond that padding is cut.
    total = stride + span - 2 if extra is None else span + span % 2 - 2 + extra
    before = min(total // 2 + total % 2, span - 1)
    return span - 1 - before, span - 1 - (total - before)


def conv_transpose(
    inputs: TensorLike,
    kernel: TensorLike,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    output_padding: int | Sequence[int] | None = None,
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> Tensor:
    """Transposed convolution (the gradient of ``conv``); mirrors ``keras.ops.conv_transpose``.

    Args:
        inputs: ``(batch, *spatial, in_channels)`` (or channels first).
        kernel: ``(*window, out_channels, in_channels)``, Keras's transposed layout.
        strides: Int or one int per spatial axis (default 1).
        padding: ``"valid"`` (default) or ``"same"``.
        output_padding: ``None`` (default) or an int / one int per spatial axis: how much to
            add at the end of each spatial axis. ``None`` gives ``size * stride`` for "same"
            and ``(size - 1) * stride + max(span, stride)`` for "valid".
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
        dilation_rate: Int or one int per spatial axis (default 1).
    """
    x, kernel = _sliding.float_operands(*_operands(inputs, kernel))
    rank = _sliding.spatial_rank(x, "conv_transpose")
    _check_kernel_rank(kernel, rank, "conv_transpose")
    channels_last = _sliding.data_format(data_format, "conv_transpose") == "channels_last"
    padding = _sliding.padding_mode(padding, "conv_transpose")
    strides = _sliding.int_tuple(strides, rank, "conv_transpose", "strides")
    dilations = _sliding.int_tuple(dilation_rate, rank, "conv_transpose", "dilation_rate")
    extras = (
        (None,) * rank
        if output_padding is None
        else _sliding.int_tuple(output_padding, rank, "conv_transpose", "output_padding", 0)
    )
    x = _sliding.to_channels_first(x, channels_last)
    if x.shape[1] != kernel.shape[-1]:
        raise ValueError(
            f"conv_transpose expected the kernel's input channels (axis -1) to equal the "
            f"input's {x.shape[1]} channels, received: kernel.shape={tuple(kernel.shape)}"
        )
    full = _TRANSPOSED[rank](x, _torch_kernel(kernel), stride=strides, dilation=dilations)
    crops = [
        _transpose_crop(window, stride, dilation, padding, extra)
        for window, stride, dilation, extra in zip(kernel.shape[:rank], strides, dilations, extras)
    ]
    return _sliding.from_channels_first(_sliding.crop_or_pad_spatial(full, crops), channels_last)
