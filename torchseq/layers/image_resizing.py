"""Image resizing layers: CenterCrop and Resizing, on a shared ``_BaseImageResize``.

They work on channels-last images by default (``data_format`` honoured), batched
``(batch, height, width, channels)`` or single ``(height, width, channels)``; resizing runs
``F.interpolate`` on a free NCHW view of channels-last data.
"""

from __future__ import annotations

import numbers
from typing import Any

import torch
import torch.nn.functional as F

from torchseq import config
from torchseq.layers.layer import Layer

__all__ = ["CenterCrop", "Resizing"]

_INTERPOLATIONS = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}
_FILL_MODES = ("constant",)


class _BaseImageResize(Layer):
    """Shared machinery of CenterCrop and Resizing: target size, data format, image ranks."""

    def __init__(self, height: int, width: int, data_format: str | None, **kwargs: Any) -> None:
        layer = type(self).__name__
        for name, value in (("height", height), ("width", width)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
                raise ValueError(
                    f"{layer}: {name} must be a positive integer, received: {name}={value!r}"
                )
        try:
            data_format = config.standardize_data_format(data_format)
        except ValueError as error:
            raise ValueError(f"{layer}: {error}") from error
        super().__init__(**kwargs)
        self.height = int(height)
        self.width = int(width)
        self.data_format = data_format

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check_rank(len(input_shape), input_shape)
        shape = list(input_shape)
        height_axis = len(shape) - (3 if self.data_format == "channels_last" else 2)
        shape[height_axis] = self.height
        shape[height_axis + 1] = self.width
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "data_format": self.data_format,
        }

    def _check_rank(self, ndim: int, shape: Any) -> None:
        if ndim not in (3, 4):
            last = self.data_format == "channels_last"
            layout = "height, width, channels" if last else "channels, height, width"
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}": expected images of rank 4 '
                f"(batch, {layout}) or rank 3 ({layout}), received input shape {tuple(shape)}"
            )

    def _as_batch_nchw(self, images: torch.Tensor) -> torch.Tensor:
        """A (batch, channels, height, width) view of a batch or single image."""
        self._check_rank(images.ndim, images.shape)
        if images.ndim == 3:
            images = images.unsqueeze(0)
        return images.permute(0, 3, 1, 2) if self.data_format == "channels_last" else images

    def _from_batch_nchw(self, images: torch.Tensor, ndim: int) -> torch.Tensor:
        if self.data_format == "channels_last":
            images = images.permute(0, 2, 3, 1)
        return images.squeeze(0) if ndim == 3 else images

    def _resize(
        self,
        images: torch.Tensor,
        interpolation: str,
        *,
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_value: float = 0.0,
        antialias: bool = False,
    ) -> torch.Tensor:
        """Resize a floating NCHW batch to (height, width), as Keras's torch backend does."""
        height, width = images.shape[-2:]
        if crop_to_aspect_ratio:
            crop_h, crop_w, top, left = _aspect_crop(height, width, self.height, self.width)
            images = images[:, :, top : top + crop_h, left : left + crop_w]
        elif pad_to_aspect_ratio:
            pad_h = max(height, int(float(width * self.height) / self.width))
            pad_w = max(width, int(float(height * self.width) / self.height))
            top, left = int(float(pad_h - height) / 2), int(float(pad_w - width) / 2)
            if top > 0 or left > 0:
                images = F.pad(images, (left, left, top, top), value=fill_value)
        align_corners = False if interpolation in ("bilinear", "bicubic") else None
        return F.interpolate(
            images,
            size=(self.height, self.width),
            mode=_INTERPOLATIONS[interpolation],
            align_corners=align_corners,
            antialias=antialias and interpolation in ("bilinear", "bicubic"),
        )


