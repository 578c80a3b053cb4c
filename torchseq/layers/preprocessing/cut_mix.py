"""``CutMix``: paste a box of another image (and mix the labels) in training."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import unit_range
from torchseq.layers.preprocessing._mixing_augmentation import MixingAugmentation

__all__ = ["CutMix"]


class CutMix(MixingAugmentation):
    """Pastes a random box of another image of the batch into each image in training;
    mirrors ``keras.layers.CutMix``.

    A concentration ``a`` is drawn from ``factor``'s range (plus 1e-6) for the batch and
    ``w`` per image from ``Beta(a, a)``; the box is ``sqrt(1 - w)`` times the image's
    height and width, at a random place, and is taken from image ``j`` of a random
    permutation of the batch. Labels, when passed as ``{"images": ..., "labels": ...}``,
    are mixed in proportion to the areas. In inference mode the images are only cast to
    the layer's dtype (``float32`` by default).

    Args:
        factor: A number ``f`` in ``[0, 1]`` for concentrations drawn from ``[0, f]``, or a
            pair ``(low, high)`` in ``[0, 1]``. Default 1.
        seed: Optional int for repeatable mixes.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` images (channels first with
    ``data_format="channels_first"``), or a dict of ``"images"`` and ``(batch, classes)``
    ``"labels"``.
    Output shape: the input's shape (a dict for a dict).

    Example:
        >>> images, labels = torch.rand(4, 8, 8, 3), torch.eye(4)
        >>> mixed = CutMix(seed=0)({"images": images, "labels": labels}, training=True)
        >>> mixed["images"].shape
        torch.Size([4, 8, 8, 3])
    """

    def __init__(
        self,
        factor: float | tuple[float, float] = 1.0,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        factor = unit_range("CutMix", "factor", factor)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}

    def _mix(
        self, images: torch.Tensor, generator: torch.Generator | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        images = images.to(self._dtype)
        batch, device = images.shape[0], images.device
        height_axis, width_axis = self._spatial_axes
        concentration = self._uniform(*self.factor, 1, device, generator) + 1e-6
        ratios = (1 - self._beta(concentration, batch, device, generator)).sqrt()
        boxes, areas = self._boxes(
            ratios, ratios, images.shape[height_axis], images.shape[width_axis], generator
        )
        permutation = torch.randperm(batch, generator=generator, device=device)
        return self._paste(images, permutation, boxes), permutation, 1 - areas

    def _paste(
        self, images: torch.Tensor, permutation: torch.Tensor, boxes: torch.Tensor
    ) -> torch.Tensor:
        images = images.to(self._dtype)
        return torch.where(boxes, images[permutation], images)
