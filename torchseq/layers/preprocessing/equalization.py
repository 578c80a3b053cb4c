"""``Equalization``: equalize each image's channel histograms in training."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import ImageAugmentation, value_range_pair
from torchseq.layers.preprocessing._color import to_range
from torchseq.utils.integers import is_int

__all__ = ["Equalization"]


class Equalization(ImageAugmentation):
    """Equalizes the histogram of each channel of each image in training; mirrors
    ``keras.layers.Equalization``.

    Values are mapped from ``value_range`` to ``[0, 255]`` and counted into ``bins`` bins;
    each value is replaced by ``255 *`` its bin's share of the cumulative count (past the
    first occupied bin), rounded, then mapped back. A channel whose values all fall into
    one bin is left as it is. The layer is deterministic; training outputs are in the
    layer's dtype. In inference mode the images are returned unchanged, as Keras does.

    Keras 3 counts one histogram per channel over the whole batch, so an image's result
    depends on the other images in its batch; torchseq counts one per image, the
    classic operation (the two agree for a batch of one image).

    Args:
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        bins: The number of histogram bins, a positive int. Default ``256``.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.tensor([[[[10.0], [10.0], [20.0], [40.0]]]])
        >>> Equalization()(images, training=True)[..., 0]
        tensor([[[  0.,   0., 128., 255.]]])
    """

    def __init__(
        self,
        value_range: tuple[float, float] = (0, 255),
        bins: int = 256,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        value_range = value_range_pair("Equalization", value_range)
        if not is_int(bins):
            raise TypeError(f"Equalization: bins must be a positive int, received: bins={bins!r}")
        if bins < 1:
            raise ValueError(f"Equalization: bins must be a positive int, received: bins={bins}")
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.bins = int(bins)

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "value_range": self.value_range, "bins": self.bins}
        del config["seed"]  # deterministic: Keras has no seed here
        return config

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        images = to_range(images.to(self._dtype), self.value_range, (0.0, 255.0))
        planes = images.permute(0, 3, 1, 2) if self._channels_last else images
        equalized = self._equalize(planes.flatten(2)).reshape(planes.shape)
        if self._channels_last:
            equalized = equalized.permute(0, 2, 3, 1)
        return to_range(equalized, (0.0, 255.0), self.value_range)

    def _infer(self, images: torch.Tensor) -> torch.Tensor:
        return images

    def _equalize(self, values: torch.Tensor) -> torch.Tensor:
        """``values`` ``(batch, channels, pixels)`` in ``[0, 255]``, each row equalized."""
        last = self.bins - 1
        bins = (values * last / 255.0).to(torch.int64).clamp(0, last)
        counts = torch.zeros(*values.shape[:2], self.bins, dtype=values.dtype, device=values.device)
        counts.scatter_add_(2, bins, torch.ones_like(values))
        cumulative = counts.cumsum(2)
        below = torch.where(cumulative > 0, cumulative, cumulative[..., -1:]).amin(2, keepdim=True)
        spread = cumulative[..., -1:] - below
        table = ((cumulative - below) * 255.0 / torch.where(spread == 0, 1.0, spread)).round()
        equalized = table.clamp(0.0, 255.0).gather(2, bins)
        single_bin = (counts > 0).sum(2, keepdim=True) <= 1
        return torch.where(single_bin, values, equalized)
