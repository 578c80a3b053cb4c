"""Pooling over windows and to a fixed output size: ``max_pool``, ``average_pool``,
``adaptive_max_pool``, ``adaptive_average_pool`` (``keras.ops`` nn).

"same" padding is Keras's (TensorFlow's): ``ceil(size / stride)`` outputs, the odd padding
element at the end; padded elements never win a max and are not counted in an average.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from torchseq.ops import _nn_sliding as _sliding
from torchseq.ops._convert import Tensor, TensorLike, _floating

__all__ = ["adaptive_average_pool", "adaptive_max_pool", "average_pool", "max_pool"]

_MAX: dict[int, Callable[..., Tensor]] = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVERAGE: dict[int, Callable[..., Tensor]] = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
_ADAPTIVE_MAX: dict[int, Callable[..., Tensor]] = {
    1: F.adaptive_max_pool1d,
    2: F.adaptive_max_pool2d,
    3: F.adaptive_max_pool3d,
}
_ADAPTIVE_AVERAGE: dict[int, Callable[..., Tensor]] = {
    1: F.adaptive_avg_pool1d,
    2: F.adaptive_avg_pool2d,
    3: F.adaptive_avg_pool3d,
}


def _windows_of(
    inputs: TensorLike,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int] | None,
    padding: str,
    data_format: str | None,
    op: str,
) -> tuple[Tensor, tuple[int, ...], tuple[int, ...], list[tuple[int, int]] | None, bool]:
    """The checked arguments of a window pooling: ``x`` channels first, pool size, strides,
    "same" pads (``None`` for "valid") and whether the input was channels last."""
    x = _floating(inputs)
    rank = _sliding.spatial_rank(x, op)
    pool_size = _sliding.int_tuple(pool_size, rank, op, "pool_size")
    strides = pool_size if strides is None else _sliding.int_tuple(strides, rank, op, "strides")
    channels_last = _sliding.data_format(data_format, op) == "channels_last"
    x = _sliding.to_channels_first(x, channels_last)
    pads = None
    if _sliding.padding_mode(padding, op) == "same":
        pads = [_sliding.same_pads(*args) for args in zip(x.shape[2:], pool_size, strides)]
    return x, pool_size, strides, pads, channels_last


def max_pool(
    inputs: TensorLike,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """The maximum over sliding windows (1-D to 3-D, by the input's rank); mirrors
    ``keras.ops.max_pool``.

    Args:
        inputs: ``(batch, *spatial, channels)``, or channels first.
        pool_size: Int or one int per spatial axis.
        strides: Int or one int per spatial axis; default ``None`` means ``pool_size``.
        padding: ``"valid"`` (default) or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.

    Example:

    >>> ops.max_pool(ops.arange(6.0).reshape(1, 6, 1), 2).flatten()
    tensor([1., 3., 5.])
    """
    x, pool_size, strides, pads, channels_last = _windows_of(
        inputs, pool_size, strides, padding, data_format, "max_pool"
    )
    if pads is not None:
        x = _sliding.pad_spatial(x, pads, -math.inf)
    outputs = _MAX[len(pool_size)](x, pool_size, strides)
    return _sliding.from_channels_first(outputs, channels_last)


def average_pool(
    inputs: TensorLike,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """The mean over sliding windows (1-D to 3-D, by the input's rank); mirrors
    ``keras.ops.average_pool``.

    With ``padding="same"`` each border window averages only the input elements it covers.

    Args:
        inputs: ``(batch, *spatial, channels)``, or channels first.
        pool_size: Int or one int per spatial axis.
        strides: Int or one int per spatial axis; default ``None`` means ``pool_size``.
        padding: ``"valid"`` (default) or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
    """
    x, pool_size, strides, pads, channels_last = _windows_of(
        inputs, pool_size, strides, padding, data_format, "average_pool"
    )
    pool = _AVERAGE[len(pool_size)]
    if pads is None:
        outputs = pool(x, pool_size, strides)
    else:
        # Average over zero-padded windows, divided by the share of real elements in each.
        real = _sliding.pad_spatial(torch.ones_like(x[:1, :1]), pads)
        outputs = pool(_sliding.pad_spatial(x, pads), pool_size, strides) / pool(
            real, pool_size, strides
        )
    return _sliding.from_channels_first(outputs, channels_last)


def _adaptive(
    table: dict[int, Callable[..., Tensor]],
    inputs: TensorLike,
    output_size: int | Sequence[int],
    data_format: str | None,
    op: str,
) -> Tensor:
    x = _floating(inputs)
    rank = _sliding.spatial_rank(x, op)
    size = _sliding.int_tuple(output_size, rank, op, "output_size")
    channels_last = _sliding.data_format(data_format, op) == "channels_last"
    outputs = table[rank](_sliding.to_channels_first(x, channels_last), size)
    return _sliding.from_channels_first(outputs, channels_last)


def adaptive_max_pool(
    inputs: TensorLike, output_size: int | Sequence[int], data_format: str | None = None
) -> Tensor:
    """Max pooling into a fixed ``output_size`` (torch's adaptive windows); mirrors
    ``keras.ops.adaptive_max_pool``.

    Args:
        inputs: ``(batch, *spatial, channels)``, or channels first (1 to 3 spatial axes).
        output_size: Int or one int per spatial axis.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
    """
    return _adaptive(_ADAPTIVE_MAX, inputs, output_size, data_format, "adaptive_max_pool")


def adaptive_average_pool(
    inputs: TensorLike, output_size: int | Sequence[int], data_format: str | None = None
) -> Tensor:
    """Average pooling into a fixed ``output_size`` (torch's adaptive windows); mirrors
    ``keras.ops.adaptive_average_pool``.

    Args:
        inputs: ``(batch, *spatial, channels)``, or channels first (1 to 3 spatial axes).
        output_size: Int or one int per spatial axis.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
    """
    return _adaptive(_ADAPTIVE_AVERAGE, inputs, output_size, data_format, "adaptive_average_pool")
