"""``RandomFlip``: flip images left-right and/or top-bottom at random in training."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import ImageAugmentation, check_choice

__all__ = ["RandomFlip"]

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"
_MODES = (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL)


class RandomFlip(ImageAugmentation):
    """Flips each image with probability 1/2 in training; mirrors ``keras.layers.RandomFlip``.

    ``"horizontal"`` is a left-right flip, ``"vertical"`` a top-bottom flip. With
    ``"horizontal_and_vertical"`` the two flips are drawn independently, so an image ends
    up in one of four orientations (Keras 3 draws one coin for both, giving two). In
    inference mode the images are only cast to the layer's dtype (``float32`` by default),
    as Keras does.

    Args:
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"`` (default).
        seed: Optional int for repeatable flips.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.arange(4.0).reshape(1, 2, 2, 1)
        >>> RandomFlip("vertical", seed=0)(images, training=True).shape
        torch.Size([1, 2, 2, 1])
    """

    def __init__(
        self,
        mode: str = HORIZONTAL_AND_VERTICAL,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        check_choice("RandomFlip", "mode", mode, _MODES)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = mode

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mode": self.mode}

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        images = images.to(self._dtype)
        height_axis, width_axis = self._spatial_axes
        batch = images.shape[0]
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            flips = torch.rand(batch, generator=generator, device=images.device) < 0.5
            images = _flip_where(images, flips, width_axis)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            flips = torch.rand(batch, generator=generator, device=images.device) < 0.5
            images = _flip_where(images, flips, height_axis)
        return images


def _flip_where(images: torch.Tensor, flips: torch.Tensor, axis: int) -> torch.Tensor:
    """``images`` with those marked in ``flips`` (one bool per image) flipped along ``axis``."""
    return torch.where(flips.reshape(-1, 1, 1, 1), images.flip(axis), images)
