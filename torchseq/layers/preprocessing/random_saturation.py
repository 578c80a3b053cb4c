"""``RandomSaturation``: scale each image's colour saturation at random in training."""

from __future__ import annotations

from typing import Any

import torch

from torchseq import config
from torchseq.layers.preprocessing._augmentation import FactorAugmentation, value_range_pair
from torchseq.layers.preprocessing._color import (
    check_rgb,
    scale_saturation,
    to_range,
    unit_factor,
)

__all__ = ["RandomSaturation"]


class RandomSaturation(FactorAugmentation):
    """Scales each image's saturation by a random factor in training; mirrors
    ``keras.layers.RandomSaturation``.

    A value ``u`` drawn per image from ``factor``'s range becomes the multiplier
    ``u / (1 - u + epsilon)`` of the HSV saturation, clipped to ``[0, 1]``: ``u = 0.5``
    changes nothing, ``0`` makes the image grey, ``1`` fully saturated. Training outputs
    are in the layer's dtype. In inference mode the images are returned unchanged, as
    Keras does.

    Keras 3 reads a number ``f`` as ``u`` in ``[-f, f]`` (its docs say ``[0, f]``) and clips
    the saturation to ``value_range`` instead of ``[0, 1]``, so saturations above 1 push
    colours out of range; torchseq does what the docs say. A pair may reach down to ``-1``,
    so that Keras's stored configs load: negative draws make the image grey, as ``0`` does.

    Args:
        factor: A number ``f`` in ``[0, 1]`` for ``u`` in ``[0, f]``, or a pair ``(a, b)`` in
            ``[-1, 1]``. ``(0.5, 0.5)`` is the identity.
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.
        seed: Optional int for repeatable draws.

    Input shape: ``(batch, height, width, 3)`` or one image ``(height, width, 3)``
    (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.tensor([[[[200.0, 100.0, 50.0]]]])
        >>> RandomSaturation((0.0, 0.0))(images, training=True)
        tensor([[[[200., 200., 200.]]]])
    """

    def __init__(
        self,
        factor: float | tuple[float, float],
        value_range: tuple[float, float] = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        factor = _saturation_range(factor)
        value_range = value_range_pair("RandomSaturation", value_range)
        super().__init__(factor, value_range, seed=seed, data_format=data_format, **kwargs)

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        draws = self._uniform(*self.factor, images.shape[0], images.device, generator)
        return self._adjust(images, draws / (1.0 - draws + config.epsilon()))

    def _infer(self, images: torch.Tensor) -> torch.Tensor:
        return images

    def _adjust(self, images: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
        """``images`` with saturations multiplied by ``factors`` (one per image)."""
        check_rgb("RandomSaturation", images, self._channels_last)
        images = to_range(images.to(self._dtype), self.value_range, (0.0, 1.0))
        images = scale_saturation(images, factors, self._channels_last)
        return to_range(images, (0.0, 1.0), self.value_range)


def _saturation_range(factor: Any) -> tuple[float, float]:
    if isinstance(factor, (tuple, list)):
        return unit_factor("RandomSaturation", "factor", factor, bounds=(-1.0, 1.0))
    return unit_factor("RandomSaturation", "factor", factor)
