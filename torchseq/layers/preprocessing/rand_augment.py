"""``RandAugment``: a few randomly chosen augmentations per batch in training."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import (
    ImageAugmentation,
    check_choice,
    value_range_pair,
)
from torchseq.layers.preprocessing._augmentation_ops import check_count, choose, make_operations
from torchseq.layers.preprocessing._color import unit_factor

__all__ = ["RandAugment"]

_OPERATIONS = (
    "random_shear",
    "random_translation",
    "random_rotation",
    "random_brightness",
    "random_color_degeneration",
    "random_contrast",
    "random_sharpness",
    "random_posterization",
    "solarization",
    "auto_contrast",
    "equalization",
)


class RandAugment(ImageAugmentation):
    """Applies ``num_ops`` augmentations, each chosen at random for the batch, in training;
    mirrors ``keras.layers.RandAugment``.

    The choice is among shear, translation, rotation, brightness, colour degeneration,
    contrast, sharpness, posterization, solarization, auto-contrast and equalization
    (repeats allowed), each set up from ``factor`` as Keras sets it up; every chosen
    operation then draws its own parameters per image. The choices come from the layer's
    CPU generator, the parameters from its generator on the images' device. Outputs are in
    the layer's dtype, in inference mode too (where the images are otherwise unchanged),
    as Keras does.

    Args:
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        num_ops: How many operations to apply, an int ``>= 0``. Default ``2``.
        factor: A number ``f`` in ``[0, 1]`` for strengths in ``[0, f]``, or a pair
            ``(a, b)`` in ``[0, 1]``. Default ``0.5``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``, for the geometric
            operations.
        seed: Optional int for repeatable choices and draws.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, 3)`` or one image ``(height, width, 3)``
    (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.rand(2, 8, 8, 3) * 255
        >>> RandAugment(seed=0)(images, training=True).shape
        torch.Size([2, 8, 8, 3])
    """

    def __init__(
        self,
        value_range: tuple[float, float] = (0, 255),
        num_ops: int = 2,
        factor: float | tuple[float, float] = 0.5,
        interpolation: str = "bilinear",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        value_range = value_range_pair("RandAugment", value_range)
        check_count("RandAugment", "num_ops", num_ops, 0)
        factor = unit_factor("RandAugment", "factor", factor)
        check_choice("RandAugment", "interpolation", interpolation, ("bilinear", "nearest"))
        operations = make_operations(_OPERATIONS, factor, value_range, interpolation, data_format)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_ops = num_ops
        self.factor = factor
        self.interpolation = interpolation
        self.operations = operations

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_ops": self.num_ops,
            "factor": self.factor,
            "interpolation": self.interpolation,
        }

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        return self._apply(images, choose(self.num_ops, len(_OPERATIONS), self), generator)

    def _apply(
        self, images: torch.Tensor, choices: list[int], generator: torch.Generator | None
    ) -> torch.Tensor:
        """``images`` through the operations numbered ``choices``, in order."""
        images = images.to(self._dtype)
        for index in choices:
            images = self.operations[_OPERATIONS[index]]._augment(images, generator)
        return images.to(self._dtype)
