"""``RandomHue``: turn each image's hue by a random amount in training."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import FactorAugmentation, value_range_pair
from torchseq.layers.preprocessing._color import check_rgb, shift_hue, to_range, unit_factor

__all__ = ["RandomHue"]


class RandomHue(FactorAugmentation):
    """Turns each image's hue by a random amount in training; mirrors
    ``keras.layers.RandomHue``.

    Each image goes to HSV, its hue turns by ``± f / 2`` of a full turn (``f`` drawn per
    image from ``factor``'s range, the sign a fair coin), and it comes back to RGB in
    ``value_range``, in the layer's dtype. In inference mode the images are returned
    unchanged, as Keras does.

    Args:
        factor: A number ``f`` in ``[0, 1]`` for amounts in ``[0, f]``, or a pair ``(a, b)``
            in ``[0, 1]``. ``0`` changes nothing, ``1`` turns the hue by up to half a turn.
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.
        seed: Optional int for repeatable draws.

    Input shape: ``(batch, height, width, 3)`` or one image ``(height, width, 3)``
    (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.tensor([[[[1.0, 0.0, 0.0]]]])
        >>> RandomHue((2 / 3, 2 / 3), value_range=(0, 1), seed=0)(images, training=True)
        tensor([[[[0., 1., 0.]]]])
    """

    def __init__(
        self,
        factor: float | tuple[float, float],
        value_range: tuple[float, float] = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        factor = unit_factor("RandomHue", "factor", factor)
        value_range = value_range_pair("RandomHue", value_range)
        super().__init__(factor, value_range, seed=seed, data_format=data_format, **kwargs)

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        batch, device = images.shape[0], images.device
        signs = torch.where(self._uniform(0.0, 1.0, batch, device, generator) > 0.5, -1.0, 1.0)
        amounts = self._uniform(*self.factor, batch, device, generator)
        return self._adjust(images, signs * amounts * 0.5)

    def _infer(self, images: torch.Tensor) -> torch.Tensor:
        return images

    def _adjust(self, images: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
        """``images`` with hues turned by ``deltas`` (one per image, fractions of a turn)."""
        check_rgb("RandomHue", images, self._channels_last)
        images = to_range(images.to(self._dtype), self.value_range, (0.0, 1.0))
        images = shift_hue(images, deltas, self._channels_last)
        return to_range(images, (0.0, 1.0), self.value_range)
