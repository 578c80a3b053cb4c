"""``RandomGrayscale``: turn some images grey in training."""

from __future__ import annotations

from numbers import Real
from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import ImageAugmentation
from torchseq.layers.preprocessing._color import grayscale

__all__ = ["RandomGrayscale"]


class RandomGrayscale(ImageAugmentation):
    """Turns each image grey with probability ``factor`` in training; mirrors
    ``keras.layers.RandomGrayscale``.

    A grey image has its luma ``0.2989 R + 0.587 G + 0.114 B`` in all three channels, so
    the output keeps the input's shape and dtype. In inference mode the images are
    returned unchanged, as Keras does.

    Args:
        factor: The probability, in ``[0, 1]``, that an image turns grey. Default ``0.5``.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.
        seed: Optional int for repeatable draws.

    Input shape: ``(batch, height, width, 3)`` or one image ``(height, width, 3)``
    (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.rand(2, 8, 8, 3)
        >>> grey = RandomGrayscale(1.0)(images, training=True)
        >>> torch.equal(grey[..., 0], grey[..., 2])
        True
    """

    def __init__(
        self,
        factor: float = 0.5,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(factor, Real) or isinstance(factor, bool):
            raise TypeError(
                f"RandomGrayscale: factor must be a number in [0, 1], received: factor={factor!r}"
            )
        if not 0 <= factor <= 1:
            raise ValueError(
                f"RandomGrayscale: factor must be a number in [0, 1], received: factor={factor!r}"
            )
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        draws = self._uniform(0.0, 1.0, images.shape[0], images.device, generator)
        return self._adjust(images, draws < self.factor)

    def _infer(self, images: torch.Tensor) -> torch.Tensor:
        return images

    def _adjust(self, images: torch.Tensor, apply: torch.Tensor) -> torch.Tensor:
        """``images`` with those where ``apply`` (one bool per image) turned grey."""
        return torch.where(
            apply.reshape(-1, 1, 1, 1), grayscale(images, self._channels_last), images
        )
