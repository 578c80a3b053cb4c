"""``keras.ops.image``: colour conversions, resizing, cropping and padding, patches.

Images are ``(height, width, channels)`` or a batch ``(batch, height, width, channels)``;
``data_format="channels_first"`` puts channels before the spatial axes. ``data_format=None``
means ``config.image_data_format()``. The geometric transforms (``affine_transform``,
``map_coordinates`` ...) are in :mod:`torchseq.ops._image_geometry`, the filters
(``gaussian_blur``, ``sobel_edges``, ``ssim``) in :mod:`torchseq.ops._image_filters`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from torchseq.ops import _nn_sliding as _sliding
from torchseq.ops._convert import Tensor, TensorLike, _floating, _to_tensor
from torchseq.ops._nn_conv import conv
from torchseq.utils.integers import is_int

__all__ = [
    "crop_images",
    "extract_patches",
    "hsv_to_rgb",
    "pad_images",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
]

_RESIZE_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}
_GRAY_WEIGHTS = (0.2989, 0.587, 0.114)


def _images(images: TensorLike, op: str, name: str = "images") -> Tensor:
    x = _to_tensor(images)
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{op} expected {name} of rank 3 (one image) or 4 (a batch), "
            f"received: {name}.shape={tuple(x.shape)}"
        )
    return x


def _channel_axis(data_format: str | None, op: str) -> int:
    return -1 if _sliding.data_format(data_format, op) == "channels_last" else -3


def _float_images(images: TensorLike, op: str) -> Tensor:
    x = _images(images, op)
    if not x.is_floating_point():
        raise ValueError(f"{op} expected floating-point images, received: images.dtype={x.dtype}")
    return x


def _as_batch(x: Tensor, channels_last: bool) -> tuple[Tensor, bool]:
    """``(batch, channels, h, w)`` and whether a batch axis was added."""
    single = x.ndim == 3
    x = x.unsqueeze(0) if single else x
    return _sliding.to_channels_first(x, channels_last), single


def _from_batch(y: Tensor, channels_last: bool, single: bool) -> Tensor:
    y = _sliding.from_channels_first(y, channels_last)
    return y.squeeze(0) if single else y


def rgb_to_grayscale(images: TensorLike, data_format: str | None = None) -> Tensor:
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` as one channel; one-channel images are copied.

    Integer images keep their dtype (the weighted sum is truncated, as in Keras).
    """
    x = _images(images, "rgb_to_grayscale")
    axis = _channel_axis(data_format, "rgb_to_grayscale")
    if x.shape[axis] not in (1, 3):
        raise ValueError(
            "rgb_to_grayscale expected 3 (RGB) or 1 (grayscale) channels, "
            f"received: images.shape={tuple(x.shape)}"
        )
    if x.shape[axis] == 1:
        return x.clone()
    red, green, blue = x.unbind(axis)
    luma = _GRAY_WEIGHTS[0] * red + _GRAY_WEIGHTS[1] * green + _GRAY_WEIGHTS[2] * blue
    return luma.to(x.dtype).unsqueeze(axis)


def rgb_to_hsv(images: TensorLike, data_format: str | None = None) -> Tensor:
    """RGB in ``[0, 1]`` to hue, saturation and value, each in ``[0, 1]``."""
    x = _float_images(images, "rgb_to_hsv")
    axis = _channel_axis(data_format, "rgb_to_hsv")
    x = torch.where(x.abs() < torch.finfo(x.dtype).eps, 0.0, x)
    red, green, blue = x.unbind(axis)
    value = torch.maximum(torch.maximum(red, green), blue)
    spread = value - torch.minimum(torch.minimum(red, green), blue)
    saturation = torch.where(value > 0, spread / torch.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * torch.where(spread > 0, spread, 1.0))
    hue = torch.where(
        value == green, norm * (blue - red) + 2.0 / 6.0, norm * (red - green) + 4.0 / 6.0
    )
    hue = torch.where(value == red, norm * (green - blue), hue)
    hue = torch.where(spread > 0, hue, 0.0)
    hue = hue + (hue < 0).to(hue.dtype)
    return torch.stack([hue, saturation, value], dim=axis)


def hsv_to_rgb(images: TensorLike, data_format: str | None = None) -> Tensor:
    """Hue, saturation and value in ``[0, 1]`` to RGB in ``[0, 1]``."""
    x = _float_images(images, "hsv_to_rgb")
    axis = _channel_axis(data_format, "hsv_to_rgb")
    hue, saturation, value = x.unbind(axis)
    sector = torch.remainder(hue, 1.0) * 6.0
    red = (torch.abs(sector - 3.0) - 1.0).clamp(0.0, 1.0)
    green = (2.0 - torch.abs(sector - 2.0)).clamp(0.0, 1.0)
    blue = (2.0 - torch.abs(sector - 4.0)).clamp(0.0, 1.0)
    grey = 1.0 - saturation
    planes = [value * (grey + saturation * c) for c in (red, green, blue)]
    return torch.stack(planes, dim=axis)


