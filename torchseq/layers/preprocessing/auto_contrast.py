"""``AutoContrast``: stretch each image's channels to the full value range."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import ImageAugmentation, value_range_pair
from torchseq.layers.preprocessing._color import to_range

__all__ = ["AutoContrast"]


class AutoContrast(ImageAugmentation):
    """Stretches each channel of each image so that its values span ``value_range``;
    mirrors ``keras.layers.AutoContrast``.

    The darkest value of a channel becomes ``low`` and the brightest ``high``; a channel
    with a single value is left as it is. The layer is deterministic and, as in Keras,
    acts in inference mode as well as in training. Outputs are in the layer's dtype.

    Keras 3 takes the extremes over axes 1 and 2 whatever the data format, which for
    ``channels_first`` mixes channels; torchseq takes them over height and width.

    Args:
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.tensor([[[[0.25], [0.5], [0.75]]]])
        >>> AutoContrast(value_range=(0, 1))(images)[..., 0]
        tensor([[[0.0000, 0.5000, 1.0000]]])
    """

    def __init__(
        self,
        value_range: tuple[float, float] = (0, 255),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        value_range = value_range_pair("AutoContrast", value_range)
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "value_range": self.value_range}
        del config["seed"]  # deterministic: Keras has no seed here
        return config

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        return self._infer(images)

    def _infer(self, images: torch.Tensor) -> torch.Tensor:
        images = to_range(images.to(self._dtype), self.value_range, (0.0, 255.0))
        low = images.amin(dim=self._spatial_axes, keepdim=True)
        high = images.amax(dim=self._spatial_axes, keepdim=True)
        spread = high - low
        scale = 255.0 / torch.where(spread > 0, spread, 1.0)
        stretched = ((images - low) * scale).clamp(0.0, 255.0)
        stretched = torch.where(spread > 0, stretched, images)
        return to_range(stretched, (0.0, 255.0), self.value_range)
