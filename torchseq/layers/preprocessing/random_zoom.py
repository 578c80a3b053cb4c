"""``RandomZoom``: zoom images in or out by a random amount in training."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing._affine_augmentation import HeightWidthAffineAugmentation
from torchseq.layers.preprocessing._augmentation import factor_range

__all__ = ["RandomZoom"]


class RandomZoom(HeightWidthAffineAugmentation):
    """Zooms each image about its centre by a random amount in training; mirrors
    ``keras.layers.RandomZoom``.

    A zoom ``z`` drawn from a factor's range reads the input ``1 + z`` times as far from the
    centre: positive values zoom out (the image shrinks and ``fill_mode`` fills the
    border), negative values zoom in. In inference mode the images are only cast to the
    layer's dtype (``float32`` by default), as Keras does.

    Args:
        height_factor: A number ``f`` in ``(-1, 1]`` for the range ``[-f, f]``, or a pair
            ``(low, high)``: the vertical zoom.
        width_factor: The same for the horizontal zoom; ``None`` (default) zooms both
            axes by the vertical draw, keeping the aspect ratio.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: Optional int for repeatable zooms.
        fill_value: The value outside the image for ``fill_mode="constant"`` (default 0).
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.rand(2, 8, 8, 3)
        >>> RandomZoom(0.2, seed=0)(images, training=True).shape
        torch.Size([2, 8, 8, 3])
    """

    def __init__(
        self,
        height_factor: float | tuple[float, float],
        width_factor: float | tuple[float, float] | None = None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        height_range = factor_range(
            "RandomZoom", "height_factor", height_factor, (-1.0, 1.0), low_inclusive=False
        )
        width_range = None
        if width_factor is not None:
            width_range = factor_range(
                "RandomZoom", "width_factor", width_factor, (-1.0, 1.0), low_inclusive=False
            )
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
        lower, upper = self._height_range
        zoom_y = self._uniform(1.0 + lower, 1.0 + upper, batch, device, generator)
        zoom_x = zoom_y
        if self._width_range is not None:
            lower, upper = self._width_range
            zoom_x = self._uniform(1.0 + lower, 1.0 + upper, batch, device, generator)
        return zoom_matrices(zoom_y, zoom_x, height, width)


def zoom_matrices(
    zoom_y: torch.Tensor, zoom_x: torch.Tensor, height: int, width: int
) -> torch.Tensor:
    """Maps scaling each image's reading distance from its centre by ``zoom_y``/``zoom_x``."""
    zeros = torch.zeros_like(zoom_x)
    offset_x = (width - 1) / 2 * (1 - zoom_x)
    offset_y = (height - 1) / 2 * (1 - zoom_y)
    return torch.stack([zoom_x, zeros, offset_x, zeros, zoom_y, offset_y], dim=-1)
