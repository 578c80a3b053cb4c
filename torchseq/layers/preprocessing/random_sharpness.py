"""``RandomSharpness``: sharpen or blur each image by a random amount in training."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchseq.layers.preprocessing._augmentation import FactorAugmentation, value_range_pair
from torchseq.layers.preprocessing._color import blend, unit_factor

__all__ = ["RandomSharpness"]

# The smoothing filter of PIL's ImageEnhance.Sharpness, which Keras uses too.
_SMOOTH = ((1.0, 1.0, 1.0), (1.0, 5.0, 1.0), (1.0, 1.0, 1.0))


class RandomSharpness(FactorAugmentation):
    """Sharpens or blurs each image by a random amount in training; mirrors
    ``keras.layers.RandomSharpness``.

    Each image is blended with a smoothed copy of itself (a 3x3 filter, zero padded):
    ``x + (1 - s) * (smooth(x) - x)`` with the sharpness ``s = 2 u``, ``u`` drawn per image
    from ``factor``'s range, then clipped to ``value_range``. ``u = 0.5`` keeps the image,
    ``0`` gives the smoothed copy, ``1`` sharpens. Outputs are in the layer's dtype, in
    inference mode too (where the images are otherwise unchanged), as Keras does.

    Args:
        factor: A number ``f`` in ``[0, 1]`` for ``u`` in ``[0, f]``, or a pair ``(a, b)`` in
            ``[0, 1]``.
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.
        seed: Optional int for repeatable draws.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.rand(2, 8, 8, 3) * 255
        >>> layer = RandomSharpness((0.5, 0.5))
        >>> torch.allclose(layer(images, training=True), images)
        True
    """

    def __init__(
        self,
        factor: float | tuple[float, float],
        value_range: tuple[float, float] = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        factor = unit_factor("RandomSharpness", "factor", factor)
        value_range = value_range_pair("RandomSharpness", value_range)
        super().__init__(factor, value_range, seed=seed, data_format=data_format, **kwargs)

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        draws = self._uniform(*self.factor, images.shape[0], images.device, generator)
        return self._adjust(images, draws * 2.0)

    def _adjust(self, images: torch.Tensor, sharpness: torch.Tensor) -> torch.Tensor:
        """``images`` at sharpness ``sharpness`` (one per image; ``1`` keeps them)."""
        images = images.to(self._dtype)
        planes = images.permute(0, 3, 1, 2) if self._channels_last else images
        channels = planes.shape[1]
        kernel = torch.tensor(_SMOOTH, dtype=images.dtype, device=images.device) / 13.0
        kernel = kernel.expand(channels, 1, 3, 3)
        smoothed = F.conv2d(planes, kernel, padding=1, groups=channels)
        if self._channels_last:
            smoothed = smoothed.permute(0, 2, 3, 1)
        return blend(images, smoothed, 1.0 - sharpness).clamp(*self.value_range)
