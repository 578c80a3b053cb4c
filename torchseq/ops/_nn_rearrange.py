"""Moving values between space, depth and patch columns: ``unfold``, ``fold``,
``depth_to_space``, ``space_to_depth`` (``keras.ops`` nn)."""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F

from torchseq.ops import _nn_sliding as _sliding
from torchseq.ops._convert import Tensor, TensorLike, _to_tensor
from torchseq.utils.integers import is_int

__all__ = ["depth_to_space", "fold", "space_to_depth", "unfold"]

IntPair = int | Sequence[int]


def _check_rank(x: Tensor, rank: int, op: str, layout: str) -> None:
    if x.ndim != rank:
        raise ValueError(
            f"{op} expected a {rank}-D input {layout}, received: shape={tuple(x.shape)}"
        )


def unfold(
    x: TensorLike,
    kernel_size: IntPair,
    dilation: IntPair = 1,
    padding: IntPair = 0,
    stride: IntPair = 1,
) -> Tensor:
    """Sliding ``kernel_size`` blocks of a ``(N, C, H, W)`` batch as columns (im2col); torch's
    ``unfold`` layout, as in ``keras.ops.unfold``.

    Args:
        x: ``(N, C, H, W)`` (always channels first).
        kernel_size: Int or ``(kh, kw)``.
        dilation: Int or pair (default 1).
        padding: Int or pair of zeros added on both sides (default 0).
        stride: Int or pair (default 1).

    Returns:
        ``(N, C * kh * kw, L)`` where ``L`` is the number of blocks.
    """
    x = _to_tensor(x)
    _check_rank(x, 4, "unfold", "(N, C, H, W)")
    return F.unfold(x, kernel_size, dilation=dilation, padding=padding, stride=stride)


def fold(
    x: TensorLike,
    output_size: IntPair,
    kernel_size: IntPair,
    dilation: IntPair = 1,
    padding: IntPair = 0,
    stride: IntPair = 1,
) -> Tensor:
    """The inverse layout of :func:`unfold` (col2im): columns summed back into an image.

    Args:
        x: ``(N, C * kh * kw, L)``.
        output_size: Int or ``(H, W)`` of the image.
        kernel_size: Int or ``(kh, kw)``.
        dilation: Int or pair (default 1).
        padding: Int or pair (default 0).
        stride: Int or pair (default 1).

    Returns:
        ``(N, C, H, W)``; overlapping blocks add up.
    """
    x = _to_tensor(x)
    _check_rank(x, 3, "fold", "(N, C * kh * kw, L)")
    return F.fold(x, output_size, kernel_size, dilation=dilation, padding=padding, stride=stride)


def _block_layout(x: Tensor, block_size: int, data_format: str, op: str) -> tuple[Tensor, bool]:
    if not is_int(block_size) or block_size < 2:
        raise ValueError(
            f"{op} expected block_size to be an int >= 2, received: block_size={block_size!r}"
        )
    _check_rank(x, 4, op, "(batch, height, width, channels) or channels first")
    return x, _sliding.data_format(data_format, op) == "channels_last"


def depth_to_space(x: TensorLike, block_size: int, data_format: str = "channels_last") -> Tensor:
    """Spread channels into ``block_size x block_size`` spatial blocks.

    Channels last splits each channel index as ``(row, column, channel)`` (TensorFlow's
    order); channels first as ``(channel, row, column)`` (torch's ``pixel_shuffle``), as Keras.

    Args:
        x: ``(N, H, W, C)`` (or ``(N, C, H, W)``); ``C`` divisible by ``block_size**2``.
        block_size: Int >= 2.
        data_format: ``"channels_last"`` (default, as in Keras) or ``"channels_first"``.

    Returns:
        ``(N, H * b, W * b, C / b**2)`` (or channels first).
    """
    x, channels_last = _block_layout(_to_tensor(x), block_size, data_format, "depth_to_space")
    b = int(block_size)
    if channels_last:
        n, h, w, c = x.shape
        _check_divisible(c, b * b, "depth_to_space")
        return (
            x.reshape(n, h, w, b, b, c // (b * b))
            .permute(0, 1, 3, 2, 4, 5)
            .reshape(n, h * b, w * b, -1)
        )
    n, c, h, w = x.shape
    _check_divisible(c, b * b, "depth_to_space")
    return F.pixel_shuffle(x, b)


def space_to_depth(x: TensorLike, block_size: int, data_format: str = "channels_last") -> Tensor:
    """Gather ``block_size x block_size`` spatial blocks into channels; the inverse of
    :func:`depth_to_space` (channels first is torch's ``pixel_unshuffle``).

    Args:
        x: ``(N, H, W, C)`` (or ``(N, C, H, W)``); ``H`` and ``W`` divisible by ``block_size``.
        block_size: Int >= 2.
        data_format: ``"channels_last"`` (default, as in Keras) or ``"channels_first"``.

    Returns:
        ``(N, H / b, W / b, C * b**2)`` (or channels first).
    """
    x, channels_last = _block_layout(_to_tensor(x), block_size, data_format, "space_to_depth")
    b = int(block_size)
    if channels_last:
        n, h, w, c = x.shape
        _check_divisible(h, b, "space_to_depth", "height")
        _check_divisible(w, b, "space_to_depth", "width")
        return (
            x.reshape(n, h // b, b, w // b, b, c)
            .permute(0, 1, 3, 2, 4, 5)
            .reshape(n, h // b, w // b, -1)
        )
    n, c, h, w = x.shape
    _check_divisible(h, b, "space_to_depth", "height")
    _check_divisible(w, b, "space_to_depth", "width")
    return F.pixel_unshuffle(x, b)


def _check_divisible(size: int, block: int, op: str, what: str = "channels") -> None:
    if size % block:
        raise ValueError(
            f"{op} expected the {what} ({size}) to be divisible by {block}, received: {what}={size}"
        )
