"""Shared arithmetic of sliding-window ops (convolutions, pooling, patches): argument checks,
Keras's "same" padding and the move between Keras's layouts and torch's ``(batch, channels, ...)``.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from torchseq import config
from torchseq.ops._convert import Tensor, _floatx

Pads = list[tuple[int, int]]


def int_tuple(value: Any, rank: int, op: str, name: str, minimum: int = 1) -> tuple[int, ...]:
    """An int or a sequence of ``rank`` ints, each at least ``minimum``, as a tuple."""
    expected = f"{op} expected {name} to be an int or a tuple of {rank} ints >= {minimum}"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        values: tuple = (value,) * rank
    elif isinstance(value, (tuple, list)):
        values = tuple(value)
    else:
        raise TypeError(f"{expected}, received: {name}={value!r}")
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in values):
        raise TypeError(f"{expected}, received: {name}={value!r}")
    if len(values) != rank or any(v < minimum for v in values):
        raise ValueError(f"{expected}, received: {name}={value!r}")
    return tuple(int(v) for v in values)


def padding_mode(padding: Any, op: str) -> str:
    """``"valid"`` or ``"same"`` (any case)."""
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(
            f"{op} expected padding to be 'valid' or 'same', received: padding={padding!r}"
        )
    return padding.lower()


def data_format(value: str | None, op: str) -> str:
    """``value`` checked, or ``config.image_data_format()`` when ``None``."""
    try:
        return config.standardize_data_format(value)
    except ValueError as error:
        raise ValueError(f"{op}: {error}") from error


def spatial_rank(x: Tensor, op: str, ranks: Sequence[int] = (1, 2, 3)) -> int:
    """The number of spatial axes of a ``(batch, ..., channels)`` input, checked."""
    rank = x.ndim - 2
    if rank not in ranks:
        expected = ", ".join(str(r + 2) for r in ranks)
        raise ValueError(
            f"{op} expected an input of rank {expected} (batch, spatial axes, channels), "
            f"received: shape={tuple(x.shape)}"
        )
    return rank


def same_pads(size: int, window: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding giving ``ceil(size / stride)`` outputs; the odd one goes after."""
    span = (window - 1) * dilation + 1
    outputs = -(-size // stride)
    total = max(0, (outputs - 1) * stride + span - size)
    return total // 2, total - total // 2


def to_channels_first(x: Tensor, channels_last: bool) -> Tensor:
    """``x`` as ``(batch, channels, *spatial)`` (a view)."""
    return x.movedim(-1, 1) if channels_last else x


def from_channels_first(y: Tensor, channels_last: bool) -> Tensor:
    """Undo :func:`to_channels_first` (a view)."""
    return y.movedim(1, -1) if channels_last else y


def pad_spatial(x: Tensor, pads: Pads, value: float = 0.0) -> Tensor:
    """``x`` (channels first) padded by ``(before, after)`` per spatial axis."""
    if not any(before or after for before, after in pads):
        return x
    return F.pad(x, [amount for pair in reversed(pads) for amount in pair], value=value)


def crop_or_pad_spatial(x: Tensor, crops: Pads) -> Tensor:
    """``x`` (channels first) cut by ``(before, after)`` per spatial axis; negative amounts
    add zeros instead."""
    slices = [
        slice(max(before, 0), x.shape[2 + i] - max(after, 0))
        for i, (before, after) in enumerate(crops)
    ]
    x = x[(slice(None), slice(None), *slices)]
    return pad_spatial(x, [(max(-before, 0), max(-after, 0)) for before, after in crops])


def float_operands(*xs: Tensor) -> list[Tensor]:
    """Operands in one floating dtype (torch's windowed kernels refuse integers and mixes)."""
    floating = [x.dtype for x in xs if x.is_floating_point()]
    common = functools.reduce(torch.promote_types, floating) if floating else _floatx()
    return [x.to(common) for x in xs]
