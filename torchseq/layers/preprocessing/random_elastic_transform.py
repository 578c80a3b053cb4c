"""``RandomElasticTransform``: displace pixels by smooth random fields in training."""

from __future__ import annotations

from numbers import Real
from typing import Any

import torch

from torchseq.layers.preprocessing._affine_augmentation import (
    FILL_MODES,
    INTERPOLATIONS,
    sample_points,
)
from torchseq.layers.preprocessing._augmentation import (
    ImageAugmentation,
    check_choice,
    unit_range,
    value_range_pair,
)
from torchseq.layers.preprocessing.random_gaussian_blur import gaussian_blur

__all__ = ["RandomElasticTransform"]

ELASTIC_FILL_MODES = (*FILL_MODES, "mirror")


class RandomElasticTransform(ImageAugmentation):
    """Distorts some images by smooth random displacement fields in training; mirrors
    ``keras.layers.RandomElasticTransform``.

    Each image is distorted with a probability drawn from ``factor``'s range. A
    distortion ``d`` drawn from ``scale``'s range sets ``sigma = 0.05 d min(h, w)`` and
    ``alpha = 0.1 d max(h, w)``: two fields of Gaussian noise (standard deviation
    ``sigma``) are blurred by a Gaussian of deviation ``sigma`` (zero padded, as in
    Keras), and output pixel ``(x, y)`` reads the input at
    ``(x + alpha dx, y + alpha dy)``. In training the results are clipped to
    ``value_range``; outputs are cast to the layer's dtype (``float32`` by default).

    Keras draws one distortion per batch, with a blur kernel ``6 sigma`` wide; torchseq
    draws one per image and blurs with the kernel of the largest distortion (so no value
    leaves the device), which equals Keras's when ``scale`` is a single point.

    Args:
        factor: A number ``f`` in ``[0, 1]`` for distortion probabilities drawn from
            ``[0, f]``, or a pair ``(low, high)`` in ``[0, 1]``. Default 1.
        scale: A number ``s`` in ``[0, 1]`` for distortions drawn from ``[0, s]``, or a
            pair ``(low, high)`` in ``[0, 1]``. Default 1.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: ``"reflect"`` (default), ``"mirror"``, ``"wrap"``, ``"constant"`` or
            ``"nearest"``.
        fill_value: The value outside the image for ``fill_mode="constant"`` (default 0).
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        seed: Optional int for repeatable distortions.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.rand(2, 16, 16, 3) * 255
        >>> RandomElasticTransform(seed=0)(images, training=True).shape
        torch.Size([2, 16, 16, 3])
    """

    def __init__(
        self,
        factor: float | tuple[float, float] = 1.0,
        scale: float | tuple[float, float] = 1.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        value_range: tuple[float, float] = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        layer = "RandomElasticTransform"
        factor = unit_range(layer, "factor", factor)
        scale = unit_range(layer, "scale", scale)
        check_choice(layer, "interpolation", interpolation, INTERPOLATIONS)
        check_choice(layer, "fill_mode", fill_mode, ELASTIC_FILL_MODES)
        if isinstance(fill_value, bool) or not isinstance(fill_value, Real):
            raise TypeError(
                f"{layer}: fill_value must be a number, received: fill_value={fill_value!r}"
            )
        value_range = value_range_pair(layer, value_range)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.scale = scale
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = float(fill_value)
        self.value_range = value_range

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "value_range": self.value_range,
        }

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        if self.factor[1] == 0 or self.scale[1] == 0:
            return images.to(self._dtype)  # nothing to draw, as in Keras
        batch, device = images.shape[0], images.device
        chosen = self._chosen(self.factor, batch, device, generator)
        distortions = self._uniform(*self.scale, batch, device, generator)
        return self._distort(images, chosen, distortions, generator)

    def _distort(
        self,
        images: torch.Tensor,
        chosen: torch.Tensor,
        distortions: torch.Tensor,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        """``images`` with those marked in ``chosen`` distorted by ``distortions`` (one per
        image), clipped; the noise fields are drawn here, ``dx`` first."""
        images = images.to(self._dtype)
        channels_first = images.permute(0, 3, 1, 2) if self._channels_last else images
        batch, _, height, width = channels_first.shape
        # A zero deviation would make 0/0 in the kernel; Keras never draws exactly zero.
        sigma = (0.05 * min(height, width) * distortions).clamp_min(1e-6).to(images.dtype)
        alpha = (0.1 * max(height, width) * distortions).to(images.dtype).reshape(-1, 1, 1)
        size = int(6 * 0.05 * min(height, width) * self.scale[1]) | 1
        noise = torch.randn(
            (2, batch, height, width),
            generator=generator,
            dtype=images.dtype,
            device=images.device,
        )
        fields = gaussian_blur(
            (noise * sigma.reshape(1, -1, 1, 1)).permute(1, 0, 2, 3),
            (size, size),
            sigma,
            sigma,
        )
        rows = torch.arange(height, dtype=images.dtype, device=images.device).reshape(-1, 1)
        columns = torch.arange(width, dtype=images.dtype, device=images.device)
        source_x = columns + alpha * fields[:, 0]
        source_y = rows + alpha * fields[:, 1]
        distorted = sample_points(
            channels_first,
            source_x,
            source_y,
            self.interpolation,
            self.fill_mode,
            self.fill_value,
        )
        if self._channels_last:
            distorted = distorted.permute(0, 2, 3, 1)
        outputs = torch.where(chosen.reshape(-1, 1, 1, 1), distorted, images)
        return outputs.clamp(*self.value_range)
