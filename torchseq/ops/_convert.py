"""Conversion to tensors (and its rules), dtype and shape queries: ``keras.ops`` core."""

from __future__ import annotations

import builtins
import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchseq.config import dtype_name, standardize_dtype
from torchseq.utils.integers import is_int

__all__ = [
    "Axis",
    "DTypeLike",
    "ShapeLike",
    "Tensor",
    "TensorLike",
    "cast",
    "convert_to_numpy",
    "convert_to_tensor",
    "dtype",
    "is_tensor",
    "ndim",
    "saturate_cast",
    "shape",
    "size",
    "stop_gradient",
]


Tensor = torch.Tensor
TensorLike = torch.Tensor | np.ndarray | float | int | bool | Sequence[Any]
DTypeLike = str | torch.dtype | np.dtype | None
Axis = int | Sequence[int] | None
ShapeLike = int | Sequence[int]

_WIDENED_UINTS = (np.uint16, np.uint32)


def _floatx() -> torch.dtype:
    return _torch_dtype(None)


def _python_scalar_dtype(x: complex) -> torch.dtype:
    if isinstance(x, bool):
        return torch.bool
    if isinstance(x, int):
        return torch.int64
    if isinstance(x, float):
        return _floatx()
    return torch.complex64


def _torch_dtype(dtype: DTypeLike | type) -> torch.dtype:
    """``config.standardize_dtype``, also taking scalar types: ``np.float32``, ``float``."""
    if isinstance(dtype, type) and issubclass(dtype, np.generic):
        dtype = np.dtype(dtype)
    elif isinstance(dtype, type) and issubclass(dtype, (bool, int, float, complex)):
        return _python_scalar_dtype(dtype())
    return standardize_dtype(dtype)


def _from_numpy(array: np.ndarray) -> Tensor:
    # torch.from_numpy warns on read-only arrays and rejects negative strides.
    if not array.flags.writeable or builtins.any(s < 0 for s in array.strides):
        array = array.copy()
    if array.dtype in _WIDENED_UINTS:
        array = array.astype(np.int64)
    tensor = torch.from_numpy(array)
    return tensor.to(_floatx()) if array.dtype == np.float64 else tensor


def _to_tensor(x: Any, dtype: DTypeLike = None, device: torch.device | None = None) -> Tensor:
    target = None if dtype is None else _torch_dtype(dtype)
    if isinstance(x, (bool, int, float, complex)):
        return torch.tensor(x, dtype=target or _python_scalar_dtype(x), device=device)
    if isinstance(x, torch.Tensor):
        tensor = x
    elif isinstance(x, (list, tuple)) and builtins.any(isinstance(i, torch.Tensor) for i in x):
        tensor = torch.stack([_to_tensor(i, device=device) for i in x])
    else:
        try:
            tensor = _from_numpy(np.asarray(x))
        except TypeError as e:
            raise TypeError(
                "Expected a tensor, numpy array, number or nested list of numbers, "
                f"received: {type(x).__name__}"
            ) from e
    return tensor.to(device=device, dtype=target)


def _operands(*xs: Any) -> list[Tensor]:
    """Convert several operands, placing array-likes on the first tensor's device."""
    device = next((x.device for x in xs if isinstance(x, torch.Tensor)), None)
    return [_to_tensor(x, device=device) for x in xs]


def _promoted(*xs: Any) -> list[Tensor]:
    """Operands cast to one common dtype, for torch ops that refuse mixed dtypes."""
    tensors = _operands(*xs)
    if len(tensors) == 2:  # torch's rule for 0-d operands: 2.0 does not upcast float16
        common = _result_dtype(*tensors)
    else:
        common = functools.reduce(torch.promote_types, (t.dtype for t in tensors))
    return [t.to(common) for t in tensors]


def _result_dtype(a: Tensor, b: Tensor) -> torch.dtype:
    """``torch.result_type(a, b)``, which torch.compile cannot trace (it returns a dtype, not
    a tensor: a graph break): a 0-d tensor's dtype counts only when its kind (bool, integer,
    floating, complex) is higher than that of the tensor with dimensions."""
    if a.dtype == b.dtype:
        return a.dtype
    if (a.ndim == 0) == (b.ndim == 0):
        return torch.promote_types(a.dtype, b.dtype)
    dimensioned, scalar = (b, a) if a.ndim == 0 else (a, b)
    if _kind(scalar.dtype) <= _kind(dimensioned.dtype):
        return dimensioned.dtype
    if scalar.dtype.is_complex and dimensioned.dtype.is_floating_point:
        return dimensioned.dtype.to_complex()  # the floats' precision, not the scalar's
    return torch.promote_types(dimensioned.dtype, scalar.dtype)


def _kind(dtype: torch.dtype) -> int:
    """bool < integers < floating point < complex, the order of torch's type promotion."""
    if dtype.is_complex:
        return 3
    if dtype.is_floating_point:
        return 2
    return 0 if dtype == torch.bool else 1


def _floating(x: TensorLike) -> Tensor:
    """The tensor, cast to ``floatx`` unless it already holds floats or complex numbers."""
    tensor = _to_tensor(x)
    return tensor if tensor.is_floating_point() or tensor.is_complex() else tensor.to(_floatx())


def _axes(axis: Axis) -> int | tuple[int, ...] | None:
    """``axis`` as torch's ``dim``: ``None``, a Python int or a tuple of Python ints."""
    if axis is None or isinstance(axis, int):
        return axis
    return int(axis) if is_int(axis) else tuple(_ints(axis))


def _sections(indices_or_sections: int | Sequence[int]) -> int | list[int]:
    """A split's count of equal parts as a Python int, or its split points as a list."""
    if is_int(indices_or_sections):
        return int(indices_or_sections)
    return _ints(indices_or_sections)


