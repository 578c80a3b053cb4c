"""``RandomColorDegeneration``: fade each image towards grey by a random amount in training."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import (
    FactorAugmentation,
    factor_range,
    value_range_pair,
)
from torchseq.layers.preprocessing._color import blend, check_rgb, grayscale

__all__ = ["RandomColorDegeneration"]


class RandomColorDegeneration(FactorAugmentation):
    """Blends each image with its grayscale version by a random amount in training;
    mirrors ``keras.layers.RandomColorDegeneration``.

    Each image ``x`` becomes ``x + f * (grey(x) - x)``, ``f`` drawn per image from
    ``factor``'s range, clipped to ``value_range``: ``f = 1`` is grey, ``0`` the image,
    negative ``f`` makes colours stronger. Training outputs are in the layer's dtype. In
    inference mode the images are returned unchanged, as Keras does.

    Args:
        factor: A number ``f`` in ``[-1, 1]`` for amounts in ``[-|f|, |f|]``, or a pair
            ``(a, b)`` in ``[-1, 1]``.
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.
        seed: Optional int for repeatable draws.

    Input shape: ``(batch, height, width, 3)`` or one image ``(height, width, 3)``
    (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.tensor([[[[200.0, 100.0, 50.0]]]])
        >>> RandomColorDegeneration((1.0, 1.0))(images, training=True)
        tensor([[[[124.1800, 124.1800, 124.1800]]]])
    """

    def __init__(
        self,
        factor: float | tuple[float, float],
        value_range: tuple[float, float] = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        factor = factor_range("RandomColorDegeneration", "factor", factor, (-1.0, 1.0))
        value_range = value_range_pair("RandomColorDegeneration", value_range)
        super().__init__(factor, value_range, seed=seed, data_format=data_format, **kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = super().compute_output_shape(input_shape)
        channels = shape[-1 if self._channels_last else -3]
        if channels is not None and channels != 3:
            raise ValueError(
                "RandomColorDegeneration expected RGB images with 3 channels, received: "
                f"{channels} channels (input_shape={shape})"
            )
        return shape

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        factors = self._uniform(*self.factor, images.shape[0], images.device, generator)
        return self._adjust(images, factors)

    def _infer(self, images: torch.Tensor) -> torch.Tensor:
        return images

    def _adjust(self, images: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
        """``images`` faded towards grey by ``factors`` (one per image)."""
        check_rgb("RandomColorDegeneration", images, self._channels_last)
        images = images.to(self._dtype)
        greys = grayscale(images, self._channels_last)
        return blend(images, greys, factors).clamp(*self.value_range)
