"""``MixUp``: blend each image (and its labels) with another of the batch in training."""

from __future__ import annotations

from numbers import Real
from typing import Any

import torch

from torchseq.layers.preprocessing._mixing_augmentation import MixingAugmentation

__all__ = ["MixUp"]


class MixUp(MixingAugmentation):
    """Blends each image with another image of the batch in training; mirrors
    ``keras.layers.MixUp``.

    Image ``i`` becomes ``w x_i + (1 - w) x_j``, with ``j`` from a random permutation of
    the batch and ``w`` drawn per image from ``Beta(alpha, alpha)``; labels, when passed
    as ``{"images": ..., "labels": ...}``, are blended with the same ``w``. In inference
    mode the images are only cast to the layer's dtype (``float32`` by default).

    Args:
        alpha: The Beta distribution's concentration, a positive number. Default 0.2.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.
        seed: Optional int for repeatable mixes.

    Input shape: ``(batch, height, width, channels)`` images (channels first with
    ``data_format="channels_first"``), or a dict of ``"images"`` and ``(batch, classes)``
    ``"labels"``.
    Output shape: the input's shape (a dict for a dict).

    Example:
        >>> images, labels = torch.rand(4, 8, 8, 3), torch.eye(4)
        >>> mixed = MixUp(seed=0)({"images": images, "labels": labels}, training=True)
        >>> mixed["labels"].sum(dim=1)
        tensor([1., 1., 1., 1.])
    """

    def __init__(
        self,
        alpha: float = 0.2,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(alpha, bool) or not isinstance(alpha, Real) or not alpha > 0:
            raise ValueError(f"MixUp: alpha must be a positive number, received: alpha={alpha!r}")
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.alpha = float(alpha)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}

    def _mix(
        self, images: torch.Tensor, generator: torch.Generator | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        batch, device = images.shape[0], images.device
        permutation = torch.randperm(batch, generator=generator, device=device)
        shares = self._beta(self.alpha, batch, device, generator)
        return self._blend(images, permutation, shares), permutation, shares

    def _blend(
        self, images: torch.Tensor, permutation: torch.Tensor, shares: torch.Tensor
    ) -> torch.Tensor:
        images = images.to(self._dtype)
        weights = shares.to(images.dtype).reshape(-1, 1, 1, 1)
        return weights * images + (1 - weights) * images[permutation]