def _ints(values: Sequence[Any]) -> list[Any]:
    """The integers of ``values`` (numpy ones too) as Python ints; other items unchanged."""
    return [int(v) if is_int(v) else v for v in values]


def _shape(shape: ShapeLike) -> tuple[int, ...]:
    return (int(shape),) if is_int(shape) else tuple(int(d) for d in shape)


def _flat_or_along(x: TensorLike, axis: int | None) -> tuple[Tensor, int]:
    """``(x, axis)``, or ``(x flattened, 0)`` where numpy treats ``axis=None`` as flat."""
    tensor = _to_tensor(x)
    return (tensor.reshape(-1), 0) if axis is None else (tensor, axis)


def _wrapped_indices(indices: TensorLike, length: int, device: torch.device) -> Tensor:
    index = _to_tensor(indices, dtype=torch.int64, device=device)
    return torch.where(index < 0, index + length, index)


def convert_to_tensor(x: TensorLike, dtype: DTypeLike = None) -> Tensor | np.ndarray:
    """Turn ``x`` into a torch tensor; tensors are returned as is unless ``dtype`` differs.

    Torch has no string tensors: strings (a ``str``, a numpy string array or nested lists
    of strings) come back as a numpy string array, the form the string layers
    (``TextVectorization``, ``StringLookup``, ``Hashing``) and models with
    ``Input(dtype="string")`` take. Keras returns a string tensor there, on TensorFlow only.

    Args:
        x: A tensor, numpy array, Python scalar or (nested) list.
        dtype: Target dtype. Defaults to ``None``: keep the input's dtype, except that
            float64 numpy arrays and Python floats become ``floatx()``.

    Raises:
        TypeError: ``x`` holds strings and ``dtype`` is neither ``None`` nor ``"string"``.
    """
    strings = _as_strings(x)
    if strings is None:
        return _to_tensor(x, dtype)
    if dtype not in (None, "string"):
        raise TypeError(
            f'convert_to_tensor: strings convert only to dtype=None or "string", received: '
            f"dtype={dtype!r} for strings of shape {strings.shape}"
        )
    return strings


def _as_strings(x: Any) -> np.ndarray | None:
    """``x`` as a numpy array when it holds strings (judged by its first element), else
    ``None``; numeric data is left alone, unconverted."""
    first = x
    while isinstance(first, (list, tuple)) and first:
        first = first[0]
    if isinstance(first, (str, bytes)) or (
        isinstance(first, np.ndarray) and first.dtype.kind in "US"
    ):
        return np.asarray(x)
    return None


def convert_to_numpy(x: TensorLike) -> np.ndarray:
    """Copy ``x`` to a numpy array on the host (bfloat16 becomes float32).

    The result never shares memory with a tensor, so writing to it is safe.
    """
    if not isinstance(x, torch.Tensor):
        return np.asarray(x)
    x = x.detach()
    x = x.float() if x.dtype == torch.bfloat16 else x
    return x.to("cpu", copy=True).numpy()


def cast(x: TensorLike, dtype: DTypeLike) -> Tensor:
    """Cast ``x`` to ``dtype`` (a Keras name such as ``"float32"`` or a torch dtype)."""
    return _to_tensor(x).to(_torch_dtype(dtype))


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a torch tensor."""
    return isinstance(x, torch.Tensor)


def shape(x: TensorLike) -> tuple[int, ...]:
    """The shape of ``x`` as a tuple of ints."""
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def ndim(x: TensorLike) -> int:
    """The number of dimensions of ``x``."""
    return len(shape(x))


def size(x: TensorLike) -> int:
    """The number of elements of ``x``."""
    return int(np.prod(shape(x), dtype=np.int64))


def dtype(x: TensorLike) -> str:
    """The Keras name of the dtype ``x`` has as a tensor, e.g. ``"float32"``."""
    if isinstance(getattr(x, "dtype", None), str):  # a symbolic tensor knows its dtype name
        return x.dtype
    return dtype_name(_to_tensor(x).dtype)


def stop_gradient(variable: TensorLike) -> Tensor:
    """``variable`` detached from the autograd graph."""
    return _to_tensor(variable).detach()


def _dtype_range(dtype: torch.dtype) -> tuple[float, float]:
    if dtype == torch.bool:
        return 0, 1
    info = torch.finfo(dtype) if dtype.is_floating_point else torch.iinfo(dtype)
    return info.min, info.max


def _representable_limit(limit: float, dtype: torch.dtype, bound: float) -> Tensor:
    """``limit`` in ``dtype``, moved towards 0 if rounding carried it past ``bound``."""
    value = torch.tensor(limit, dtype=dtype)
    overshoots = float(value) > bound if limit > 0 else float(value) < bound
    if overshoots:
        value = torch.nextafter(value, torch.zeros_like(value))
    return value


def saturate_cast(x: TensorLike, dtype: DTypeLike) -> Tensor:
    """Cast ``x`` to ``dtype``, clamping values to the range ``dtype`` can hold first
    (``cast`` would wrap around or be undefined: ``cast(300.0, "uint8")``)."""
    x = _to_tensor(x)
    target = _torch_dtype(dtype)
    if x.dtype == torch.bool or x.is_complex():
        return x.to(target)
    (in_low, in_high), (out_low, out_high) = _dtype_range(x.dtype), _dtype_range(target)
    low = _representable_limit(builtins.max(in_low, out_low), x.dtype, out_low)
    high = _representable_limit(builtins.min(in_high, out_high), x.dtype, out_high)
    return torch.clamp(x, low.to(x.device), high.to(x.device)).to(target)
