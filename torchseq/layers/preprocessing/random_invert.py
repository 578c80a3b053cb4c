"""``RandomInvert``: invert some images' pixel values in training."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import FactorAugmentation, value_range_pair
from torchseq.layers.preprocessing._color import unit_factor

__all__ = ["RandomInvert"]


class RandomInvert(FactorAugmentation):
    """Inverts each image with a random probability in training; mirrors
    ``keras.layers.RandomInvert``.

    For each image a probability ``p`` is drawn from ``factor``'s range and the image is
    inverted with probability ``p``: ``x`` becomes ``low + high - x`` for ``(low, high) =
    value_range``. Inverted or not, training outputs are in the layer's dtype. In inference
    mode the images are returned unchanged, as Keras does.

    Args:
        factor: A number ``f`` in ``[0, 1]`` for ``p`` in ``[0, f]``, or a pair ``(a, b)``
            in ``[0, 1]`` for ``p`` in ``[a, b]``. Default ``1.0``.
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        seed: Optional int for repeatable draws.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.tensor([[[[0.0], [200.0]]]])
        >>> RandomInvert((1.0, 1.0))(images, training=True)[..., 0]
        tensor([[[255.,  55.]]])
    """

    def __init__(
        self,
        factor: float | tuple[float, float] = 1.0,
        value_range: tuple[float, float] = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        factor = unit_factor("RandomInvert", "factor", factor)
        value_range = value_range_pair("RandomInvert", value_range)
        super().__init__(factor, value_range, seed=seed, data_format=data_format, **kwargs)

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        batch, device = images.shape[0], images.device
        probabilities = self._uniform(*self.factor, batch, device, generator)
        thresholds = self._uniform(0.0, 1.0, batch, device, generator)
        return self._adjust(images, thresholds < probabilities)

    def _infer(self, images: torch.Tensor) -> torch.Tensor:
        return images

    def _adjust(self, images: torch.Tensor, apply: torch.Tensor) -> torch.Tensor:
        """``images`` in the layer's dtype, those where ``apply`` (one bool each) inverted."""
        images = images.to(self._dtype)
        low, high = self.value_range
        return torch.where(apply.reshape(-1, 1, 1, 1), low + high - images, images)