def _saturate(x: Tensor, dtype: torch.dtype) -> Tensor:
    """Float ``x`` rounded and clipped into an integer ``dtype``."""
    info = torch.iinfo(dtype)
    return x.round().clamp(info.min, info.max).to(dtype)


def resize(
    images: TensorLike,
    size: Sequence[int],
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    data_format: str | None = None,
) -> Tensor:
    """Resize images to ``size = (height, width)``; mirrors ``keras.ops.image.resize``.

    Args:
        images: One image or a batch.
        size: ``(height, width)`` of the result.
        interpolation: ``"bilinear"`` (default), ``"nearest"`` or ``"bicubic"``.
        antialias: Filter when downsampling (bilinear and bicubic only; default False).
        crop_to_aspect_ratio: Crop the centre to the target aspect ratio first.
        pad_to_aspect_ratio: Pad (with ``fill_value``) to the target aspect ratio first.
        fill_mode: Only ``"constant"``.
        fill_value: The padding value (default 0.0).
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.

    Integer images are resized in float32, then rounded and clipped back to their dtype.
    """
    if len(size) != 2:
        raise ValueError(f"resize expected size to be (height, width), received: size={size!r}")
    if size[0] <= 0 or size[1] <= 0:
        raise ValueError(f"resize expected a positive height and width, received: size={size!r}")
    if interpolation not in _RESIZE_MODES:
        raise ValueError(
            f"resize expected interpolation to be one of {list(_RESIZE_MODES)}, "
            f"received: interpolation={interpolation!r}"
        )
    if fill_mode != "constant":
        raise ValueError(f"resize expected fill_mode='constant', received: fill_mode={fill_mode!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "resize expected at most one of crop_to_aspect_ratio and pad_to_aspect_ratio"
        )
    x = _images(images, "resize")
    channels_last = _sliding.data_format(data_format, "resize") == "channels_last"
    dtype = x.dtype
    batch, single = _as_batch(x, channels_last)
    if dtype not in (torch.float32, torch.float64):
        batch = batch.float()
    height, width = batch.shape[-2:]
    target_height, target_width = int(size[0]), int(size[1])
    if crop_to_aspect_ratio:
        crop_height = max(min(height, int(width * target_height / target_width)), 1)
        crop_width = max(min(width, int(height * target_width / target_height)), 1)
        top, left = int((height - crop_height) / 2), int((width - crop_width) / 2)
        batch = batch[..., top : top + crop_height, left : left + crop_width]
    elif pad_to_aspect_ratio:
        pad_height = max(height, int(width * target_height / target_width))
        pad_width = max(width, int(height * target_width / target_height))
        top, left = int((pad_height - height) / 2), int((pad_width - width) / 2)
        batch = F.pad(batch, (left, left, top, top), value=fill_value)
    smooth = interpolation in ("bilinear", "bicubic")
    resized = F.interpolate(
        batch,
        size=(target_height, target_width),
        mode=_RESIZE_MODES[interpolation],
        align_corners=False if smooth else None,
        antialias=antialias and smooth,
    )
    if dtype.is_floating_point:
        resized = resized.to(dtype)
    elif dtype != torch.bool:
        resized = _saturate(resized, dtype)
    return _from_batch(resized, channels_last, single)


def _spatial_sizes(x: Tensor, channels_last: bool) -> tuple[int, int]:
    return tuple(x.shape[-3:-1]) if channels_last else tuple(x.shape[-2:])  # type: ignore[return-value]


def _resolve_sides(
    first: int | None, second: int | None, target: int | None, names: tuple[str, str, str], op: str
) -> None:
    if [first, second, target].count(None) != 1:
        raise ValueError(
            f"{op} expected exactly two of {', '.join(names)}, received: "
            f"{names[0]}={first}, {names[1]}={second}, {names[2]}={target}"
        )
    for name, value in zip(names, (first, second, target)):
        if value is not None and value < 0:
            raise ValueError(f"{op} expected {name} >= 0, received: {name}={value}")


def _check_non_negative(op: str, **amounts: int) -> None:
    for name, value in amounts.items():
        if value < 0:
            raise ValueError(f"{op} expected {name} >= 0, received: {name}={value}")


def pad_images(
    images: TensorLike,
    top_padding: int | None = None,
    left_padding: int | None = None,
    bottom_padding: int | None = None,
    right_padding: int | None = None,
    target_height: int | None = None,
    target_width: int | None = None,
    data_format: str | None = None,
) -> Tensor:
    """Pad images with zeros; give two of top/bottom/target height and two of
    left/right/target width; mirrors ``keras.ops.image.pad_images``."""
    x = _images(images, "pad_images")
    channels_last = _sliding.data_format(data_format, "pad_images") == "channels_last"
    _resolve_sides(
        top_padding,
        bottom_padding,
        target_height,
        ("top_padding", "bottom_padding", "target_height"),
        "pad_images",
    )
    _resolve_sides(
        left_padding,
        right_padding,
        target_width,
        ("left_padding", "right_padding", "target_width"),
        "pad_images",
    )
    height, width = _spatial_sizes(x, channels_last)
    if top_padding is None:
        top_padding = target_height - bottom_padding - height
    if bottom_padding is None:
        bottom_padding = target_height - top_padding - height
    if left_padding is None:
        left_padding = target_width - right_padding - width
    if right_padding is None:
        right_padding = target_width - left_padding - width
    _check_non_negative(
        "pad_images",
        top_padding=top_padding,
        bottom_padding=bottom_padding,
        left_padding=left_padding,
        right_padding=right_padding,
    )
    pads = [left_padding, right_padding, top_padding, bottom_padding]
    return F.pad(x, [0, 0, *pads] if channels_last else pads)


