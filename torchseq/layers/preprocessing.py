"""Preprocessing layers: Rescaling, Normalization (with ``adapt``), CenterCrop and Resizing.

The image layers work on channels-last images by default (``data_format`` honoured), batched
``(batch, height, width, channels)`` or single ``(height, width, channels)``; resizing runs
``F.interpolate`` on a free NCHW view of channels-last data.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from torchseq import config
from torchseq.layers.layer import Layer

__all__ = ["CenterCrop", "Normalization", "Rescaling", "Resizing"]

_INTERPOLATIONS = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}
_FILL_MODES = ("constant",)


class Rescaling(Layer):
    """Multiplies the inputs by ``scale`` and adds ``offset``: ``inputs * scale + offset``.

    Mirrors ``keras.layers.Rescaling``; inputs are cast to the layer's dtype first (so
    ``uint8`` images become floats). ``scale`` and ``offset`` may be numbers or arrays
    broadcastable to the input; when the image data format is ``channels_first`` at
    creation, an array ``scale`` of per-channel values is aligned with the channel axis.

    Args:
        scale: Number or array, the factor.
        offset: Number or array, added after scaling. Default ``0.0``.

    Input shape: any. Output shape: the input's shape.

    Example:
        >>> Rescaling(1 / 255)(torch.tensor([0, 255], dtype=torch.uint8))
        tensor([0., 1.])
    """

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        scale = _number_or_array("Rescaling", "scale", scale)
        offset = _number_or_array("Rescaling", "offset", offset)
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        scale_factor = self._as_factor(scale)
        if isinstance(scale_factor, torch.Tensor) and config.image_data_format() == (
            "channels_first"
        ):
            scale_factor = scale_factor.reshape(
                *scale_factor.shape, *(1,) * (3 - scale_factor.ndim)
            )
        self._scale_factor = scale_factor
        self._offset_term = self._as_factor(offset)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        inputs = inputs.to(self._dtype)
        scale, offset = self._scale_factor, self._offset_term
        if isinstance(scale, torch.Tensor):
            scale = scale.to(inputs.device)
        if isinstance(offset, torch.Tensor):
            offset = offset.to(inputs.device)
        return inputs * scale + offset

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "scale": _plain(self.scale),
            "offset": _plain(self.offset),
        }

    def _as_factor(self, value: Any) -> float | torch.Tensor:
        if isinstance(value, numbers.Real):
            return float(value)
        return torch.as_tensor(np.asarray(value), dtype=self._dtype)


class Normalization(Layer):
    """Standardises features: ``(inputs - mean) / sqrt(variance)``, or the inverse.

    Mirrors ``keras.layers.Normalization``. The statistics are either given (``mean`` and
    ``variance``) or computed from data with ``adapt(data)``, one value per position of
    the kept ``axis`` (the other axes are reduced). The divisor is
    ``max(sqrt(variance), epsilon)`` with ``config.epsilon()``.

    Weights when adapted (non-trainable buffers, Keras's order): ``mean`` and ``variance``
    (the kept axes' sizes) and ``count`` (an int32 scalar Keras keeps for old models).
    With fixed ``mean``/``variance`` the layer has no weights.

    Args:
        axis: Int, list of ints or ``None``: the axes that keep separate statistics.
            Default ``-1`` (one mean per feature); ``None`` for a single scalar mean.
        mean: Optional number or array; needs ``variance`` too. Arrays are aligned with
            the kept axes from the right and broadcast.
        variance: Optional number or array with ``mean``'s shape.
        invert: If ``True``, undo the normalization: ``inputs * sqrt(variance) + mean``.

    Input shape: any, with the kept axes known. Output shape: the input's shape.

    Example:
        >>> layer = Normalization()
        >>> layer.adapt(np.array([[0.0], [2.0]]))
        >>> layer(torch.tensor([[2.0]]))
        tensor([[1.]])
    """

    def __init__(
        self,
        axis: int | Sequence[int] | None = -1,
        mean: Any = None,
        variance: Any = None,
        invert: bool = False,
        **kwargs: Any,
    ) -> None:
        axes = _axis_tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization: mean and variance must be given together, received: "
                f"mean={mean!r}, variance={variance!r}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "Normalization: mean and variance must have the same shape, received: "
                    f"mean shape {np.shape(mean)}, variance shape {np.shape(variance)}"
                )
            if len(np.shape(mean)) > len(axes):
                raise ValueError(
                    f"Normalization: the rank of mean must be <= the number of kept axes "
                    f"({len(axes)} for axis={axis!r}), received: mean shape {np.shape(mean)}"
                )
        super().__init__(**kwargs)
        self.axis = axes
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True
        self._keep_axes: tuple[int, ...] = ()
        self._reduce_axes: tuple[int, ...] = ()
        self._broadcast_shape: list[int] = []
        if mean is None:
            self._lazy_weight("mean", trainable=False)
            self._lazy_weight("variance", trainable=False)
            self.register_buffer("count", _int32_placeholder())

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(
                f'Normalization layer "{self.name}": axis={self.axis} is out of range for an '
                f"input of rank {ndim} (expected -{ndim} <= axis < {ndim}); received input "
                f"shape {tuple(input_shape)}"
            )
        keep = tuple(sorted(a % ndim for a in self.axis))
        unknown = [a for a in keep if input_shape[a] is None]
        if unknown:
            raise ValueError(
                f'Normalization layer "{self.name}": the kept axes {list(keep)} must have known '
                f"sizes, received input shape {tuple(input_shape)} (unknown at {unknown})"
            )
        self._keep_axes = keep
        self._reduce_axes = tuple(a for a in range(ndim) if a not in keep)
        self._broadcast_shape = [input_shape[a] if a in keep else 1 for a in range(ndim)]
        self._build_shape = tuple(input_shape)
        stats_shape = tuple(input_shape[a] for a in keep)
        if self.input_mean is None:
            self.add_weight(shape=stats_shape, initializer="zeros", trainable=False, name="mean")
            self.add_weight(shape=stats_shape, initializer="ones", trainable=False, name="variance")
            self.add_weight(
                shape=(), initializer="zeros", dtype="int32", trainable=False, name="count"
            )
        else:
            self.register_buffer(
                "_fixed_mean", self._broadcast_fixed(self.input_mean), persistent=False
            )
            self.register_buffer(
                "_fixed_variance", self._broadcast_fixed(self.input_variance), persistent=False
            )
        self.built = True

    def adapt(self, data: Any) -> None:
        """Compute the mean and variance of ``data`` over the reduced axes.

        Args:
            data: A numpy array or tensor (the whole data set), or an iterable of such
                batches (combined exactly, as Keras does).
        """
        if self.input_mean is not None:
            raise ValueError(
                f'Normalization layer "{self.name}": adapt() needs a layer without fixed '
                "statistics, but it was created with mean= and variance="
            )
        batches, shape = _batches_and_shape(data)
        if not self.built:
            self._build_for(shape)
        self._check_adapt_shape(shape)
        if isinstance(batches, np.ndarray):
            mean = np.mean(batches, axis=self._reduce_axes)
            variance = np.var(batches, axis=self._reduce_axes)
        elif isinstance(batches, torch.Tensor):
            mean, variance = _moments(batches.to(self._dtype), self._reduce_axes)
        else:
            mean, variance = self._combined_moments(batches)
        with torch.no_grad():
            self.mean.copy_(torch.as_tensor(mean))
            self.variance.copy_(torch.as_tensor(variance))

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        inputs = inputs.to(self._dtype)
        if self.input_mean is None:
            mean = self.mean.view(self._broadcast_shape)
            variance = self.variance.view(self._broadcast_shape)
        else:
            mean, variance = self._fixed_mean, self._fixed_variance
        scale = torch.sqrt(variance).clamp_min(config.epsilon())
        if self.invert:
            return torch.addcmul(mean, inputs, scale)
        return (inputs - mean) / scale

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": _plain(self.input_mean),
            "variance": _plain(self.input_variance),
        }

    # ------------------------------------------------------------------ helpers

    def _broadcast_fixed(self, value: Any) -> torch.Tensor:
        """A given statistic aligned (from the right) with the kept axes, broadcast."""
        array = np.asarray(value)
        shape = [1] * len(self._broadcast_shape)
        for offset in range(1, array.ndim + 1):
            shape[self._keep_axes[-offset]] = array.shape[-offset]
        tensor = torch.as_tensor(array, dtype=self._dtype).reshape(shape)
        return tensor.expand(self._broadcast_shape).clone()

    def _check_adapt_shape(self, shape: tuple) -> None:
        built = self._build_shape
        if len(shape) != len(built) or any(shape[a] != built[a] for a in self._keep_axes):
            raise ValueError(
                f'Normalization layer "{self.name}" was built for input shape {built} '
                f"(kept axes {list(self._keep_axes)}), but adapt() received data of shape "
                f"{tuple(shape)}"
            )

    def _combined_moments(self, batches: Iterable[Any]) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and variance of all batches together, merged one batch at a time."""
        stats_shape = tuple(self._build_shape[a] for a in self._keep_axes)
        mean = torch.zeros(stats_shape, dtype=self._dtype)
        variance = torch.zeros(stats_shape, dtype=self._dtype)
        total = 0
        for batch in batches:
            batch = torch.as_tensor(np.asarray(batch) if not torch.is_tensor(batch) else batch)
            batch = batch.to(self._dtype)
            self._check_adapt_shape(tuple(batch.shape))
            batch_mean, batch_var = _moments(batch, self._reduce_axes)
            count = math.prod(batch.shape[a] for a in self._reduce_axes)
            total += count
            weight = count / total
            new_mean = mean * (1 - weight) + batch_mean * weight
            variance = (variance + (mean - new_mean) ** 2) * (1 - weight) + (
                batch_var + (batch_mean - new_mean) ** 2
            ) * weight
            mean = new_mean
        return mean, variance


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


def _moments(values: torch.Tensor, axes: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and biased variance over ``axes`` (none: every value is its own mean)."""
    if not axes:  # torch reads an empty dim as "all axes"
        return values, torch.zeros_like(values)
    variance, mean = torch.var_mean(values, dim=axes, correction=0)
    return mean, variance


def _axis_tuple(axis: Any) -> tuple[int, ...]:
    if axis is None:
        return ()
    axes = (axis,) if isinstance(axis, numbers.Integral) else axis
    if (
        isinstance(axis, bool)
        or not isinstance(axes, (list, tuple))
        or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes)
    ):
        raise TypeError(
            f"Normalization: axis must be an int, a list of ints or None, received: axis={axis!r}"
        )
    if len(set(axes)) != len(axes):
        raise ValueError(f"Normalization: axis must not repeat an axis, received: axis={axis!r}")
    return tuple(int(a) for a in axes)


def _batches_and_shape(data: Any) -> tuple[Any, tuple]:
    """The data for ``adapt`` (array, tensor or an iterator of batches) and its shape."""
    if isinstance(data, (np.ndarray, torch.Tensor)):
        return data, tuple(data.shape)
    if isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
        raise TypeError(
            "Normalization: adapt() expects a numpy array, a tensor or an iterable of "
            f"batches, received: {type(data).__name__}"
        )
    iterator = iter(data)
    first = next(iterator, None)
    if first is None:
        raise ValueError("Normalization: adapt() received an empty iterable, expected batches")
    if not hasattr(first, "shape"):
        raise TypeError(
            "Normalization: adapt() expects batches with a shape (arrays or tensors), "
            f"received a batch of type {type(first).__name__}"
        )
    return itertools.chain([first], iterator), tuple(first.shape)


def _number_or_array(layer: str, name: str, value: Any) -> Any:
    if isinstance(value, (bool, str)):
        raise TypeError(f"{layer}: {name} must be a number or an array, received: {name}={value!r}")
    if isinstance(value, numbers.Real):
        return value
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{layer}: {name} must be a number or an array, received: {name}={value!r}"
        ) from error
    return array


def _plain(value: Any) -> Any:
    """A config value as JSON-friendly Python (arrays become nested lists)."""
    if value is None or isinstance(value, numbers.Real):
        return value
    return np.asarray(value).tolist()


def _int32_placeholder() -> torch.Tensor:
    from torch.nn.parameter import UninitializedBuffer

    return UninitializedBuffer(dtype=torch.int32)
