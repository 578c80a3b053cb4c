"""Global settings: float type, fuzz factor, image data format.

Mirrors ``keras.config``. The values are read by layers when they are
created, so change them before building a model.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = [
    "enable_unsafe_deserialization",
    "epsilon",
    "floatx",
    "image_data_format",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "standardize_dtype",
]

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_FLOAT_TYPES = ("float16", "bfloat16", "float32", "float64")
_DATA_FORMATS = ("channels_last", "channels_first")
_UNSAFE_DESERIALIZATION = False


def enable_unsafe_deserialization() -> None:
    """Let loading rebuild Python code stored in files (a ``Lambda``'s function), from now
    on, as ``safe_mode=False`` does for one call. Only for files you trust."""
    global _UNSAFE_DESERIALIZATION
    _UNSAFE_DESERIALIZATION = True


def unsafe_deserialization_enabled() -> bool:
    """Whether :func:`enable_unsafe_deserialization` was called."""
    return _UNSAFE_DESERIALIZATION


def floatx() -> str:
    """Return the default float type as a string, e.g. ``"float32"``."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type: one of float16, bfloat16, float32, float64."""
    global _FLOATX
    if value not in _FLOAT_TYPES:
        raise ValueError(f"floatx must be one of {list(_FLOAT_TYPES)}, received: {value!r}")
    _FLOATX = value


def epsilon() -> float:
    """Return the fuzz factor used in numeric expressions (default ``1e-7``)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Set the fuzz factor used in numeric expressions."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """Return the default image layout: ``"channels_last"`` or ``"channels_first"``."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Set the default image layout used by layers created afterwards."""
    global _IMAGE_DATA_FORMAT
    _IMAGE_DATA_FORMAT = standardize_data_format(data_format)


def standardize_data_format(data_format: str | None) -> str:
    """Resolve ``None`` to the global default and validate the value."""
    if data_format is None:
        return _IMAGE_DATA_FORMAT
    value = str(data_format).lower()
    if value not in _DATA_FORMATS:
        raise ValueError(
            f"data_format must be one of {list(_DATA_FORMATS)}, received: {data_format!r}"
        )
    return value


def standardize_dtype(dtype: str | torch.dtype | None) -> torch.dtype:
    """Turn a Keras dtype name, a numpy dtype or a torch dtype into a ``torch.dtype``."""
    if dtype is None:
        return getattr(torch, _FLOATX)
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype is float:
        return getattr(torch, _FLOATX)
    try:  # numpy dtypes and scalar types (np.float64), Python int/bool
        name = np.dtype(dtype).name
    except TypeError:
        name = getattr(dtype, "name", None) or str(dtype)
    name = name.removeprefix("torch.")
    resolved = getattr(torch, name, None)
    if not isinstance(resolved, torch.dtype):
        raise ValueError(  # noqa: TRY004 - an unknown name is a bad value
            f"Unknown dtype, expected a torch or Keras dtype name, received: {dtype!r}"
        )
    return resolved


def dtype_name(dtype: torch.dtype) -> str:
    """The Keras spelling of a torch dtype: ``torch.float32`` -> ``"float32"``."""
    return str(dtype).removeprefix("torch.")