def crop_images(
    images: TensorLike,
    top_cropping: int | None = None,
    left_cropping: int | None = None,
    bottom_cropping: int | None = None,
    right_cropping: int | None = None,
    target_height: int | None = None,
    target_width: int | None = None,
    data_format: str | None = None,
) -> Tensor:
    """Crop images; give two of top/bottom cropping and target height and two of
    left/right cropping and target width; mirrors ``keras.ops.image.crop_images``."""
    x = _images(images, "crop_images")
    channels_last = _sliding.data_format(data_format, "crop_images") == "channels_last"
    _resolve_sides(
        top_cropping,
        bottom_cropping,
        target_height,
        ("top_cropping", "bottom_cropping", "target_height"),
        "crop_images",
    )
    _resolve_sides(
        left_cropping,
        right_cropping,
        target_width,
        ("left_cropping", "right_cropping", "target_width"),
        "crop_images",
    )
    height, width = _spatial_sizes(x, channels_last)
    if top_cropping is None:
        top_cropping = height - target_height - bottom_cropping
    if target_height is None:
        target_height = height - bottom_cropping - top_cropping
    if left_cropping is None:
        left_cropping = width - target_width - right_cropping
    if target_width is None:
        target_width = width - right_cropping - left_cropping
    _check_non_negative(
        "crop_images",
        top_cropping=top_cropping,
        target_height=target_height,
        left_cropping=left_cropping,
        target_width=target_width,
    )
    if top_cropping + target_height > height or left_cropping + target_width > width:
        raise ValueError(
            f"crop_images expected the crop to fit in the {height}x{width} images, received: "
            f"top_cropping={top_cropping}, target_height={target_height}, "
            f"left_cropping={left_cropping}, target_width={target_width}"
        )
    rows = slice(top_cropping, top_cropping + target_height)
    columns = slice(left_cropping, left_cropping + target_width)
    return x[..., rows, columns, :] if channels_last else x[..., rows, columns]


def _patches(
    x: Tensor,
    size: tuple[int, ...],
    strides: int | Sequence[int] | None,
    dilation_rate: int | Sequence[int],
    padding: str,
    data_format: str | None,
    op: str,
) -> Tensor:
    """Patches as channels: a convolution with an identity kernel, so each output channel is
    one (position in the patch, input channel) pair, channels fastest."""
    rank = len(size)
    channels_last = _sliding.data_format(data_format, op) == "channels_last"
    single = x.ndim == rank + 1
    if x.ndim not in (rank + 1, rank + 2):
        raise ValueError(
            f"{op} expected inputs of rank {rank + 1} or {rank + 2}, received: shape={tuple(x.shape)}"
        )
    x = x.unsqueeze(0) if single else x
    x = x if x.is_floating_point() else x.to(_floating(0.0).dtype)
    channels = x.shape[-1] if channels_last else x.shape[1]
    depth = channels * math.prod(size)
    kernel = torch.eye(depth, dtype=x.dtype, device=x.device).reshape(*size, channels, depth)
    patches = conv(
        x,
        kernel,
        strides=size if not strides else strides,
        padding=padding,
        data_format="channels_last" if channels_last else "channels_first",
        dilation_rate=dilation_rate,
    )
    return patches.squeeze(0) if single else patches


def extract_patches(
    images: TensorLike,
    size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """Patches of images (or, with a 3-tuple ``size``, of volumes) flattened into channels;
    mirrors ``keras.ops.image.extract_patches``.

    Args:
        images: ``(batch, h, w, c)`` or ``(h, w, c)`` (or channels first).
        size: Int or ``(ph, pw)``; ``(pd, ph, pw)`` takes patches of volumes
            ``(batch, d, h, w, c)`` instead.
        strides: Default ``None`` means ``size`` (patches side by side).
        dilation_rate: Int or pair (default 1).
        padding: ``"valid"`` (default) or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.

    Returns:
        ``(batch, rows, columns, ph * pw * c)`` (or channels first).
    """
    if is_int(size):
        size = (size, size)
    elif not isinstance(size, (tuple, list)):
        raise TypeError(
            f"extract_patches expected size to be an int or a tuple, received: size={size!r} "
            f"of type {type(size).__name__}"
        )
    elif len(size) not in (2, 3):
        raise ValueError(f"extract_patches expected size of length 2 or 3, received: size={size!r}")
    size = _sliding.int_tuple(tuple(size), len(size), "extract_patches", "size")
    return _patches(
        _to_tensor(images), size, strides, dilation_rate, padding, data_format, "extract_patches"
    )
