"""``RandomGaussianBlur``: blur some images with random Gaussian kernels in training."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import torch
import torch.nn.functional as F

from torchseq.layers.preprocessing._augmentation import (
    ImageAugmentation,
    unit_range,
    value_range_pair,
)

__all__ = ["RandomGaussianBlur", "gaussian_blur"]


class RandomGaussianBlur(ImageAugmentation):
    """Blurs some images with a Gaussian kernel of random widths in training; mirrors
    ``keras.layers.RandomGaussianBlur``.

    Each image is blurred with a probability drawn from ``factor``'s range; the kernel's
    standard deviations along x and y are drawn from ``sigma``'s range (plus 1e-6). The
    image is padded with zeros, as in Keras, so its border darkens. In training the
    results are clipped to ``value_range`` and, like all outputs, cast to the layer's
    dtype (``float32`` by default).

    Keras draws one pair of standard deviations for the whole batch; torchseq draws one
    per image.

    Args:
        factor: A number ``f`` in ``[0, 1]`` for blur probabilities drawn from ``[0, f]``,
            or a pair ``(low, high)`` in ``[0, 1]``. Default 1.
        kernel_size: An odd int, or a pair of odd ints ``(height, width)``. Default 3.
        sigma: A number ``s`` in ``[0, 1]`` for standard deviations drawn from ``[0, s]``
            (pixels), or a pair ``(low, high)`` in ``[0, 1]``. Default 1.
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.
        seed: Optional int for repeatable blurs.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.rand(2, 8, 8, 3) * 255
        >>> RandomGaussianBlur(seed=0)(images, training=True).shape
        torch.Size([2, 8, 8, 3])
    """

    def __init__(
        self,
        factor: float | tuple[float, float] = 1.0,
        kernel_size: int | tuple[int, int] = 3,
        sigma: float | tuple[float, float] = 1.0,
        value_range: tuple[float, float] = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        factor = unit_range("RandomGaussianBlur", "factor", factor)
        kernel_size = _odd_sizes(kernel_size)
        sigma = unit_range("RandomGaussianBlur", "sigma", sigma)
        value_range = value_range_pair("RandomGaussianBlur", value_range)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.kernel_size = kernel_size
        self.sigma = sigma
        self.value_range = value_range

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "kernel_size": self.kernel_size,
            "sigma": self.sigma,
            "value_range": self.value_range,
        }

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        batch, device = images.shape[0], images.device
        chosen = self._chosen(self.factor, batch, device, generator)
        sigma_x = self._uniform(*self.sigma, batch, device, generator) + 1e-6
        sigma_y = self._uniform(*self.sigma, batch, device, generator) + 1e-6
        return self._blur(images, chosen, sigma_y, sigma_x)

    def _blur(
        self,
        images: torch.Tensor,
        chosen: torch.Tensor,
        sigma_y: torch.Tensor,
        sigma_x: torch.Tensor,
    ) -> torch.Tensor:
        """``images`` with those marked in ``chosen`` blurred (per-image deviations), clipped."""
        images = images.to(self._dtype)
        channels_first = images.permute(0, 3, 1, 2) if self._channels_last else images
        blurred = gaussian_blur(channels_first, self.kernel_size, sigma_y, sigma_x)
        if self._channels_last:
            blurred = blurred.permute(0, 2, 3, 1)
        outputs = torch.where(chosen.reshape(-1, 1, 1, 1), blurred, images)
        return outputs.clamp(*self.value_range)


def gaussian_blur(
    images: torch.Tensor,
    kernel_size: tuple[int, int],
    sigma_y: torch.Tensor,
    sigma_x: torch.Tensor,
) -> torch.Tensor:
    """``(n, c, h, w)`` float ``images``, each blurred by its own normalised Gaussian kernel
    (``kernel_size`` odd ``(height, width)``; deviations ``(n,)`` each), zero padded."""
    n, channels, height, width = images.shape
    size_y, size_x = kernel_size
    kernel_y = _gaussian_kernels(size_y, sigma_y.to(images.dtype))
    kernel_x = _gaussian_kernels(size_x, sigma_x.to(images.dtype))
    # Every (image, channel) plane is a group of its own; the 2-D kernel is separable.
    planes = images.reshape(1, n * channels, height, width)
    kernel_y = kernel_y.repeat_interleave(channels, dim=0).reshape(n * channels, 1, size_y, 1)
    kernel_x = kernel_x.repeat_interleave(channels, dim=0).reshape(n * channels, 1, 1, size_x)
    planes = F.conv2d(planes, kernel_y, padding=(size_y // 2, 0), groups=n * channels)
    planes = F.conv2d(planes, kernel_x, padding=(0, size_x // 2), groups=n * channels)
    return planes.reshape(n, channels, height, width)


def _gaussian_kernels(size: int, sigma: torch.Tensor) -> torch.Tensor:
    """``(n, size)`` normalised 1-D Gaussians, one per deviation in ``sigma``."""
    offsets = torch.arange(size, dtype=sigma.dtype, device=sigma.device) - (size - 1) / 2
    kernels = torch.exp(-0.5 * (offsets / sigma.unsqueeze(-1)) ** 2)
    return kernels / kernels.sum(dim=-1, keepdim=True)


def _odd_sizes(kernel_size: Any) -> tuple[int, int]:
    sizes = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
    valid = len(sizes) == 2 and all(
        isinstance(s, Integral) and not isinstance(s, bool) and s > 0 and s % 2 == 1 for s in sizes
    )
    if not valid:
        raise ValueError(
            "RandomGaussianBlur: kernel_size must be an odd positive int or a pair of them, "
            f"received: kernel_size={kernel_size!r}"
        )
    return (int(sizes[0]), int(sizes[1]))
