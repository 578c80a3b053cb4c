"""Images between files, Pillow images and arrays: ``load_img``, ``save_img``, ``img_to_array``,
``array_to_img`` and ``smart_resize``, as in ``keras.utils`` / ``keras.preprocessing.image``.

Reading and writing files needs Pillow (``pip install pillow``); it is imported on first use.

Example:
    >>> import numpy as np
    >>> image = array_to_img(np.zeros((4, 6, 3)))
    >>> image.size, img_to_array(image).shape
    ((6, 4), (4, 6, 3))
"""

from __future__ import annotations

import io
import os
import pathlib
import warnings
from typing import Any

import numpy as np
import torch

from torchseq import config

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]

_COLOR_MODES = {"grayscale": ("L", "I;16", "I"), "rgb": ("RGB",), "rgba": ("RGBA",)}
_PIL_FILTERS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pil_image() -> Any:
    """The ``PIL.Image`` module, or an ``ImportError`` that says what to install."""
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError(
            "Loading and saving images needs Pillow, which is not installed; "
            "install it with `pip install pillow`"
        ) from error
    return Image


def array_to_img(
    x: Any, data_format: str | None = None, scale: bool = True, dtype: str | None = None
) -> Any:
    """A Pillow image from a 3-D array; mirrors ``keras.utils.array_to_img``.

    Args:
        x: An array-like of rank 3 (one image), with 1, 3 or 4 channels.
        data_format: ``"channels_last"`` or ``"channels_first"``. Defaults to ``None``:
            ``config.image_data_format()``.
        scale: Whether to stretch the values to ``[0, 255]`` first. Defaults to ``True``.
        dtype: The float dtype of the computation. Defaults to ``None``: ``config.floatx()``.

    Returns:
        A ``PIL.Image.Image``: mode ``"L"`` (or ``"I"`` above 255) for one channel,
        ``"RGB"`` for three and ``"RGBA"`` for four.
    """
    Image = pil_image()
    data_format = config.standardize_data_format(data_format)
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.array(x, dtype=dtype or config.floatx())
    if x.ndim != 3:
        raise ValueError(
            f"array_to_img expected an image array of rank 3, received shape {x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - x.min()
        peak = x.max()
        if peak != 0:
            x = x / peak
        x = x * 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if x.max() > 255:
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(
        f"array_to_img expected 1, 3 or 4 channels, received {channels} (shape {x.shape})"
    )


def img_to_array(img: Any, data_format: str | None = None, dtype: str | None = None) -> np.ndarray:
    """A 3-D numpy array from a Pillow image; mirrors ``keras.utils.img_to_array``.

    Args:
        img: A Pillow image (or anything ``numpy.asarray`` takes) of rank 2 or 3.
        data_format: ``"channels_last"`` or ``"channels_first"``. Defaults to ``None``:
            ``config.image_data_format()``.
        dtype: The array's dtype. Defaults to ``None``: ``config.floatx()``.

    Returns:
        ``(height, width, channels)`` or ``(channels, height, width)``.
    """
    data_format = config.standardize_data_format(data_format)
    x = np.asarray(img, dtype=dtype or config.floatx())
    if x.ndim == 2:
        x = x[:, :, None]
    elif x.ndim != 3:
        raise ValueError(f"img_to_array expected an image of rank 2 or 3, received shape {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(2, 0, 1)
    return x


def save_img(
    path: str | os.PathLike | io.IOBase,
    x: Any,
    data_format: str | None = None,
    file_format: str | None = None,
    scale: bool = True,
    **kwargs: Any,
) -> None:
    """Write an image array to a file; mirrors ``keras.utils.save_img``.

    Args:
        path: A path or a writable binary file object.
        x: The image, a rank-3 array.
        data_format: ``"channels_last"`` or ``"channels_first"``. Defaults to ``None``:
            ``config.image_data_format()``.
        file_format: Such as ``"png"`` or ``"jpeg"``. Defaults to ``None``: from the
            path's extension (needed for a file object).
        scale: Whether to stretch the values to ``[0, 255]``. Defaults to ``True``.
        **kwargs: Passed to ``PIL.Image.Image.save``.
    """
    if file_format is None and isinstance(path, (str, os.PathLike)):
        file_format = pathlib.Path(path).suffix[1:].lower() or None
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn(
            "JPEG cannot store an alpha channel; saving the RGBA image as RGB", stacklevel=2
        )
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(
    path: str | os.PathLike | bytes | io.BytesIO,
    color_mode: str = "rgb",
    target_size: tuple[int, int] | None = None,
    interpolation: str = "nearest",
    keep_aspect_ratio: bool = False,
) -> Any:
    """Read an image file into a Pillow image; mirrors ``keras.utils.load_img``.

    Args:
        path: A path, or an ``io.BytesIO`` holding the file.
        color_mode: ``"rgb"`` (default), ``"rgba"`` or ``"grayscale"``.
        target_size: ``(height, width)`` to resize to. Defaults to ``None`` (keep the size).
        interpolation: Pillow's filter for the resize: ``"nearest"`` (default),
            ``"bilinear"``, ``"bicubic"``, ``"hamming"``, ``"box"`` or ``"lanczos"``.
        keep_aspect_ratio: Whether to crop the centre to the target aspect ratio before
            resizing, instead of stretching. Defaults to ``False``.

    Returns:
        A ``PIL.Image.Image``.

    Example:
        >>> x = img_to_array(load_img(path))[None]  # doctest: +SKIP
    """
    Image = pil_image()
    if color_mode not in _COLOR_MODES:
        raise ValueError(
            f"load_img expected color_mode to be one of {list(_COLOR_MODES)}, "
            f"received: color_mode={color_mode!r}"
        )
    img = Image.open(_readable(path))
    if img.mode not in _COLOR_MODES[color_mode]:
        img = img.convert(_COLOR_MODES[color_mode][0])
    if target_size is None:
        return img
    width_height = (int(target_size[1]), int(target_size[0]))
    if img.size == width_height:
        return img
    if interpolation not in _PIL_FILTERS:
        raise ValueError(
            f"load_img expected interpolation to be one of {list(_PIL_FILTERS)}, "
            f"received: interpolation={interpolation!r}"
        )
    resample = getattr(Image.Resampling, interpolation.upper())
    box = _centre_crop_box(img.size, width_height) if keep_aspect_ratio else None
    return img.resize(width_height, resample, box=box)


def _readable(path: Any) -> io.BytesIO:
    if isinstance(path, io.BytesIO):
        return path
    if isinstance(path, (str, bytes, os.PathLike)):
        # Read the whole file first so that no file handle stays open behind the lazy image.
        with open(path, "rb") as file:
            return io.BytesIO(file.read())
    raise TypeError(
        f"load_img expected a path or an io.BytesIO, received: path of type {type(path).__name__}"
    )


def _centre_crop_box(size: tuple[int, int], target: tuple[int, int]) -> tuple[int, int, int, int]:
    """The largest centred ``(left, top, right, bottom)`` box with the target's aspect ratio."""
    width, height = size
    target_width, target_height = target
    crop_height = min(height, width * target_height // target_width)
    crop_width = min(width, height * target_width // target_height)
    top = (height - crop_height) // 2
    left = (width - crop_width) // 2
    return left, top, left + crop_width, top + crop_height


def smart_resize(
    x: Any,
    size: tuple[int, int],
    interpolation: str = "bilinear",
    data_format: str = "channels_last",
) -> Any:
    """Resize images without distorting them; mirrors ``keras.preprocessing.image.smart_resize``.

    Takes the largest centred crop with the aspect ratio of ``size``, then resizes it to
    ``size``.

    Args:
        x: One image ``(height, width, channels)`` or a batch (rank 4), numpy or torch.
        size: ``(height, width)`` of the result.
        interpolation: ``"bilinear"`` (default), ``"nearest"`` or ``"bicubic"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        The resized images: a numpy array for numpy input, otherwise a tensor.
    """
    from torchseq.ops import image as image_ops

    if len(size) != 2:
        raise ValueError(f"smart_resize expected size=(height, width), received: size={size!r}")
    images = torch.as_tensor(x) if isinstance(x, np.ndarray) else x
    if not 3 <= images.ndim <= 4:
        raise ValueError(
            "smart_resize expected an image (height, width, channels) or a batch of rank 4, "
            f"received shape {tuple(images.shape)}"
        )
    resized = image_ops.resize(
        images,
        size,
        interpolation=interpolation,
        crop_to_aspect_ratio=True,
        data_format=data_format,
    )
    return resized.numpy() if isinstance(x, np.ndarray) else resized
