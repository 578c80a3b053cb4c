"""``RandomErasing``: overwrite a random box of some images in training."""

from __future__ import annotations

from numbers import Real
from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import (
    ImageAugmentation,
    unit_range,
    value_range_pair,
)

__all__ = ["RandomErasing"]


class RandomErasing(ImageAugmentation):
    """Erases a random box of some images in training; mirrors ``keras.layers.RandomErasing``.

    Each image is erased with a probability drawn from ``factor``'s range. The box's
    height and width are ``sqrt(s)`` times the image's, with ``s`` drawn for each side
    from ``scale``'s range, at a random place inside the image. The box takes
    ``fill_value``, or Gaussian noise of standard deviation ``value_range[1]`` when
    ``fill_value`` is ``None``; either is clipped to ``value_range``. Outputs are cast to
    the layer's dtype (``float32`` by default), in inference too, as Keras does.

    Args:
        factor: A number ``f`` in ``[0, 1]`` for erasing probabilities drawn from
            ``[0, f]``, or a pair ``(low, high)`` in ``[0, 1]``. Default 1.
        scale: A number or a pair in ``[0, 1]``, read as ``factor`` is: the range of the
            box's area ratio per side. Default ``(0.02, 0.33)``.
        fill_value: ``None`` (default, noise), a number, or one number per channel.
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        seed: Optional int for repeatable boxes.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.rand(2, 8, 8, 3) * 255
        >>> RandomErasing(fill_value=0, seed=0)(images, training=True).shape
        torch.Size([2, 8, 8, 3])
    """

    def __init__(
        self,
        factor: float | tuple[float, float] = 1.0,
        scale: float | tuple[float, float] = (0.02, 0.33),
        fill_value: float | tuple[float, ...] | None = None,
        value_range: tuple[float, float] = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        factor = unit_range("RandomErasing", "factor", factor)
        scale = unit_range("RandomErasing", "scale", scale)
        fill_value = _check_fill_value(fill_value)
        value_range = value_range_pair("RandomErasing", value_range)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.scale = scale
        self.fill_value = fill_value
        self.value_range = value_range

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "fill_value": self.fill_value,
            "value_range": self.value_range,
        }

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        images = images.to(self._dtype)
        batch, device = images.shape[0], images.device
        height_axis, width_axis = self._spatial_axes
        ratios = self._uniform(*self.scale, 2 * batch, device, generator).sqrt()
        boxes, _ = self._boxes(
            ratios[batch:],
            ratios[:batch],
            images.shape[height_axis],
            images.shape[width_axis],
            generator,
        )
        chosen = self._chosen(self.factor, batch, device, generator)
        fill = self._fill(images, generator).clamp(*self.value_range)
        return torch.where(boxes & chosen.reshape(-1, 1, 1, 1), fill, images)

    def _fill(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        if self.fill_value is None:
            noise = torch.randn(
                images.shape, generator=generator, dtype=images.dtype, device=images.device
            )
            return noise * self.value_range[1]
        fill = torch.as_tensor(self.fill_value, dtype=images.dtype, device=images.device)
        if fill.ndim == 1:
            fill = fill.reshape(-1) if self._channels_last else fill.reshape(-1, 1, 1)
        return fill


def _check_fill_value(fill_value: Any) -> float | tuple[float, ...] | None:
    def is_number(value: Any) -> bool:
        return isinstance(value, Real) and not isinstance(value, bool)

    if fill_value is None:
        return None
    if is_number(fill_value):
        return float(fill_value)
    if isinstance(fill_value, (tuple, list)) and fill_value and all(map(is_number, fill_value)):
        return tuple(float(v) for v in fill_value)
    raise ValueError(
        "RandomErasing: fill_value must be None, a number or one number per channel, "
        f"received: fill_value={fill_value!r}"
    )
