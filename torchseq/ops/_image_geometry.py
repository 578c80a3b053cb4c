"""``keras.ops.image`` geometric transforms: ``map_coordinates``, ``affine_transform``,
``perspective_transform``, ``elastic_transform`` and ``scale_and_translate``.

Sampling follows ``scipy.ndimage.map_coordinates`` (and JAX's port of it): order 0 rounds
to the nearest pixel, order 1 interpolates linearly; ``fill_mode`` says what lies outside:
``"constant"`` (``fill_value``), ``"nearest"`` (the edge pixel), ``"wrap"`` (periodic),
``"mirror"`` (``d c b | a b c d | c b a``) and ``"reflect"`` (``d c b a | a b c d | d c b a``).
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
from collections.abc import Callable, Sequence

import torch

from torchseq.ops import _nn_sliding as _sliding
from torchseq.ops._convert import Tensor, TensorLike, _floating, _operands, _to_tensor
from torchseq.ops._image import _images
from torchseq.ops._image_filters import gaussian_blur

__all__ = [
    "affine_transform",
    "elastic_transform",
    "map_coordinates",
    "perspective_transform",
    "scale_and_translate",
]

_INTERPOLATION_ORDERS = {"nearest": 0, "bilinear": 1}


def _mirror(index: Tensor, size: int) -> Tensor:
    if size == 1:
        return torch.zeros_like(index)
    period = 2 * (size - 1)
    return (size - 1) - torch.abs(torch.remainder(index, period) - (size - 1))


def _reflect(index: Tensor, size: int) -> Tensor:
    folded = torch.remainder(index, 2 * size)
    return torch.where(folded >= size, 2 * size - 1 - folded, folded)


_INDEX_RULES: dict[str, Callable[[Tensor, int], Tensor]] = {
    "constant": lambda index, size: index.clamp(0, size - 1),
    "nearest": lambda index, size: index.clamp(0, size - 1),
    "wrap": torch.remainder,
    "mirror": _mirror,
    "reflect": _reflect,
}


def _check_choice(value: str, choices: Sequence[str], op: str, name: str) -> None:
    if value not in choices:
        raise ValueError(
            f"{op} expected {name} to be one of {list(choices)}, received: {name}={value!r}"
        )


def _nodes(coordinate: Tensor, order: int) -> list[tuple[Tensor, Tensor | None]]:
    """The (index, weight) pairs interpolating along one axis; nearest has no weight."""
    if order == 0:
        return [(coordinate.round().to(torch.int64), None)]
    lower = coordinate.floor()
    upper_weight = coordinate - lower
    index = lower.to(torch.int64)
    return [(index, 1 - upper_weight), (index + 1, upper_weight)]


def _sample(
    values: Tensor,
    coordinates: Sequence[Tensor],
    order: int,
    fill_mode: str,
    fill_value: float,
    leading: tuple[Tensor, ...] = (),
) -> Tensor:
    """``values`` read at floating ``coordinates`` along its axes after the ``leading`` ones
    (those are indexed exactly by the ``leading`` index tensors); later axes are carried."""
    rule = _INDEX_RULES[fill_mode]
    first = len(leading)
    per_axis = []
    for axis, coordinate in enumerate(coordinates):
        size = values.shape[first + axis]
        per_axis.append(
            [
                (
                    rule(index, size),
                    (index >= 0) & (index < size) if fill_mode == "constant" else None,
                    weight,
                )
                for index, weight in _nodes(coordinate, order)
            ]
        )
    carried = values.ndim - first - len(coordinates)
    fill = torch.as_tensor(fill_value, dtype=values.dtype, device=values.device)
    total: Tensor | None = None
    for corner in itertools.product(*per_axis):
        indices, valid, weights = zip(*corner)
        picked = values[(*leading, *indices)]
        inside = [v for v in valid if v is not None]
        if inside:
            mask = functools.reduce(operator.and_, inside)
            picked = torch.where(mask.reshape(*mask.shape, *(1,) * carried), picked, fill)
        factors = [w for w in weights if w is not None]
        if factors:
            weight = functools.reduce(operator.mul, factors)
            picked = weight.reshape(*weight.shape, *(1,) * carried) * picked
        total = picked if total is None else total + picked
    assert total is not None
    if not values.is_floating_point():
        total = total.round() if total.is_floating_point() else total
    return total.to(values.dtype)


def map_coordinates(
    inputs: TensorLike,
    coordinates: TensorLike,
    order: int,
    fill_mode: str = "constant",
    fill_value: float = 0,
) -> Tensor:
    """``inputs`` read at the points ``coordinates`` by spline interpolation of ``order`` 0
    or 1, like ``scipy.ndimage.map_coordinates``; mirrors ``keras.ops.image.map_coordinates``.

    Args:
        inputs: An N-D tensor.
        coordinates: ``N`` arrays (or one array with a leading axis of ``N``), one per axis
            of ``inputs``, all of the output's shape.
        order: 0 (nearest) or 1 (linear).
        fill_mode: ``"constant"`` (default), ``"nearest"``, ``"wrap"``, ``"mirror"`` or
            ``"reflect"``.
        fill_value: The value outside the input for ``"constant"`` (default 0).

    Example:

    >>> ops.image.map_coordinates(ops.arange(4.0), [[0.5, 2.25]], order=1)
    tensor([0.5000, 2.2500])
    """
    values = _to_tensor(inputs)
    points = (
        [_to_tensor(c, device=values.device) for c in coordinates]
        if isinstance(coordinates, (list, tuple))
        else list(_to_tensor(coordinates, device=values.device))
    )
    if len(points) != values.ndim:
        raise ValueError(
            "map_coordinates expected one coordinate array per axis of inputs "
            f"({values.ndim}), received: {len(points)} coordinate arrays for "
            f"inputs.shape={tuple(values.shape)}"
        )
    if points and points[0].ndim < 1:
        raise ValueError(
            "map_coordinates expected coordinates of rank 2 or more (axes, *points), "
            f"received: shape={(len(points),)}"
        )
    if order not in (0, 1):
        raise ValueError(f"map_coordinates expected order 0 or 1, received: order={order!r}")
    _check_choice(fill_mode, list(_INDEX_RULES), "map_coordinates", "fill_mode")
    points = [p if p.is_floating_point() else p.to(torch.float32) for p in points]
    return _sample(values, points, order, fill_mode, fill_value)


def _sample_images(
    batch: Tensor, rows: Tensor, columns: Tensor, order: int, fill_mode: str, fill_value: float
) -> Tensor:
    """``(n, h, w, c)`` images read at per-image ``rows``/``columns`` of shape ``(n, h', w')``."""
    index = torch.arange(batch.shape[0], device=batch.device).reshape(-1, 1, 1)
    return _sample(batch, [rows, columns], order, fill_mode, fill_value, leading=(index,))


def _pixel_grid(
    height: int, width: int, dtype: torch.dtype, device: torch.device
) -> tuple[Tensor, Tensor]:
    rows = torch.arange(height, dtype=dtype, device=device).reshape(-1, 1).expand(height, width)
    columns = torch.arange(width, dtype=dtype, device=device).reshape(1, -1).expand(height, width)
    return rows, columns


def _channels_last_batch(
    images: TensorLike, data_format: str | None, op: str
) -> tuple[Tensor, bool, bool]:
    x = _images(images, op)
    channels_last = _sliding.data_format(data_format, op) == "channels_last"
    single = x.ndim == 3
    x = x.unsqueeze(0) if single else x
    return (x if channels_last else x.movedim(1, -1)), channels_last, single


def _restore_layout(y: Tensor, channels_last: bool, single: bool) -> Tensor:
    y = y if channels_last else y.movedim(-1, 1)
    return y.squeeze(0) if single else y


def _projective_sample(
    batch: Tensor, transforms: Tensor, order: int, fill_mode: str, fill_value: float
) -> Tensor:
    """Output pixel ``(x, y)`` of each image reads the input at
    ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``."""
    height, width = batch.shape[1:3]
    dtype = transforms.dtype
    rows, columns = _pixel_grid(height, width, dtype, batch.device)
    t = [transforms[:, i].reshape(-1, 1, 1) for i in range(8)]
    scale = t[6] * columns + t[7] * rows + 1
    source_columns = (t[0] * columns + t[1] * rows + t[2]) / scale
    source_rows = (t[3] * columns + t[4] * rows + t[5]) / scale
    return _sample_images(batch, source_rows, source_columns, order, fill_mode, fill_value)


def affine_transform(
    images: TensorLike,
    transform: TensorLike,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0,
    data_format: str | None = None,
) -> Tensor:
    """Apply projective transforms ``[a0, a1, a2, b0, b1, b2, c0, c1]`` (output to input
    pixel maps, TensorFlow's convention); mirrors ``keras.ops.image.affine_transform``.

    Args:
        images: One image or a batch.
        transform: ``(8,)`` for all images or ``(batch, 8)``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: ``"constant"`` (default), ``"nearest"``, ``"wrap"``, ``"mirror"``,
            ``"reflect"``.
        fill_value: The value outside for ``"constant"`` (default 0).
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
    """
    _check_choice(interpolation, list(_INTERPOLATION_ORDERS), "affine_transform", "interpolation")
    _check_choice(fill_mode, list(_INDEX_RULES), "affine_transform", "fill_mode")
    batch, channels_last, single = _channels_last_batch(images, data_format, "affine_transform")
    transforms = _floating(_to_tensor(transform, device=batch.device))
    if transforms.ndim not in (1, 2) or transforms.shape[-1] != 8:
        raise ValueError(
            "affine_transform expected transform of shape (8,) or (batch, 8), "
            f"received: transform.shape={tuple(transforms.shape)}"
        )
    transforms = transforms.reshape(-1, 8).expand(batch.shape[0], 8)
    out = _projective_sample(
        batch, transforms, _INTERPOLATION_ORDERS[interpolation], fill_mode, fill_value
    )
    return _restore_layout(out, channels_last, single)


def _homographies(start_points: Tensor, end_points: Tensor) -> Tensor:
    """The ``(n, 8)`` projective transforms taking each ``end_points`` quad to ``start_points``."""
    dtype = torch.promote_types(start_points.dtype, torch.float32)
    start, end = start_points.to(dtype), end_points.to(dtype)
    rows = []
    for i in range(4):
        x, y = end[:, i, 0], end[:, i, 1]
        u, v = start[:, i, 0], start[:, i, 1]
        zero, one = torch.zeros_like(x), torch.ones_like(x)
        rows.append(torch.stack([x, y, one, zero, zero, zero, -u * x, -u * y], dim=-1))
        rows.append(torch.stack([zero, zero, zero, x, y, one, -v * x, -v * y], dim=-1))
    targets = start.reshape(-1, 8, 1)
    return torch.linalg.solve(torch.stack(rows, dim=1), targets).squeeze(-1)


def perspective_transform(
    images: TensorLike,
    start_points: TensorLike,
    end_points: TensorLike,
    interpolation: str = "bilinear",
    fill_value: float = 0,
    data_format: str | None = None,
) -> Tensor:
    """Warp images so that the quad ``start_points`` lands on ``end_points``; mirrors
    ``keras.ops.image.perspective_transform``.

    Args:
        images: One image or a batch.
        start_points: ``(4, 2)`` or ``(batch, 4, 2)`` corners ``(x, y)`` in the input.
        end_points: Their places in the output, of the same shape.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_value: The value outside the input (default 0).
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
    """
    _check_choice(
        interpolation, list(_INTERPOLATION_ORDERS), "perspective_transform", "interpolation"
    )
    batch, channels_last, single = _channels_last_batch(
        images, data_format, "perspective_transform"
    )
    start, end = _operands(batch, start_points, end_points)[1:]
    for name, points in (("start_points", start), ("end_points", end)):
        if points.ndim not in (2, 3) or tuple(points.shape[-2:]) != (4, 2):
            raise ValueError(
                f"perspective_transform expected {name} of shape (4, 2) or (batch, 4, 2), "
                f"received: {name}.shape={tuple(points.shape)}"
            )
    if start.shape != end.shape:
        raise ValueError(
            "perspective_transform expected start_points and end_points of the same shape, "
            f"received: {tuple(start.shape)} and {tuple(end.shape)}"
        )
    transforms = _homographies(start.reshape(-1, 4, 2), end.reshape(-1, 4, 2))
    transforms = transforms.expand(batch.shape[0], 8).to(_floating(batch).dtype)
    out = _projective_sample(
        batch, transforms, _INTERPOLATION_ORDERS[interpolation], "constant", fill_value
    )
    return _restore_layout(out, channels_last, single)


def elastic_transform(
    images: TensorLike,
    alpha: float = 20.0,
    sigma: float = 5.0,
    interpolation: str = "bilinear",
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    seed: int | object | None = None,
    data_format: str | None = None,
) -> Tensor:
    """Displace pixels by smooth random fields (Simard et al.); mirrors
    ``keras.ops.image.elastic_transform``.

    Each pixel moves by ``alpha`` times Gaussian noise (scaled by ``sigma``) blurred with a
    ``sigma`` Gaussian; the same field moves every channel of an image.

    Args:
        images: One image or a batch.
        alpha: The displacement's scale (default 20.0).
        sigma: The smoothing's standard deviation (default 5.0).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: ``"reflect"`` (default), ``"constant"``, ``"nearest"``, ``"wrap"``,
            ``"mirror"``.
        fill_value: The value outside for ``"constant"`` (default 0.0).
        seed: An int or ``keras.random.SeedGenerator`` for repeatable fields.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
    """
    from torchseq import random  # the random module builds on ops

    _check_choice(interpolation, list(_INTERPOLATION_ORDERS), "elastic_transform", "interpolation")
    _check_choice(fill_mode, list(_INDEX_RULES), "elastic_transform", "fill_mode")
    batch, channels_last, single = _channels_last_batch(images, data_format, "elastic_transform")
    n, height, width, _ = batch.shape
    dtype = batch.dtype if batch.is_floating_point() else _floating(0.0).dtype
    noise = random.normal((2, n, height, width, 1), dtype=dtype, seed=seed).to(batch.device) * sigma
    size = int(6 * sigma) | 1
    field = gaussian_blur(
        noise.reshape(2 * n, height, width, 1), (size, size), (sigma, sigma), "channels_last"
    )
    shift_rows, shift_columns = (alpha * field.reshape(2, n, height, width)).unbind(0)
    rows, columns = _pixel_grid(height, width, dtype, batch.device)
    out = _sample_images(
        batch,
        rows + shift_rows,
        columns + shift_columns,
        _INTERPOLATION_ORDERS[interpolation],
        fill_mode,
        fill_value,
    )
    return _restore_layout(out, channels_last, single)


def _triangle(x: Tensor) -> Tensor:
    return (1 - x.abs()).clamp(min=0)


def _keys_cubic(x: Tensor) -> Tensor:
    x = x.abs()
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return torch.where(x >= 2.0, 0.0, torch.where(x >= 1.0, far, near))


def _lanczos(radius: float) -> Callable[[Tensor], Tensor]:
    def kernel(x: Tensor) -> Tensor:
        x = x.abs()
        value = radius * torch.sin(math.pi * x) * torch.sin(math.pi * x / radius)
        value = torch.where(x > 1e-3, value / torch.where(x != 0, math.pi**2 * x**2, 1.0), 1.0)
        return torch.where(x > radius, 0.0, value)

    return kernel


_KERNELS: dict[str, Callable[[Tensor], Tensor]] = {
    "linear": _triangle,
    "bilinear": _triangle,
    "trilinear": _triangle,
    "cubic": _keys_cubic,
    "bicubic": _keys_cubic,
    "tricubic": _keys_cubic,
    "lanczos3": _lanczos(3.0),
    "lanczos5": _lanczos(5.0),
}


def _resampling_matrix(
    input_size: int,
    output_size: int,
    scale: Tensor,
    translation: Tensor,
    kernel: Callable[[Tensor], Tensor],
    antialias: bool,
) -> Tensor:
    """``(input_size, output_size)`` weights: output pixel ``j`` samples the input around
    ``(j + 0.5 - translation) / scale - 0.5``."""
    dtype, device = scale.dtype, scale.device
    inverse = 1.0 / scale
    widening = inverse.clamp(min=1.0) if antialias else 1.0
    centres = (
        torch.arange(output_size, dtype=dtype, device=device) + 0.5 - translation
    ) * inverse - 0.5
    distance = (
        centres[None, :] - torch.arange(input_size, dtype=dtype, device=device)[:, None]
    ).abs()
    weights = kernel(distance / widening)
    totals = weights.sum(dim=0, keepdim=True)
    weights = torch.where(
        totals.abs() > 1000.0 * float(torch.finfo(torch.float32).eps),
        weights / torch.where(totals != 0, totals, 1.0),
        0.0,
    )
    inside = (centres >= -0.5) & (centres <= input_size - 0.5)
    return torch.where(inside[None, :], weights, 0.0)


def scale_and_translate(
    images: TensorLike,
    output_shape: Sequence[int],
    scale: TensorLike,
    translation: TensorLike,
    spatial_dims: Sequence[int],
    method: str,
    antialias: bool = True,
) -> Tensor:
    """Resample along ``spatial_dims`` with a scale and a translation, like
    ``jax.image.scale_and_translate``; mirrors ``keras.ops.image.scale_and_translate``.

    Args:
        images: Any tensor.
        output_shape: The full output shape (only ``spatial_dims`` may differ from the input).
        scale: One factor per entry of ``spatial_dims``.
        translation: One offset (in output pixels) per entry of ``spatial_dims``.
        spatial_dims: The axes to resample.
        method: ``"linear"``/``"bilinear"``/``"trilinear"``, ``"cubic"``/``"bicubic"``/
            ``"tricubic"``, ``"lanczos3"`` or ``"lanczos5"``.
        antialias: Widen the kernel when downsampling (default True).
    """
    _check_choice(method, list(_KERNELS), "scale_and_translate", "method")
    x = _to_tensor(images)
    scale, translation = _operands(x, scale, translation)[1:]
    common = torch.promote_types(torch.promote_types(scale.dtype, translation.dtype), torch.float32)
    scale, translation = scale.to(common).reshape(-1), translation.to(common).reshape(-1)
    rounding = not x.is_floating_point()
    out = x.to(torch.float32) if rounding else x
    for i, axis in enumerate(spatial_dims):
        axis = axis % x.ndim
        weights = _resampling_matrix(
            x.shape[axis],
            int(output_shape[axis]),
            scale[i],
            translation[i],
            _KERNELS[method],
            antialias,
        ).to(out.dtype)
        out = torch.tensordot(out, weights, dims=([axis], [0])).movedim(-1, axis)
    if rounding:
        out = out.round().clamp(x.min(), x.max()).to(x.dtype)
    return out
