"""``RandomColorJitter``: random brightness, contrast, saturation and hue in training."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import ImageAugmentation, value_range_pair
from torchseq.layers.preprocessing.random_brightness import RandomBrightness
from torchseq.layers.preprocessing.random_contrast import RandomContrast
from torchseq.layers.preprocessing.random_hue import RandomHue
from torchseq.layers.preprocessing.random_saturation import RandomSaturation

__all__ = ["RandomColorJitter"]

_STEPS = (
    ("brightness_factor", RandomBrightness),
    ("contrast_factor", RandomContrast),
    ("saturation_factor", RandomSaturation),
    ("hue_factor", RandomHue),
)


class RandomColorJitter(ImageAugmentation):
    """Applies ``RandomBrightness``, ``RandomContrast``, ``RandomSaturation`` and
    ``RandomHue``, in that order, in training; mirrors ``keras.layers.RandomColorJitter``.

    Each factor left as ``None`` skips its step; each factor is read as its layer reads
    it. All steps draw from this layer's generator, so one ``seed`` repeats the whole
    chain. Training outputs are in the layer's dtype. In inference mode the images are
    returned unchanged, as Keras does.

    Args:
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        brightness_factor: ``RandomBrightness``'s ``factor``, or ``None`` (default).
        contrast_factor: ``RandomContrast``'s ``factor``, or ``None`` (default).
        saturation_factor: ``RandomSaturation``'s ``factor``, or ``None`` (default).
        hue_factor: ``RandomHue``'s ``factor``, or ``None`` (default).
        seed: Optional int for repeatable draws.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()`` (Keras 3 ignores it in the steps).

    Input shape: ``(batch, height, width, 3)`` or one image ``(height, width, 3)``
    (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.rand(2, 8, 8, 3) * 255
        >>> layer = RandomColorJitter(brightness_factor=0.2, hue_factor=0.1, seed=0)
        >>> layer(images, training=True).shape
        torch.Size([2, 8, 8, 3])
    """

    def __init__(
        self,
        value_range: tuple[float, float] = (0, 255),
        brightness_factor: Any = None,
        contrast_factor: Any = None,
        saturation_factor: Any = None,
        hue_factor: Any = None,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        value_range = value_range_pair("RandomColorJitter", value_range)
        factors = {
            "brightness_factor": brightness_factor,
            "contrast_factor": contrast_factor,
            "saturation_factor": saturation_factor,
            "hue_factor": hue_factor,
        }
        steps = _make_steps(factors, value_range, data_format)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        for name, factor in factors.items():
            setattr(self, name, factor)
        self.steps = torch.nn.ModuleList(steps)

    def get_config(self) -> dict[str, Any]:
        factors = {name: getattr(self, name) for name, _ in _STEPS}
        return {**super().get_config(), "value_range": self.value_range, **factors}

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        images = images.to(self._dtype)
        for step in self.steps:
            images = step._augment(images, generator)
        return images.to(self._dtype)

    def _infer(self, images: torch.Tensor) -> torch.Tensor:
        return images


def _make_steps(
    factors: dict[str, Any], value_range: tuple[float, float], data_format: str | None
) -> list[ImageAugmentation]:
    steps = []
    for name, layer_cls in _STEPS:
        factor = factors[name]
        if factor is None:
            continue
        try:
            step = layer_cls(factor, value_range=value_range, data_format=data_format)
        except (TypeError, ValueError) as error:
            raise type(error)(f"RandomColorJitter: {name} is invalid. {error}") from error
        steps.append(step)
    return steps
