"""``keras.ops.image`` filters: ``gaussian_blur``, ``sobel_edges`` and the ``ssim`` similarity."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from torchseq.ops import _nn_sliding as _sliding
from torchseq.ops._convert import Tensor, TensorLike, _floating, _operands
from torchseq.ops._image import _as_batch, _from_batch, _images

__all__ = ["gaussian_blur", "sobel_edges", "ssim"]


def _gaussian(size: int, sigma: float | Tensor, dtype: torch.dtype, device: torch.device) -> Tensor:
    offsets = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    weights = torch.exp(-0.5 * (offsets / sigma) ** 2)
    return weights / weights.sum()


def _filter_channels(x: Tensor, kernel: Tensor, padding: str) -> Tensor:
    """Each channel of ``(batch, c, h, w)`` filtered by one 2-D ``kernel``."""
    channels = x.shape[1]
    pads: list[tuple[int, int]] = []
    if padding == "same":
        pads = [((k - 1) // 2, k - 1 - (k - 1) // 2) for k in kernel.shape]
        x = _sliding.pad_spatial(x, pads)
    weight = kernel.expand(channels, 1, *kernel.shape)
    return F.conv2d(x, weight, groups=channels)


def _pair_of_floats(value: float | Sequence[float], op: str, name: str) -> tuple[float, float]:
    values = (value, value) if isinstance(value, numbers.Real) else tuple(value)
    if len(values) != 2:
        raise ValueError(
            f"{op} expected {name} to be a number or a pair, received: {name}={value!r}"
        )
    return float(values[0]), float(values[1])


def gaussian_blur(
    images: TensorLike,
    kernel_size: Sequence[int] = (3, 3),
    sigma: Sequence[float] = (1.0, 1.0),
    data_format: str | None = None,
) -> Tensor:
    """Blur each channel with a Gaussian kernel, zero-padded to keep the size; mirrors
    ``keras.ops.image.gaussian_blur``.

    Args:
        images: One image or a batch.
        kernel_size: ``(kx, ky)``: as in all of Keras's backends, the first entry (with
            ``sigma[0]``) runs along the width and the second along the height.
        sigma: ``(sigma_x, sigma_y)``, the standard deviations.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
    """
    x = _floating(_images(images, "gaussian_blur"))
    kernel_size = _sliding.int_tuple(kernel_size, 2, "gaussian_blur", "kernel_size")
    sigma_x, sigma_y = _pair_of_floats(sigma, "gaussian_blur", "sigma")
    channels_last = _sliding.data_format(data_format, "gaussian_blur") == "channels_last"
    batch, single = _as_batch(x, channels_last)
    kernel = torch.outer(
        _gaussian(kernel_size[1], sigma_y, x.dtype, x.device),
        _gaussian(kernel_size[0], sigma_x, x.dtype, x.device),
    )
    return _from_batch(_filter_channels(batch, kernel, "same"), channels_last, single)


def sobel_edges(images: TensorLike, data_format: str | None = None) -> Tensor:
    """Sobel gradients of each channel, zero-padded: ``(..., 2)`` holding ``(dy, dx)``.

    Args:
        images: ``(batch, h, w, c)`` (or channels first).
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.

    Returns:
        ``(batch, h, w, c, 2)`` (or ``(batch, c, h, w, 2)``).
    """
    x = _floating(images)
    if x.ndim != 4:
        raise ValueError(
            f"sobel_edges expected a batch of images (rank 4), received: images.shape={tuple(x.shape)}"
        )
    channels_last = _sliding.data_format(data_format, "sobel_edges") == "channels_last"
    batch = _sliding.to_channels_first(x, channels_last)
    smooth = torch.tensor([1.0, 2.0, 1.0], dtype=x.dtype, device=x.device)
    slope = torch.tensor([-1.0, 0.0, 1.0], dtype=x.dtype, device=x.device)
    padded = _sliding.pad_spatial(batch, [(1, 1), (1, 1)])
    dy = _filter_channels(padded, torch.outer(slope, smooth), "valid")
    dx = _filter_channels(padded, torch.outer(smooth, slope), "valid")
    edges = torch.stack([dy, dx], dim=-1)
    return edges.permute(0, 2, 3, 1, 4) if channels_last else edges


def ssim(
    image1: TensorLike,
    image2: TensorLike,
    max_val: float = 1.0,
    filter_size: int = 11,
    filter_sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    data_format: str | None = None,
) -> Tensor:
    """Structural similarity of two images (or batches), averaged over space and channels;
    mirrors ``keras.ops.image.ssim``.

    Statistics use a ``filter_size`` Gaussian window without padding.

    Returns:
        A scalar for single images, ``(batch,)`` for batches.
    """
    first, second = _operands(_images(image1, "ssim", "image1"), _images(image2, "ssim", "image2"))
    dtype = first.dtype
    compute = (
        torch.promote_types(first.dtype, torch.float32)
        if not first.is_floating_point()
        else first.dtype
    )
    channels_last = _sliding.data_format(data_format, "ssim") == "channels_last"
    first, single = _as_batch(first.to(compute), channels_last)
    second, _ = _as_batch(second.to(compute), channels_last)
    window = _gaussian(filter_size, filter_sigma, compute, first.device)
    kernel = torch.outer(window, window)

    def local_mean(x: Tensor) -> Tensor:
        return _filter_channels(x, kernel, "valid")

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu1, mu2 = local_mean(first), local_mean(second)
    var1 = local_mean(first * first) - mu1 * mu1
    var2 = local_mean(second * second) - mu2 * mu2
    covariance = local_mean(first * second) - mu1 * mu2
    similarity = ((2 * mu1 * mu2 + c1) * (2 * covariance + c2)) / (
        (mu1 * mu1 + mu2 * mu2 + c1) * (var1 + var2 + c2)
    )
    score = similarity.mean(dim=(1, 2, 3))
    return (score.squeeze(0) if single else score).to(dtype)
