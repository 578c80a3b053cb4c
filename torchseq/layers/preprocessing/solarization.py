"""``Solarization``: invert the values above a random threshold in training."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import ImageAugmentation, value_range_pair
from torchseq.layers.preprocessing._color import per_image, to_range, unit_factor

__all__ = ["Solarization"]


class Solarization(ImageAugmentation):
    """Inverts the pixel values above a random threshold in training; mirrors
    ``keras.layers.Solarization``.

    Values are mapped from ``value_range`` to ``[0, 255]``; each image gets an addition
    ``a`` (clipped back into ``[0, 255]``), then every value ``v`` at or above the image's
    threshold ``t`` becomes ``255 - v``; the result is mapped back. ``a`` and ``t`` are
    drawn per image from ``255 *`` the factors' ranges. Outputs are in the layer's dtype,
    in inference mode too (where the images are otherwise unchanged), as Keras does.

    Keras 3 draws from ``[low, 255 * high]`` rather than ``[255 * low, 255 * high]`` when a
    factor is a pair; the two agree for the number form and whenever ``low = 0``.

    Args:
        addition_factor: A number ``f`` in ``[0, 1]`` for additions in ``[0, 255 f]``, or a
            pair ``(a, b)`` in ``[0, 1]``. Default ``0.0``.
        threshold_factor: The same for thresholds. Default ``0.0``: every value inverts.
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        seed: Optional int for repeatable draws.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.tensor([[[[0.2, 0.9]]]])
        >>> layer = Solarization(threshold_factor=(0.5, 0.5), value_range=(0, 1))
        >>> layer(images, training=True)
        tensor([[[[0.2000, 0.1000]]]])
    """

    def __init__(
        self,
        addition_factor: float | tuple[float, float] = 0.0,
        threshold_factor: float | tuple[float, float] = 0.0,
        value_range: tuple[float, float] = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        addition_factor = unit_factor("Solarization", "addition_factor", addition_factor)
        threshold_factor = unit_factor("Solarization", "threshold_factor", threshold_factor)
        value_range = value_range_pair("Solarization", value_range)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.addition_factor = addition_factor
        self.threshold_factor = threshold_factor
        self.value_range = value_range

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "addition_factor": self.addition_factor,
            "threshold_factor": self.threshold_factor,
            "value_range": self.value_range,
        }

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        batch, device = images.shape[0], images.device
        low, high = self.addition_factor
        additions = self._uniform(255.0 * low, 255.0 * high, batch, device, generator)
        low, high = self.threshold_factor
        thresholds = self._uniform(255.0 * low, 255.0 * high, batch, device, generator)
        return self._adjust(images, additions, thresholds)

    def _adjust(
        self, images: torch.Tensor, additions: torch.Tensor, thresholds: torch.Tensor
    ) -> torch.Tensor:
        """``images`` solarized with ``additions`` and ``thresholds`` (one each per image)."""
        images = to_range(images.to(self._dtype), self.value_range, (0.0, 255.0))
        values = (images + per_image(additions, images)).clamp(0.0, 255.0)
        values = torch.where(values < per_image(thresholds, values), values, 255.0 - values)
        return to_range(values, (0.0, 255.0), self.value_range)
