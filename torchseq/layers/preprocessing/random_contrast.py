"""``RandomContrast``: scale each image's deviations from its mean in training."""

from __future__ import annotations

from numbers import Real
from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import FactorAugmentation, value_range_pair

__all__ = ["RandomContrast"]


class RandomContrast(FactorAugmentation):
    """Adjusts each image's contrast by a random factor in training; mirrors
    ``keras.layers.RandomContrast``.

    Every pixel value ``x`` becomes ``(x - mean) * c + mean``, with ``mean`` the image's
    mean over height and width (one per channel) and ``c`` drawn per image from
    ``[1 - lower, 1 + upper]``; the result is clipped to ``value_range``. Integer images
    come out in the layer's dtype, floating ones in their own. In inference mode the
    images are returned unchanged, as Keras does.

    Args:
        factor: A number ``f`` in ``[0, 1]`` for contrast factors in ``[1 - f, 1 + f]``,
            or a pair ``(lower, upper)`` for ``[1 - lower, 1 + upper]`` (``lower`` in
            ``[0, 1]``, ``upper >= 0``).
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        seed: Optional int for repeatable factors.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.rand(2, 8, 8, 3) * 255
        >>> RandomContrast(0.2, seed=0)(images, training=True).shape
        torch.Size([2, 8, 8, 3])
    """

    def __init__(
        self,
        factor: float | tuple[float, float],
        value_range: tuple[float, float] = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        factor = _contrast_range(factor)
        value_range = value_range_pair("RandomContrast", value_range)
        super().__init__(factor, value_range, seed=seed, data_format=data_format, **kwargs)

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        lower, upper = self.factor
        factors = self._uniform(1.0 - lower, 1.0 + upper, images.shape[0], images.device, generator)
        return self._adjust(images, factors)

    def _infer(self, images: torch.Tensor) -> torch.Tensor:
        return images

    def _adjust(self, images: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
        """``images`` with contrast factors ``factors`` (one per image) applied and clipped."""
        if not images.is_floating_point():
            images = images.to(self._dtype)
        mean = images.mean(dim=self._spatial_axes, keepdim=True)
        factors = factors.to(images.dtype).reshape(-1, 1, 1, 1)
        return ((images - mean) * factors + mean).clamp(*self.value_range)


def _contrast_range(factor: Any) -> tuple[float, float]:
    message = (
        "RandomContrast: factor must be a number in [0, 1] or a pair (lower, upper) with "
        f"lower in [0, 1] and upper >= 0, received: factor={factor!r}"
    )
    if isinstance(factor, Real) and not isinstance(factor, bool):
        if not 0 <= factor <= 1:
            raise ValueError(message)
        return (float(factor), float(factor))
    if not isinstance(factor, (tuple, list)) or not all(
        isinstance(f, Real) and not isinstance(f, bool) for f in factor
    ):
        raise TypeError(message)
    if len(factor) != 2:
        raise ValueError(message)
    lower, upper = sorted(float(f) for f in factor)
    if not (0 <= lower <= 1 and upper >= 0):
        raise ValueError(message)
    return (lower, upper)
