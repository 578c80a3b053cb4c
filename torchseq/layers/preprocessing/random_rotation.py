"""``RandomRotation``: rotate images by a random angle in training."""

from __future__ import annotations

import math
from typing import Any

import torch

from torchseq.layers.preprocessing._affine_augmentation import AffineAugmentation
from torchseq.layers.preprocessing._augmentation import factor_range

__all__ = ["RandomRotation"]


class RandomRotation(AffineAugmentation):
    """Rotates each image about its centre by a random angle in training; mirrors
    ``keras.layers.RandomRotation``.

    The angle, in turns (fractions of 360°), is drawn uniformly from ``factor``'s range;
    positive angles turn the image counter-clockwise. In inference mode the images are
    only cast to the layer's dtype (``float32`` by default), as Keras does.

    Args:
        factor: A number ``f`` in ``[-1, 1]`` for the range ``[-f, f]``, or a pair
            ``(low, high)``: ``factor=0.25`` rotates by up to ±90°, ``(0.25, 0.25)`` by
            exactly 90°.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``:
            what the rotated image shows where it leaves the input.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: Optional int for repeatable rotations.
        fill_value: The value outside the image for ``fill_mode="constant"`` (default 0).
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> image = torch.arange(9.0).reshape(3, 3, 1)
        >>> turned = RandomRotation((0.25, 0.25), interpolation="nearest")(image, training=True)
        >>> turned[..., 0]
        tensor([[2., 5., 8.],
                [1., 4., 7.],
                [0., 3., 6.]])
    """

    def __init__(
        self,
        factor: float | tuple[float, float],
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        lower, upper = factor_range("RandomRotation", "factor", factor, (-1.0, 1.0))
        super().__init__(
            fill_mode=fill_mode,
            interpolation=interpolation,
            seed=seed,
            fill_value=fill_value,
            data_format=data_format,
            **kwargs,
        )
        self.factor = (lower, upper)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}

    def _matrices(
        self,
        batch: int,
        height: int,
        width: int,
        device: torch.device,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        lower, upper = self.factor
        degrees = self._uniform(lower * 360.0, upper * 360.0, batch, device, generator)
        return rotation_matrices(degrees * (math.pi / 180.0), height, width)


def rotation_matrices(angles: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Maps turning each image by ``angles`` (radians, counter-clockwise) about its centre."""
    cos, sin = torch.cos(angles), torch.sin(angles)
    center_x, center_y = (width - 1) / 2, (height - 1) / 2
    a2 = center_x - center_x * cos + center_y * sin
    b2 = center_y - center_x * sin - center_y * cos
    return torch.stack([cos, -sin, a2, sin, cos, b2], dim=-1)