class CenterCrop(_BaseImageResize):
    """Crops the central ``height x width`` window of images.

    Mirrors ``keras.layers.CenterCrop``: the crop is a view of the input (cast to the
    layer's dtype). An image smaller than the target along either axis is instead
    cropped to the target's aspect ratio and resized (bilinear) to the target size.

    Args:
        height: Positive int, the output height.
        width: Positive int, the output width.
        data_format: ``"channels_last"`` (default from ``config.image_data_format()``)
            or ``"channels_first"``.

    Input shape: ``(batch, height, width, channels)`` or ``(height, width, channels)``
    (channels first: ``(batch, channels, height, width)`` or ``(channels, height, width)``).
    Output shape: the same with the target height and width.

    Example:
        >>> CenterCrop(2, 2)(torch.zeros(1, 4, 4, 3)).shape
        torch.Size([1, 2, 2, 3])
    """

    def __init__(
        self, height: int, width: int, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(height, width, data_format, **kwargs)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        inputs = inputs.to(self._dtype)
        self._check_rank(inputs.ndim, inputs.shape)
        height_axis = inputs.ndim - (3 if self.data_format == "channels_last" else 2)
        height, width = inputs.shape[height_axis], inputs.shape[height_axis + 1]
        if height >= self.height and width >= self.width:
            top, left = (height - self.height) // 2, (width - self.width) // 2
            return inputs.narrow(height_axis, top, self.height).narrow(
                height_axis + 1, left, self.width
            )
        resized = self._resize(self._as_batch_nchw(inputs), "bilinear", crop_to_aspect_ratio=True)
        return self._from_batch_nchw(resized, inputs.ndim)


class Resizing(_BaseImageResize):
    """Resizes images to ``height x width``.

    Mirrors ``keras.layers.Resizing`` (on Keras's torch backend: ``F.interpolate`` with
    ``align_corners=False``; ``"nearest"`` is torch's ``nearest-exact``). The output keeps
    the input's dtype: integer images are resized as floats, rounded and saturated.

    Args:
        height: Positive int, the output height.
        width: Positive int, the output width.
        interpolation: One of ``"bilinear"`` (default), ``"nearest"``, ``"bicubic"``.
        crop_to_aspect_ratio: If ``True``, first crop the largest centred window with the
            target's aspect ratio, so that the image is not distorted. Default ``False``.
        pad_to_aspect_ratio: If ``True``, first pad the image with ``fill_value`` to the
            target's aspect ratio. Default ``False``.
        fill_mode: Only ``"constant"``.
        fill_value: The padding value for ``pad_to_aspect_ratio``. Default ``0.0``.
        antialias: Whether to antialias when downsampling (bilinear and bicubic only).
        data_format: ``"channels_last"`` (default from ``config.image_data_format()``)
            or ``"channels_first"``.

    Input shape: ``(batch, height, width, channels)`` or ``(height, width, channels)``
    (channels first: ``(batch, channels, height, width)`` or ``(channels, height, width)``).
    Output shape: the same with the target height and width.

    Example:
        >>> Resizing(8, 8)(torch.zeros(1, 4, 4, 3)).shape
        torch.Size([1, 8, 8, 3])
    """

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_mode: str = "constant",
        fill_value: float = 0.0,
        antialias: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"Resizing: interpolation must be one of {list(_INTERPOLATIONS)}, received: "
                f"interpolation={interpolation!r}"
            )
        if fill_mode not in _FILL_MODES:
            raise ValueError(
                f"Resizing: fill_mode must be one of {list(_FILL_MODES)}, received: "
                f"fill_mode={fill_mode!r}"
            )
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                "Resizing: only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be "
                "True, received: crop_to_aspect_ratio=True, pad_to_aspect_ratio=True"
            )
        super().__init__(height, width, data_format, **kwargs)
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        dtype = inputs.dtype
        compute_dtype = self._dtype if dtype.is_floating_point else torch.float32
        images = self._as_batch_nchw(inputs.to(compute_dtype))
        resized = self._resize(
            images,
            self.interpolation,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_value=self.fill_value,
            antialias=self.antialias,
        )
        outputs = self._from_batch_nchw(resized, inputs.ndim)
        if dtype.is_floating_point or dtype == torch.bool:
            return outputs
        limits = torch.iinfo(dtype)
        return outputs.round().clamp(limits.min, limits.max).to(dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
        }


# ---------------------------------------------------------------------- helpers


def _aspect_crop(height: int, width: int, target_h: int, target_w: int) -> tuple[int, ...]:
    """Size and offset of the largest centred window with the target's aspect ratio."""
    crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
    crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
    return crop_h, crop_w, int(float(height - crop_h) / 2), int(float(width - crop_w) / 2)
