"""``RandomTranslation``: shift images by a random offset in training."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing._affine_augmentation import HeightWidthAffineAugmentation
from torchseq.layers.preprocessing._augmentation import factor_range

__all__ = ["RandomTranslation"]


class RandomTranslation(HeightWidthAffineAugmentation):
    """Shifts each image by a random offset in training; mirrors
    ``keras.layers.RandomTranslation``.

    Offsets are fractions of the image's height and width drawn from the factors' ranges;
    positive values move the content down and right. In inference mode the images are
    only cast to the layer's dtype (``float32`` by default), as Keras does.

    Args:
        height_factor: A number ``f`` in ``[-1, 1]`` for the range ``[-f, f]``, or a pair
            ``(low, high)``: the vertical shift as a fraction of the height.
        width_factor: The same for the horizontal shift, as a fraction of the width.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: Optional int for repeatable shifts.
        fill_value: The value outside the image for ``fill_mode="constant"`` (default 0).
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> image = torch.arange(4.0).reshape(1, 4, 1)
        >>> layer = RandomTranslation(0, (0.25, 0.25), fill_mode="constant")
        >>> layer(image, training=True)[..., 0]
        tensor([[0., 0., 1., 2.]])
    """

    def __init__(
        self,
        height_factor: float | tuple[float, float],
        width_factor: float | tuple[float, float],
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        height_range = factor_range(
            "RandomTranslation", "height_factor", height_factor, (-1.0, 1.0)
        )
        width_range = factor_range("RandomTranslation", "width_factor", width_factor, (-1.0, 1.0))
        super().__init__(
            height_factor,
            width_factor,
            height_range=height_range,
            width_range=width_range,
            fill_mode=fill_mode,
            interpolation=interpolation,
            seed=seed,
            fill_value=fill_value,
            data_format=data_format,
            **kwargs,
        )

    def _matrices(
        self,
        batch: int,
        height: int,
        width: int,
        device: torch.device,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        shift_y = self._uniform(*self._height_range, batch, device, generator) * height
        shift_x = self._uniform(*self._width_range, batch, device, generator) * width
        ones, zeros = torch.ones_like(shift_x), torch.zeros_like(shift_x)
        return torch.stack([ones, zeros, -shift_x, zeros, ones, -shift_y], dim=-1)
