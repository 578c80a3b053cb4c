"""``RandomBrightness``: add a random offset to each image in training."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import (
    FactorAugmentation,
    factor_range,
    value_range_pair,
)

__all__ = ["RandomBrightness"]


class RandomBrightness(FactorAugmentation):
    """Brightens or darkens each image by a random amount in training; mirrors
    ``keras.layers.RandomBrightness``.

    Each image gets ``delta * (high - low)`` added, with ``delta`` drawn per image from
    ``factor``'s range and ``(low, high) = value_range``; the result is clipped to
    ``value_range``. Floating images keep their dtype; integer images are computed in
    the layer's dtype, then rounded back into their own dtype. In inference mode the
    images are returned unchanged, as Keras does.

    Args:
        factor: A number ``f`` in ``[-1, 1]`` for ``delta`` in ``[-f, f]``, or a pair
            ``(low, high)`` in ``[-1, 1]``: ``-1`` turns an image black, ``1`` white.
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        seed: Optional int for repeatable offsets.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.tensor([[[[0.2], [0.9]]]])
        >>> layer = RandomBrightness((0.25, 0.25), value_range=(0, 1))
        >>> layer(images, training=True)[..., 0]
        tensor([[[0.4500, 1.0000]]])
    """

    def __init__(
        self,
        factor: float | tuple[float, float],
        value_range: tuple[float, float] = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        factor = factor_range("RandomBrightness", "factor", factor, (-1.0, 1.0))
        value_range = value_range_pair("RandomBrightness", value_range)
        super().__init__(factor, value_range, seed=seed, data_format=data_format, **kwargs)

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        deltas = self._uniform(*self.factor, images.shape[0], images.device, generator)
        return self._adjust(images, deltas)

    def _infer(self, images: torch.Tensor) -> torch.Tensor:
        return images

    def _adjust(self, images: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
        """``images`` brightened by ``deltas`` (one per image, fractions of the range)."""
        low, high = self.value_range
        dtype = images.dtype
        values = images if images.is_floating_point() else images.to(self._dtype)
        offsets = (deltas * (high - low)).to(values.dtype).reshape(-1, 1, 1, 1)
        outputs = (values + offsets).clamp(low, high)
        if dtype.is_floating_point:
            return outputs
        info = torch.iinfo(dtype) if dtype != torch.bool else None
        if info is not None:
            outputs = outputs.round().clamp(info.min, info.max)
        return outputs.to(dtype)
