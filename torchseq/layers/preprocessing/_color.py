"""Colour maths shared by the colour augmentation layers.

Rescaling between a layer's ``value_range`` and a working range, grayscale, hue/saturation
through HSV, blending, and the factor validation that the colour layers share. Every
function takes a 4-D batch and whether its channels are last; none draws random numbers.
"""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import _is_real
from torchseq.ops._image import hsv_to_rgb, rgb_to_grayscale, rgb_to_hsv

__all__ = [
    "blend",
    "channel_axis",
    "check_rgb",
    "grayscale",
    "per_image",
    "scale_saturation",
    "shift_hue",
    "to_range",
    "unit_factor",
]


def channel_axis(channels_last: bool) -> int:
    return -1 if channels_last else -3


def per_image(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """One value per image, shaped to broadcast over a 4-D batch and cast to its dtype."""
    return values.to(like.dtype).reshape(-1, 1, 1, 1)


def to_range(
    images: torch.Tensor, source: tuple[float, float], target: tuple[float, float]
) -> torch.Tensor:
    """``images`` mapped linearly from the range ``source`` onto ``target``."""
    if tuple(source) == tuple(target):
        return images
    (source_low, source_high), (target_low, target_high) = source, target
    unit = (images - source_low) / (source_high - source_low)
    return unit * (target_high - target_low) + target_low


def blend(images: torch.Tensor, other: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
    """``images + factors * (other - images)``: ``0`` keeps ``images``, ``1`` gives ``other``."""
    return images + per_image(factors, images) * (other - images)


def check_rgb(layer: str, images: torch.Tensor, channels_last: bool) -> None:
    channels = images.shape[channel_axis(channels_last)]
    if channels != 3:
        raise ValueError(
            f"{layer} expected RGB images with 3 channels, received: {channels} channels "
            f"(images.shape={tuple(images.shape)})"
        )


def grayscale(images: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """Luma of RGB ``images``, repeated over the three channels."""
    data_format = "channels_last" if channels_last else "channels_first"
    luma = rgb_to_grayscale(images, data_format=data_format)
    return luma.expand_as(images)


def shift_hue(images: torch.Tensor, deltas: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """RGB ``images`` in ``[0, 1]`` with each image's hue turned by ``deltas`` (of a full turn)."""
    data_format = "channels_last" if channels_last else "channels_first"
    axis = channel_axis(channels_last)
    hue, saturation, value = rgb_to_hsv(images, data_format=data_format).unbind(axis)
    hue = hue + deltas.to(hue.dtype).reshape(-1, 1, 1)
    hue = torch.where(hue > 1.0, hue - 1.0, hue)
    hue = torch.where(hue < 0.0, hue + 1.0, hue)
    hsv = torch.stack([hue, saturation, value], dim=axis)
    return hsv_to_rgb(hsv, data_format=data_format).clamp(0.0, 1.0)


def scale_saturation(
    images: torch.Tensor, factors: torch.Tensor, channels_last: bool
) -> torch.Tensor:
    """RGB ``images`` in ``[0, 1]`` with each image's saturation multiplied by ``factors``."""
    data_format = "channels_last" if channels_last else "channels_first"
    axis = channel_axis(channels_last)
    hue, saturation, value = rgb_to_hsv(images, data_format=data_format).unbind(axis)
    saturation = (saturation * factors.to(saturation.dtype).reshape(-1, 1, 1)).clamp(0.0, 1.0)
    hsv = torch.stack([hue, saturation, value], dim=axis)
    return hsv_to_rgb(hsv, data_format=data_format)


def unit_factor(
    layer: str, name: str, value: Any, bounds: tuple[float, float] = (0.0, 1.0)
) -> tuple[float, float]:
    """A factor as Keras's colour layers read it: a number ``f`` means ``(low, f)``, a pair
    ``(a, b)`` means ``(min, max)``; every number must lie within ``bounds = (low, high)``.

    Raises:
        TypeError: ``value`` is neither a number nor a pair of numbers.
        ValueError: A pair of the wrong length, or a number outside ``bounds``.
    """
    low, high = bounds
    message = (
        f"{layer}: {name} must be a number or a pair of numbers in [{low}, {high}], "
        f"received: {name}={value!r}"
    )
    if _is_real(value):
        numbers = [float(value)]
        pair = (float(low), float(value))
    elif isinstance(value, (tuple, list)) and all(_is_real(v) for v in value):
        if len(value) != 2:
            raise ValueError(message)
        numbers = [float(v) for v in value]
        pair = tuple(sorted(numbers))  # type: ignore[assignment]
    else:
        raise TypeError(message)
    if not all(low <= number <= high for number in numbers):
        raise ValueError(message)
    return pair
