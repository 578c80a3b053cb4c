"""``keras.ops.image``: image ops, reached as ``ops.image.resize(...)`` (not at ``ops``' top
level, as in Keras).

Each function is symbolic-aware like the ops of :mod:`torchseq.ops`: given a symbolic tensor
it adds a graph node named after Keras's class in ``keras.src.ops.image``.

Example:

>>> from torchseq.ops import image, ones
>>> image.resize(ones((4, 4, 3)), (2, 2)).shape
torch.Size([2, 2, 3])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from torchseq.ops import _dispatch, _image, _image_filters, _image_geometry
from torchseq.ops._convert import Tensor, TensorLike
from torchseq.utils.integers import is_int

__all__ = [
    "affine_transform",
    "crop_images",
    "elastic_transform",
    "extract_patches",
    "extract_patches_3d",
    "gaussian_blur",
    "hsv_to_rgb",
    "map_coordinates",
    "pad_images",
    "perspective_transform",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
    "scale_and_translate",
    "sobel_edges",
    "ssim",
]


def _symbolic_aware(fn: Callable[..., Any]) -> Callable[..., Any]:
    return _dispatch.symbolic_aware(_dispatch.OpSpec(fn, fn.__name__))


affine_transform = _symbolic_aware(_image_geometry.affine_transform)
crop_images = _symbolic_aware(_image.crop_images)
elastic_transform = _symbolic_aware(_image_geometry.elastic_transform)
extract_patches = _symbolic_aware(_image.extract_patches)
gaussian_blur = _symbolic_aware(_image_filters.gaussian_blur)
hsv_to_rgb = _symbolic_aware(_image.hsv_to_rgb)
map_coordinates = _symbolic_aware(_image_geometry.map_coordinates)
pad_images = _symbolic_aware(_image.pad_images)
perspective_transform = _symbolic_aware(_image_geometry.perspective_transform)
resize = _symbolic_aware(_image.resize)
rgb_to_grayscale = _symbolic_aware(_image.rgb_to_grayscale)
rgb_to_hsv = _symbolic_aware(_image.rgb_to_hsv)
scale_and_translate = _symbolic_aware(_image_geometry.scale_and_translate)
sobel_edges = _symbolic_aware(_image_filters.sobel_edges)
ssim = _symbolic_aware(_image_filters.ssim)


def extract_patches_3d(
    volumes: TensorLike,
    size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """Patches of volumes ``(batch, d, h, w, c)`` flattened into channels; mirrors
    ``keras.ops.image.extract_patches_3d``.

    It runs :func:`extract_patches` with a 3-tuple ``size``, so a graph records it as an
    ``ExtractPatches`` node, as Keras does.
    """
    if is_int(size):
        size = (size, size, size)
    elif not isinstance(size, (tuple, list)) or len(size) != 3:
        raise ValueError(
            f"extract_patches_3d expected size to be an int or a tuple of 3 ints, received: size={size!r}"
        )
    return extract_patches(volumes, tuple(size), strides, dilation_rate, padding, data_format)
