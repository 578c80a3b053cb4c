"""``RandomShear``: shear images by random amounts in training."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing._affine_augmentation import AffineAugmentation
from torchseq.layers.preprocessing._augmentation import factor_range

__all__ = ["RandomShear"]


class RandomShear(AffineAugmentation):
    """Shears each image by random amounts in training; mirrors ``keras.layers.RandomShear``.

    An output pixel ``(x, y)`` reads the input at ``(x + sx y, sy x + y)`` (pixel units,
    about the top-left corner), with ``sx`` and ``sy`` drawn per image from the factors'
    ranges and both negated together for half of the images. In inference mode the images
    are only cast to the layer's dtype (``float32`` by default), as Keras does.

    Args:
        x_factor: A number ``f`` in ``[0, 1]`` for the range ``[-f, f]``, or a pair
            ``(low, high)`` in ``[-1, 1]``: the horizontal shear. Default 0.
        y_factor: The same for the vertical shear. Default 0.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        fill_value: The value outside the image for ``fill_mode="constant"`` (default 0).
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.
        seed: Optional int for repeatable shears.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.rand(2, 8, 8, 3)
        >>> RandomShear(x_factor=0.3, seed=0)(images, training=True).shape
        torch.Size([2, 8, 8, 3])
    """

    def __init__(
        self,
        x_factor: float | tuple[float, float] = 0.0,
        y_factor: float | tuple[float, float] = 0.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        x_range = _shear_range("x_factor", x_factor)
        y_range = _shear_range("y_factor", y_factor)
        super().__init__(
            fill_mode=fill_mode,
            interpolation=interpolation,
            seed=seed,
            fill_value=fill_value,
            data_format=data_format,
            **kwargs,
        )
        self.x_factor = x_range
        self.y_factor = y_range

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor}

    def _matrices(
        self,
        batch: int,
        height: int,
        width: int,
        device: torch.device,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        signs = torch.where(torch.rand(batch, generator=generator, device=device) > 0.5, -1.0, 1.0)
        shear_y = self._uniform(*self.y_factor, batch, device, generator) * signs
        shear_x = self._uniform(*self.x_factor, batch, device, generator) * signs
        return shear_matrices(shear_x, shear_y)


def _shear_range(name: str, factor: Any) -> tuple[float, float]:
    # Keras takes pairs in [0, 1] only, so the (-f, f) its get_config stores cannot load
    # back; torchseq takes any pair in [-1, 1].
    bounds = (-1.0, 1.0) if isinstance(factor, (tuple, list)) else (0.0, 1.0)
    return factor_range("RandomShear", name, factor, bounds)


def shear_matrices(shear_x: torch.Tensor, shear_y: torch.Tensor) -> torch.Tensor:
    """Maps shearing each image by ``shear_x``/``shear_y`` about its top-left corner."""
    ones, zeros = torch.ones_like(shear_x), torch.zeros_like(shear_x)
    return torch.stack([ones, shear_x, zeros, shear_y, ones, zeros], dim=-1)
