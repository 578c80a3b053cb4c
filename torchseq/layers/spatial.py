"""Spatial reshaping layers: ZeroPadding1D/2D/3D, Cropping1D/2D/3D, UpSampling1D/2D/3D.

The image layers honour ``data_format`` (channels_last by default). Cropping returns a
view of the input; padding is one ``F.pad`` kernel; nearest upsampling is one copy (an
expanded view reshaped), and bilinear/bicubic upsampling one ``F.interpolate`` kernel on
a permuted view, so channels_last data is never transposed in memory.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchseq import config
from torchseq.layers.layer import InputSpec
from torchseq.layers.reshaping import _ShapeLayer
from torchseq.utils.integers import is_int

__all__ = [
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
]

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic")
_ORDINALS = ("1st", "2nd", "3rd")


class _SpatialLayer(_ShapeLayer):
    """Shared machinery: the data format, the spatial axes and the rank check.

    Subclasses set ``_rank`` (the number of spatial axes).
    """

    _rank: int

    def __init__(self, data_format: str | None, **kwargs: Any) -> None:
        try:
            data_format = config.standardize_data_format(data_format)
        except ValueError as error:
            raise ValueError(f"{type(self).__name__}: {error}") from error
        super().__init__(**kwargs)
        self.data_format = data_format
        first = 1 if data_format == "channels_last" else 2
        self._spatial_axes = tuple(range(first, first + self._rank))
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _check_rank(self, inputs: torch.Tensor) -> None:
        # Padding and slicing a tensor of another rank would silently act on wrong axes.
        if inputs.ndim != self._rank + 2:
            self.input_spec.check(self.name, 0, tuple(inputs.shape))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class _ZeroPadding(_SpatialLayer):
    """Pads the spatial axes with zeros; ``padding`` is one ``(before, after)`` pair per axis."""

    def __init__(self, padding: Any, data_format: str | None, **kwargs: Any) -> None:
        pairs = _standardize_pairs(type(self).__name__, "padding", padding, self._rank)
        super().__init__(data_format, **kwargs)
        self._pairs = pairs
        self.padding = pairs[0] if self._rank == 1 else pairs
        # F.pad lists (before, after) from the last axis backwards.
        by_axis = dict(zip(self._spatial_axes, pairs))
        self._torch_padding = tuple(
            size for axis in range(self._rank + 1, 0, -1) for size in by_axis.get(axis, (0, 0))
        )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        self._check_rank(inputs)
        return F.pad(inputs, self._torch_padding)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        output_shape = list(input_shape)
        for axis, (before, after) in zip(self._spatial_axes, self._pairs):
            if output_shape[axis] is not None:
                output_shape[axis] += before + after
        return tuple(output_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": self.padding}


class ZeroPadding1D(_ZeroPadding):
    """Pads the time axis of a sequence with zeros; mirrors ``keras.layers.ZeroPadding1D``.

    Args:
        padding: Int ``p`` (``p`` zeros at both ends) or a pair ``(before, after)``;
            default ``1``.
        data_format: ``"channels_last"`` (``(batch, steps, features)``) or
            ``"channels_first"`` (``(batch, features, steps)``); default
            ``config.image_data_format()``.

    Input shape: ``(batch, steps, features)`` (channels_last).
    Output shape: ``(batch, before + steps + after, features)``.

    Example:
        >>> ZeroPadding1D(2)(torch.ones(1, 3, 4)).shape
        torch.Size([1, 7, 4])
    """

    _rank = 1

    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Pads the rows and columns of an image with zeros; mirrors ``keras.layers.ZeroPadding2D``.

    Args:
        padding: Int ``p`` (all four sides), a pair ``(rows, cols)`` of symmetric
            paddings, or ``((top, bottom), (left, right))``; default ``(1, 1)``.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.

    Input shape: ``(batch, rows, cols, channels)`` (channels_last) or
    ``(batch, channels, rows, cols)`` (channels_first).
    Output shape: the same with ``top + rows + bottom`` rows and ``left + cols + right``
    columns.

    Example:
        >>> ZeroPadding2D(((1, 0), (2, 2)))(torch.ones(1, 3, 3, 2)).shape
        torch.Size([1, 4, 7, 2])
    """

    _rank = 2

    def __init__(
        self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Pads the three spatial axes of a volume with zeros; mirrors ``keras.layers.ZeroPadding3D``.

    Args:
        padding: Int ``p`` (every side), a triple of symmetric paddings, or three
            ``(before, after)`` pairs; default ``((1, 1), (1, 1), (1, 1))``.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.

    Input shape: ``(batch, dim1, dim2, dim3, channels)`` (channels_last) or
    ``(batch, channels, dim1, dim2, dim3)`` (channels_first).
    Output shape: the same with each spatial size grown by its two paddings.

    Example:
        >>> ZeroPadding3D(1)(torch.ones(1, 2, 2, 2, 3)).shape
        torch.Size([1, 4, 4, 4, 3])
    """

    _rank = 3

    def __init__(
        self,
        padding: Any = ((1, 1), (1, 1), (1, 1)),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(padding, data_format, **kwargs)


class _Cropping(_SpatialLayer):
    """Crops the spatial axes; ``cropping`` is one ``(before, after)`` pair per axis."""

    def __init__(self, cropping: Any, data_format: str | None, **kwargs: Any) -> None:
        pairs = _standardize_pairs(type(self).__name__, "cropping", cropping, self._rank)
        super().__init__(data_format, **kwargs)
        self._pairs = pairs
        self.cropping = pairs[0] if self._rank == 1 else pairs
        by_axis = dict(zip(self._spatial_axes, pairs))
        self._index = tuple(
            slice(by_axis[axis][0], -by_axis[axis][1] or None) if axis in by_axis else slice(None)
            for axis in range(self._rank + 2)
        )

    def build(self, input_shape: tuple) -> None:
        super().build(input_shape)
        self._check_sizes(input_shape)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        self._check_rank(inputs)
        self._check_sizes(inputs.shape)
        return inputs[self._index]

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check_sizes(input_shape)
        output_shape = list(input_shape)
        for axis, (before, after) in zip(self._spatial_axes, self._pairs):
            if output_shape[axis] is not None:
                output_shape[axis] -= before + after
        return tuple(output_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cropping": self.cropping}

    def _check_sizes(self, input_shape: Any) -> None:
        for axis, pair in zip(self._spatial_axes, self._pairs):
            size = input_shape[axis]
            if size is not None and sum(pair) >= size:
                raise ValueError(
                    f'Layer "{self.name}" ({type(self).__name__}): cropping={self.cropping} '
                    f"must leave at least one element of each cropped axis; axis {axis} of the "
                    f"input has size {size}, received input shape {tuple(input_shape)}"
                )


class Cropping1D(_Cropping):
    """Crops the time axis of a sequence; mirrors ``keras.layers.Cropping1D``.

    Like Keras, it has no ``data_format``: the cropped axis is always axis 1.

    Args:
        cropping: Int ``c`` (``c`` steps off both ends) or a pair ``(before, after)``;
            default ``(1, 1)``.

    Input shape: ``(batch, steps, features)``.
    Output shape: ``(batch, steps - before - after, features)``; a view of the input.

    Example:
        >>> Cropping1D((1, 2))(torch.ones(1, 5, 4)).shape
        torch.Size([1, 2, 4])
    """

    _rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(cropping, "channels_last", **kwargs)

    def get_config(self) -> dict[str, Any]:
        config_ = super().get_config()
        del config_["data_format"]
        return config_


class Cropping2D(_Cropping):
    """Crops the rows and columns of an image; mirrors ``keras.layers.Cropping2D``.

    Args:
        cropping: Int ``c`` (all four sides), a pair ``(rows, cols)`` of symmetric
            croppings, or ``((top, bottom), (left, right))``; default ``((0, 0), (0, 0))``.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.

    Input shape: ``(batch, rows, cols, channels)`` (channels_last) or
    ``(batch, channels, rows, cols)`` (channels_first).
    Output shape: the same with ``rows - top - bottom`` rows and ``cols - left - right``
    columns; a view of the input.

    Example:
        >>> Cropping2D(((1, 1), (0, 2)))(torch.ones(1, 4, 5, 3)).shape
        torch.Size([1, 2, 3, 3])
    """

    _rank = 2

    def __init__(
        self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Crops the three spatial axes of a volume; mirrors ``keras.layers.Cropping3D``.

    Args:
        cropping: Int ``c`` (every side), a triple of symmetric croppings, or three
            ``(before, after)`` pairs; default ``((1, 1), (1, 1), (1, 1))``.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.

    Input shape: ``(batch, dim1, dim2, dim3, channels)`` (channels_last) or
    ``(batch, channels, dim1, dim2, dim3)`` (channels_first).
    Output shape: the same with each spatial size reduced by its two croppings; a view.

    Example:
        >>> Cropping3D(1)(torch.ones(1, 4, 4, 4, 2)).shape
        torch.Size([1, 2, 2, 2, 2])
    """

    _rank = 3

    def __init__(
        self,
        cropping: Any = ((1, 1), (1, 1), (1, 1)),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(cropping, data_format, **kwargs)


class _UpSampling(_SpatialLayer):
    """Repeats each spatial element ``size`` times along its axis (nearest neighbour)."""

    def __init__(self, size: Any, data_format: str | None, **kwargs: Any) -> None:
        factors = _standardize_factors(type(self).__name__, size, self._rank)
        super().__init__(data_format, **kwargs)
        self._factors = factors
        self.size = factors[0] if self._rank == 1 else factors
        self._factor_of_axis = dict(zip(self._spatial_axes, factors))

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        self._check_rank(inputs)
        return self._repeat(inputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        output_shape = list(input_shape)
        for axis, factor in self._factor_of_axis.items():
            if output_shape[axis] is not None:
                output_shape[axis] *= factor
        return tuple(output_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size}

    def _repeat(self, inputs: torch.Tensor) -> torch.Tensor:
        # A unit axis after each spatial axis, expanded to the factor: one copy on reshape.
        view, expanded, output = [], [], []
        for axis, length in enumerate(inputs.shape):
            factor = self._factor_of_axis.get(axis)
            if factor is None:
                view.append(length)
                expanded.append(length)
                output.append(length)
            else:
                view += [length, 1]
                expanded += [length, factor]
                output.append(length * factor)
        return inputs.reshape(view).expand(expanded).reshape(output)


class UpSampling1D(_UpSampling):
    """Repeats each time step ``size`` times; mirrors ``keras.layers.UpSampling1D``.

    Like Keras, it has no ``data_format``: the upsampled axis is always axis 1.

    Args:
        size: Positive int, the repetition factor; default ``2``.

    Input shape: ``(batch, steps, features)``.
    Output shape: ``(batch, steps * size, features)``.

    Example:
        >>> UpSampling1D(3)(torch.ones(1, 2, 4)).shape
        torch.Size([1, 6, 4])
    """

    _rank = 1

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(size, "channels_last", **kwargs)

    def get_config(self) -> dict[str, Any]:
        config_ = super().get_config()
        del config_["data_format"]
        return config_


class UpSampling2D(_UpSampling):
    """Upsamples the rows and columns of an image; mirrors ``keras.layers.UpSampling2D``.

    ``"nearest"`` repeats each pixel; ``"bilinear"`` and ``"bicubic"`` interpolate at
    half-pixel centres (``align_corners=False``, no antialiasing), as Keras's image resize
    does.

    Args:
        size: Int or pair ``(rows, cols)`` of positive upsampling factors; default ``(2, 2)``.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
        interpolation: One of ``"nearest"`` (default), ``"bilinear"``, ``"bicubic"``.

    Input shape: ``(batch, rows, cols, channels)`` (channels_last) or
    ``(batch, channels, rows, cols)`` (channels_first).
    Output shape: the same with ``rows * size[0]`` rows and ``cols * size[1]`` columns.

    Example:
        >>> UpSampling2D((2, 3), interpolation="bilinear")(torch.ones(1, 2, 2, 3)).shape
        torch.Size([1, 4, 6, 3])
    """

    _rank = 2

    def __init__(
        self,
        size: Any = (2, 2),
        data_format: str | None = None,
        interpolation: str = "nearest",
        **kwargs: Any,
    ) -> None:
        if not isinstance(interpolation, str):
            raise TypeError(
                f"UpSampling2D: interpolation must be a string, one of {list(_INTERPOLATIONS)}, "
                f"received: interpolation={interpolation!r}"
            )
        if interpolation.lower() not in _INTERPOLATIONS:
            raise ValueError(
                f"UpSampling2D: interpolation must be one of {list(_INTERPOLATIONS)}, "
                f"received: interpolation={interpolation!r}"
            )
        super().__init__(size, data_format, **kwargs)
        self.interpolation = interpolation.lower()

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        self._check_rank(inputs)
        if self.interpolation == "nearest":
            return self._repeat(inputs)
        return self._interpolate(inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "interpolation": self.interpolation}

    def _interpolate(self, inputs: torch.Tensor) -> torch.Tensor:
        channels_last = self.data_format == "channels_last"
        images = inputs.permute(0, 3, 1, 2) if channels_last else inputs  # a view
        if images.dtype not in (torch.float32, torch.float64):  # Keras resizes in float32
            images = images.float()
        height, width = images.shape[2:]
        outputs = F.interpolate(
            images,
            size=(height * self._factors[0], width * self._factors[1]),
            mode=self.interpolation,
            align_corners=False,
        )
        if outputs.dtype != inputs.dtype:
            if not inputs.is_floating_point():  # integer images are rounded, as in Keras
                outputs = outputs.round()
            outputs = outputs.to(inputs.dtype)
        return outputs.permute(0, 2, 3, 1) if channels_last else outputs


class UpSampling3D(_UpSampling):
    """Repeats each voxel along the three spatial axes; mirrors ``keras.layers.UpSampling3D``.

    Args:
        size: Int or triple of positive upsampling factors; default ``(2, 2, 2)``.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.

    Input shape: ``(batch, dim1, dim2, dim3, channels)`` (channels_last) or
    ``(batch, channels, dim1, dim2, dim3)`` (channels_first).
    Output shape: the same with each spatial size multiplied by its factor.

    Example:
        >>> UpSampling3D(2)(torch.ones(1, 1, 2, 3, 4)).shape
        torch.Size([1, 2, 4, 6, 4])
    """

    _rank = 3

    def __init__(
        self, size: Any = (2, 2, 2), data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(size, data_format, **kwargs)


# ---------------------------------------------------------------------- argument checks


def _standardize_pair(layer: str, argument: str, value: Any) -> tuple[int, int]:
    """An int ``n`` gives ``(n, n)``; a pair of ints is kept. Entries must be >= 0."""
    pair = (value, value) if is_int(value) else value
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(map(is_int, pair)):
        raise TypeError(
            f"{layer}: {argument} must be an int or a pair of ints (before, after), "
            f"received: {argument}={value!r}"
        )
    if min(pair) < 0:
        raise ValueError(
            f"{layer}: {argument} must be non-negative, received: {argument}={value!r}"
        )
    return tuple(int(entry) for entry in pair)


def _standardize_pairs(layer: str, argument: str, value: Any, rank: int) -> tuple:
    """One ``(before, after)`` pair per spatial axis, from Keras's spellings."""
    if rank == 1:
        return (_standardize_pair(layer, argument, value),)
    if is_int(value):
        return (_standardize_pair(layer, argument, value),) * rank
    if not isinstance(value, (tuple, list)) or len(value) != rank:
        raise TypeError(
            f"{layer}: {argument} must be an int, a tuple of {rank} ints or a tuple of {rank} "
            f"pairs of ints ((before, after) per spatial axis), received: {argument}={value!r}"
        )
    return tuple(
        _standardize_pair(layer, f"the {_ORDINALS[index]} entry of {argument}", entry)
        for index, entry in enumerate(value)
    )


def _standardize_factors(layer: str, size: Any, rank: int) -> tuple[int, ...]:
    """``size`` as one positive int per spatial axis."""
    factors = (size,) * rank if is_int(size) else size
    if (
        not isinstance(factors, (tuple, list))
        or len(factors) != rank
        or not all(map(is_int, factors))
    ):
        expected = "an int" if rank == 1 else f"an int or a tuple of {rank} ints"
        raise TypeError(f"{layer}: size must be {expected}, received: size={size!r}")
    if min(factors) <= 0:
        raise ValueError(f"{layer}: size must be positive, received: size={size!r}")
    return tuple(int(factor) for factor in factors)
