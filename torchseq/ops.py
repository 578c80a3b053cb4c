"""Tensor operations with ``keras.ops`` names and arguments, thin over torch.

Every function takes torch tensors or array-likes (numpy arrays, Python
scalars, nested lists) and returns torch tensors, so code written against
``keras.ops`` runs unchanged and its results plug straight into torch.

Conversion rules (see :func:`convert_to_tensor`): torch tensors are kept as
they are; float64 numpy arrays and Python floats become ``floatx()`` (Keras
casts float64 data to ``floatx`` at the layer boundary, and torch refuses to
mix float64 inputs with float32 weights); Python ints become int64 (torch's
index dtype, where Keras uses int32); indices returned by ``argmax`` and
friends are int64 for the same reason.

Example:

>>> from torchseq import ops
>>> ops.mean(ops.square([1.0, 2.0, 3.0]))
tensor(4.6667)
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from torchseq.config import dtype_name, epsilon, standardize_dtype

__all__ = [
    "abs",
    "absolute",
    "add",
    "all",
    "amax",
    "amin",
    "any",
    "arange",
    "argmax",
    "argmin",
    "argsort",
    "binary_crossentropy",
    "broadcast_to",
    "cast",
    "categorical_crossentropy",
    "ceil",
    "clip",
    "concatenate",
    "convert_to_numpy",
    "convert_to_tensor",
    "cos",
    "count_nonzero",
    "cumprod",
    "cumsum",
    "divide",
    "dot",
    "dtype",
    "einsum",
    "elu",
    "equal",
    "exp",
    "expand_dims",
    "expm1",
    "eye",
    "flip",
    "floor",
    "floor_divide",
    "full",
    "full_like",
    "gelu",
    "greater",
    "greater_equal",
    "hard_sigmoid",
    "identity",
    "is_tensor",
    "isfinite",
    "isinf",
    "isnan",
    "leaky_relu",
    "less",
    "less_equal",
    "linspace",
    "log",
    "log1p",
    "log_sigmoid",
    "log_softmax",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mod",
    "moments",
    "moveaxis",
    "multiply",
    "ndim",
    "negative",
    "norm",
    "normalize",
    "not_equal",
    "one_hot",
    "ones",
    "ones_like",
    "outer",
    "power",
    "prod",
    "relu",
    "relu6",
    "repeat",
    "reshape",
    "round",
    "rsqrt",
    "selu",
    "shape",
    "sigmoid",
    "sign",
    "silu",
    "sin",
    "size",
    "softmax",
    "softplus",
    "softsign",
    "sort",
    "sparse_categorical_crossentropy",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "stop_gradient",
    "subtract",
    "sum",
    "swapaxes",
    "swish",
    "take",
    "take_along_axis",
    "tan",
    "tanh",
    "tensordot",
    "tile",
    "top_k",
    "transpose",
    "tril",
    "triu",
    "true_divide",
    "unstack",
    "var",
    "where",
    "zeros",
    "zeros_like",
]

Tensor = torch.Tensor
TensorLike = torch.Tensor | np.ndarray | float | int | bool | Sequence[Any]
DTypeLike = str | torch.dtype | np.dtype | None
Axis = int | Sequence[int] | None
ShapeLike = int | Sequence[int]

_WIDENED_UINTS = (np.uint16, np.uint32)


# ---------------------------------------------------------------- conversion


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
    if len(tensors) == 2:  # result_type keeps torch's scalar rule: 2.0 does not upcast float16
        common = torch.result_type(*tensors)
    else:
        common = functools.reduce(torch.promote_types, (t.dtype for t in tensors))
    return [t.to(common) for t in tensors]


def _floating(x: TensorLike) -> Tensor:
    """The tensor, cast to ``floatx`` unless it already holds floats or complex numbers."""
    tensor = _to_tensor(x)
    return tensor if tensor.is_floating_point() or tensor.is_complex() else tensor.to(_floatx())


def _axes(axis: Axis) -> int | tuple[int, ...] | None:
    return axis if axis is None or isinstance(axis, int) else tuple(axis)


def _shape(shape: ShapeLike) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)


def _flat_or_along(x: TensorLike, axis: int | None) -> tuple[Tensor, int]:
    """``(x, axis)``, or ``(x flattened, 0)`` where numpy treats ``axis=None`` as flat."""
    tensor = _to_tensor(x)
    return (tensor.reshape(-1), 0) if axis is None else (tensor, axis)


def _wrapped_indices(indices: TensorLike, length: int, device: torch.device) -> Tensor:
    index = _to_tensor(indices, dtype=torch.int64, device=device)
    return torch.where(index < 0, index + length, index)


def convert_to_tensor(x: TensorLike, dtype: DTypeLike = None) -> Tensor:
    """Turn ``x`` into a torch tensor; tensors are returned as is unless ``dtype`` differs.

    Args:
        x: A tensor, numpy array, Python scalar or (nested) list.
        dtype: Target dtype. Defaults to ``None``: keep the input's dtype, except that
            float64 numpy arrays and Python floats become ``floatx()``.
    """
    return _to_tensor(x, dtype)


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
    return dtype_name(_to_tensor(x).dtype)


# ------------------------------------------------------------------ creation


def ones(shape: ShapeLike, dtype: DTypeLike = None) -> Tensor:
    """A tensor of ones; ``dtype`` defaults to ``floatx()``."""
    return torch.ones(_shape(shape), dtype=_torch_dtype(dtype))


def zeros(shape: ShapeLike, dtype: DTypeLike = None) -> Tensor:
    """A tensor of zeros; ``dtype`` defaults to ``floatx()``."""
    return torch.zeros(_shape(shape), dtype=_torch_dtype(dtype))


def full(shape: ShapeLike, fill_value: float, dtype: DTypeLike = None) -> Tensor:
    """A tensor filled with ``fill_value``; ``dtype`` defaults to ``floatx()``."""
    return torch.full(_shape(shape), fill_value, dtype=_torch_dtype(dtype))


def _like_dtype(x: Tensor, dtype: DTypeLike) -> torch.dtype:
    return x.dtype if dtype is None else _torch_dtype(dtype)


def ones_like(x: TensorLike, dtype: DTypeLike = None) -> Tensor:
    """Ones with the shape (and, by default, the dtype) of ``x``."""
    x = _to_tensor(x)
    return torch.ones_like(x, dtype=_like_dtype(x, dtype))


def zeros_like(x: TensorLike, dtype: DTypeLike = None) -> Tensor:
    """Zeros with the shape (and, by default, the dtype) of ``x``."""
    x = _to_tensor(x)
    return torch.zeros_like(x, dtype=_like_dtype(x, dtype))


def full_like(x: TensorLike, fill_value: float, dtype: DTypeLike = None) -> Tensor:
    """``fill_value`` with the shape (and, by default, the dtype) of ``x``."""
    x = _to_tensor(x)
    return torch.full_like(x, fill_value, dtype=_like_dtype(x, dtype))


def eye(N: int, M: int | None = None, k: int = 0, dtype: DTypeLike = None) -> Tensor:
    """An ``N x M`` matrix with ones on the ``k``-th diagonal (``k > 0``: above)."""
    rows = torch.arange(N)[:, None]
    cols = torch.arange(N if M is None else M)[None, :]
    return (cols - rows == k).to(_torch_dtype(dtype))


def identity(n: int, dtype: DTypeLike = None) -> Tensor:
    """The ``n x n`` identity matrix."""
    return eye(n, dtype=dtype)


def arange(
    start: float, stop: float | None = None, step: float | None = None, dtype: DTypeLike = None
) -> Tensor:
    """Evenly spaced values in ``[start, stop)``; ``arange(n)`` counts from 0.

    ``dtype`` defaults to ``floatx()`` when any bound is a float, else int64.
    """
    start, stop = (0, start) if stop is None else (start, stop)
    step = 1 if step is None else step
    if dtype is None:
        floats = builtins.any(isinstance(v, float) for v in (start, stop, step))
        dtype = _floatx() if floats else torch.int64
    return torch.arange(start, stop, step, dtype=_torch_dtype(dtype))


def linspace(
    start: TensorLike,
    stop: TensorLike,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: DTypeLike = None,
    axis: int = 0,
) -> Tensor | tuple[Tensor, Tensor]:
    """``num`` evenly spaced values from ``start`` to ``stop`` (inclusive if ``endpoint``).

    Array-valued ``start``/``stop`` give one sequence per element, laid along ``axis``.
    """
    start_t, stop_t = (t.to(torch.float64) for t in _operands(start, stop))
    divisions = num - 1 if endpoint else num
    step = (stop_t - start_t) / builtins.max(divisions, 1)
    counts = torch.arange(num, dtype=torch.float64, device=start_t.device)
    values = start_t + counts.reshape((-1,) + (1,) * step.ndim) * step
    if endpoint and num > 1:
        values[-1] = stop_t
    values = torch.movedim(values, 0, axis).to(_torch_dtype(dtype))
    return (values, step.to(values.dtype)) if retstep else values


# ----------------------------------------------------- element-wise arithmetic


def add(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 + x2`` with broadcasting."""
    return torch.add(*_operands(x1, x2))


def subtract(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 - x2`` with broadcasting."""
    return torch.subtract(*_operands(x1, x2))


def multiply(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 * x2`` with broadcasting."""
    return torch.multiply(*_operands(x1, x2))


def divide(x1: TensorLike, x2: TensorLike) -> Tensor:
    """True division ``x1 / x2``; integers give floats."""
    return torch.true_divide(*_operands(x1, x2))


true_divide = divide


def floor_divide(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 // x2``, rounding towards minus infinity like numpy."""
    return torch.floor_divide(*_operands(x1, x2))


def mod(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 % x2`` with the sign of ``x2`` like numpy."""
    return torch.remainder(*_operands(x1, x2))


def power(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 ** x2`` element-wise."""
    return torch.pow(*_operands(x1, x2))


def negative(x: TensorLike) -> Tensor:
    """``-x``."""
    return torch.negative(_to_tensor(x))


def abs(x: TensorLike) -> Tensor:
    """Element-wise absolute value."""
    return torch.abs(_to_tensor(x))


absolute = abs


def sign(x: TensorLike) -> Tensor:
    """-1, 0 or 1 by the sign of each element."""
    return torch.sign(_to_tensor(x))


def sqrt(x: TensorLike) -> Tensor:
    """Element-wise square root."""
    return torch.sqrt(_floating(x))


def rsqrt(x: TensorLike) -> Tensor:
    """Element-wise ``1 / sqrt(x)``."""
    return torch.rsqrt(_floating(x))


def square(x: TensorLike) -> Tensor:
    """Element-wise ``x * x``."""
    return torch.square(_to_tensor(x))


def exp(x: TensorLike) -> Tensor:
    """Element-wise exponential."""
    return torch.exp(_floating(x))


def log(x: TensorLike) -> Tensor:
    """Element-wise natural logarithm."""
    return torch.log(_floating(x))


def log1p(x: TensorLike) -> Tensor:
    """Element-wise ``log(1 + x)``, accurate for small ``x``."""
    return torch.log1p(_floating(x))


def expm1(x: TensorLike) -> Tensor:
    """Element-wise ``exp(x) - 1``, accurate for small ``x``."""
    return torch.expm1(_floating(x))


def sin(x: TensorLike) -> Tensor:
    """Element-wise sine."""
    return torch.sin(_floating(x))


def cos(x: TensorLike) -> Tensor:
    """Element-wise cosine."""
    return torch.cos(_floating(x))


def tan(x: TensorLike) -> Tensor:
    """Element-wise tangent."""
    return torch.tan(_floating(x))


def tanh(x: TensorLike) -> Tensor:
    """Element-wise hyperbolic tangent."""
    return torch.tanh(_floating(x))


def _is_number(value: Any) -> bool:
    return value is None or isinstance(value, (int, float))


def clip(x: TensorLike, x_min: TensorLike, x_max: TensorLike) -> Tensor:
    """Limit the values of ``x`` to ``[x_min, x_max]``."""
    x = _to_tensor(x)
    if _is_number(x_min) and _is_number(x_max):
        return torch.clamp(x, x_min, x_max)
    bounds = (None if b is None else _to_tensor(b, device=x.device) for b in (x_min, x_max))
    return torch.clamp(x, *bounds)


def maximum(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise maximum (NaN wins)."""
    return torch.maximum(*_promoted(x1, x2))


def minimum(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise minimum (NaN wins)."""
    return torch.minimum(*_promoted(x1, x2))


def where(
    condition: TensorLike, x1: TensorLike | None = None, x2: TensorLike | None = None
) -> Tensor:
    """Pick ``x1`` where ``condition`` holds, else ``x2``.

    With neither ``x1`` nor ``x2``, return the indices of the true elements as a
    ``(ndim, count)`` tensor, as Keras does.
    """
    if (x1 is None) != (x2 is None):
        raise ValueError(
            f"where expected both x1 and x2 or neither, received: x1={x1!r}, x2={x2!r}"
        )
    condition = _to_tensor(condition).bool()
    if x1 is None:
        return torch.stack(torch.where(condition))
    return torch.where(condition, *_promoted(x1, x2))


def round(x: TensorLike, decimals: int = 0) -> Tensor:
    """Round half to even, to ``decimals`` decimal places; integers are returned as is."""
    x = _to_tensor(x)
    return torch.round(x, decimals=decimals) if x.is_floating_point() else x


def floor(x: TensorLike) -> Tensor:
    """Element-wise floor."""
    return torch.floor(_floating(x))


def ceil(x: TensorLike) -> Tensor:
    """Element-wise ceiling."""
    return torch.ceil(_floating(x))


# --------------------------------------------------------------- activations


def sigmoid(x: TensorLike) -> Tensor:
    """``1 / (1 + exp(-x))``."""
    return torch.sigmoid(_floating(x))


def relu(x: TensorLike) -> Tensor:
    """``max(x, 0)``."""
    return torch.relu(_to_tensor(x))


def relu6(x: TensorLike) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return F.relu6(_floating(x))


def leaky_relu(x: TensorLike, negative_slope: float = 0.2) -> Tensor:
    """``x`` for positive inputs, ``negative_slope * x`` otherwise (Keras default 0.2)."""
    return F.leaky_relu(_floating(x), negative_slope)


def elu(x: TensorLike, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit."""
    return F.elu(_floating(x), alpha)


def selu(x: TensorLike) -> Tensor:
    """Scaled exponential linear unit."""
    return F.selu(_floating(x))


def _over_axes(fn: Callable[..., Tensor], x: Tensor, axis: Axis) -> Tensor:
    """Apply a ``dim=-1`` normaliser (softmax, log_softmax) jointly over ``axis``."""
    if isinstance(axis, int):
        return fn(x, dim=axis)
    axes = list(range(x.ndim)) if axis is None else [a % x.ndim for a in axis]
    last = list(range(x.ndim - len(axes), x.ndim))
    moved = torch.movedim(x, axes, last)
    out = fn(moved.reshape(moved.shape[: x.ndim - len(axes)] + (-1,)), dim=-1)
    return torch.movedim(out.reshape(moved.shape), last, axes)


def softmax(x: TensorLike, axis: Axis = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis`` (``None``: over all elements)."""
    return _over_axes(torch.softmax, _floating(x), axis)


def log_softmax(x: TensorLike, axis: Axis = -1) -> Tensor:
    """``log(softmax(x))``, computed stably."""
    return _over_axes(torch.log_softmax, _floating(x), axis)


def softplus(x: TensorLike) -> Tensor:
    """``log(1 + exp(x))``."""
    return F.softplus(_floating(x))


def softsign(x: TensorLike) -> Tensor:
    """``x / (1 + |x|)``."""
    return F.softsign(_floating(x))


def gelu(x: TensorLike, approximate: bool = True) -> Tensor:
    """Gaussian error linear unit; Keras defaults to the tanh approximation."""
    return F.gelu(_floating(x), approximate="tanh" if approximate else "none")


def silu(x: TensorLike) -> Tensor:
    """``x * sigmoid(x)`` (also called swish)."""
    return F.silu(_floating(x))


swish = silu


def hard_sigmoid(x: TensorLike) -> Tensor:
    """``relu6(x + 3) / 6``."""
    return F.hardsigmoid(_floating(x))


def log_sigmoid(x: TensorLike) -> Tensor:
    """``log(sigmoid(x))``, computed stably."""
    return F.logsigmoid(_floating(x))


# ------------------------------------------------------------ linear algebra


def matmul(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Matrix product with numpy's ``matmul`` broadcasting rules."""
    return torch.matmul(*_promoted(x1, x2))


def dot(x1: TensorLike, x2: TensorLike) -> Tensor:
    """numpy's ``dot``: sum over the last axis of ``x1`` and the second-to-last of ``x2``.

    Scalars multiply; a 1-D ``x2`` contracts with the last axis of ``x1``. For two
    tensors of rank 3 or more this is numpy's (and Keras's documented) result, not a
    batched matmul.
    """
    x1, x2 = _promoted(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return x1 * x2
    if x2.ndim == 1:
        return torch.matmul(x1, x2)
    return torch.tensordot(x1, x2, dims=([x1.ndim - 1], [x2.ndim - 2]))


def tensordot(x1: TensorLike, x2: TensorLike, axes: int | Sequence[Any] = 2) -> Tensor:
    """Sum products over ``axes``: an int (last ``axes`` of ``x1``, first of ``x2``) or a pair."""
    if not isinstance(axes, int):
        first, second = axes
        axes = tuple([a] if isinstance(a, int) else list(a) for a in (first, second))
    return torch.tensordot(*_promoted(x1, x2), dims=axes)


def einsum(subscripts: str, *operands: TensorLike, **kwargs: Any) -> Tensor:
    """Einstein summation, e.g. ``einsum("ij,jk->ik", a, b)``."""
    return torch.einsum(subscripts, *_promoted(*operands))


def outer(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Outer product of the flattened inputs."""
    x1, x2 = _promoted(x1, x2)
    return torch.outer(x1.reshape(-1), x2.reshape(-1))


def norm(
    x: TensorLike, ord: float | str | None = None, axis: Axis = None, keepdims: bool = False
) -> Tensor:
    """Vector or matrix norm (``numpy.linalg.norm`` semantics; default 2 / Frobenius)."""
    return torch.linalg.norm(_floating(x), ord=ord, dim=_axes(axis), keepdim=keepdims)


def normalize(
    x: TensorLike, axis: int = -1, order: int = 2, epsilon: float | None = None
) -> Tensor:
    """``x`` divided by its ``order``-norm along ``axis``, the norm floored at ``epsilon``."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize expected order to be an int >= 1, received: order={order!r}")
    floor_value = _epsilon_or(epsilon)
    x = _floating(x)
    x = x.reshape(1) if x.ndim == 0 else x
    size_along = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
    return x / torch.clamp(size_along, min=floor_value)


def _epsilon_or(value: float | None) -> float:
    return epsilon() if value is None else value


# -------------------------------------------------------------------- shapes


def transpose(x: TensorLike, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes of ``x``; ``axes=None`` reverses them."""
    x = _to_tensor(x)
    return x.permute(tuple(reversed(range(x.ndim))) if axes is None else tuple(axes))


def reshape(x: TensorLike, newshape: ShapeLike) -> Tensor:
    """Give ``x`` a new shape; one dimension may be ``-1``."""
    return torch.reshape(_to_tensor(x), _shape(newshape))


def expand_dims(x: TensorLike, axis: int | Sequence[int]) -> Tensor:
    """Insert size-1 axes at ``axis`` (an int or a sequence, positions in the result)."""
    x = _to_tensor(x)
    axes = [axis] if isinstance(axis, int) else list(axis)
    rank = x.ndim + len(axes)
    for position in sorted(a % rank for a in axes):
        x = x.unsqueeze(position)
    return x


def squeeze(x: TensorLike, axis: Axis = None) -> Tensor:
    """Remove size-1 axes (all of them, or those in ``axis``)."""
    x = _to_tensor(x)
    return torch.squeeze(x) if axis is None else torch.squeeze(x, _axes(axis))


def concatenate(xs: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    return torch.cat(_operands(*xs), dim=axis)


def stack(x: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """Join tensors along a new axis."""
    return torch.stack(_promoted(*x), dim=axis)


def unstack(x: TensorLike, num: int | None = None, axis: int = 0) -> list[Tensor]:
    """Split ``x`` into the list of its slices along ``axis``."""
    return list(torch.unbind(_to_tensor(x), dim=axis))


def split(x: TensorLike, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """numpy's ``split``: an int gives that many equal parts, a list gives split points."""
    x = _to_tensor(x)
    if isinstance(indices_or_sections, int) and x.shape[axis] % indices_or_sections:
        raise ValueError(
            f"split expected indices_or_sections to divide the axis length {x.shape[axis]} "
            f"evenly, received: indices_or_sections={indices_or_sections}"
        )
    sections = (
        indices_or_sections if isinstance(indices_or_sections, int) else list(indices_or_sections)
    )
    return list(torch.tensor_split(x, sections, dim=axis))


def tile(x: TensorLike, repeats: ShapeLike) -> Tensor:
    """Repeat the whole of ``x`` ``repeats`` times along each axis."""
    return torch.tile(_to_tensor(x), _shape(repeats))


def repeat(x: TensorLike, repeats: int | Sequence[int], axis: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis`` (``None``: flatten first)."""
    x = _to_tensor(x)
    counts = repeats if isinstance(repeats, int) else _to_tensor(repeats, torch.int64, x.device)
    return torch.repeat_interleave(x, counts, dim=axis)


def flip(x: TensorLike, axis: Axis = None) -> Tensor:
    """Reverse the order of elements along ``axis`` (``None``: every axis)."""
    x = _to_tensor(x)
    axes = range(x.ndim) if axis is None else [axis] if isinstance(axis, int) else axis
    return torch.flip(x, tuple(axes))


def broadcast_to(x: TensorLike, shape: ShapeLike) -> Tensor:
    """A broadcast view of ``x`` with the given shape."""
    return torch.broadcast_to(_to_tensor(x), _shape(shape))


def swapaxes(x: TensorLike, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes."""
    return torch.swapaxes(_to_tensor(x), axis1, axis2)


def moveaxis(
    x: TensorLike, source: int | Sequence[int], destination: int | Sequence[int]
) -> Tensor:
    """Move axes to new positions, keeping the others in order."""
    return torch.movedim(_to_tensor(x), source, destination)


def take(x: TensorLike, indices: TensorLike, axis: int | None = None) -> Tensor:
    """Gather slices of ``x`` along ``axis`` (``None``: from the flattened ``x``).

    Negative indices count from the end. The result's shape is ``x.shape`` with
    ``axis`` replaced by ``indices.shape``.
    """
    x, axis = _flat_or_along(x, axis)
    axis %= x.ndim
    index = _wrapped_indices(indices, x.shape[axis], x.device)
    picked = torch.index_select(x, axis, index.reshape(-1))
    return picked.reshape(x.shape[:axis] + index.shape + x.shape[axis + 1 :])


def take_along_axis(x: TensorLike, indices: TensorLike, axis: int | None = None) -> Tensor:
    """Pick one element per index along ``axis`` (numpy's ``take_along_axis``)."""
    x = _to_tensor(x)
    length = x.numel() if axis is None else x.shape[axis]
    return torch.take_along_dim(x, _wrapped_indices(indices, length, x.device), dim=axis)


def tril(x: TensorLike, k: int = 0) -> Tensor:
    """Zero the elements above the ``k``-th diagonal."""
    return torch.tril(_to_tensor(x), k)


def triu(x: TensorLike, k: int = 0) -> Tensor:
    """Zero the elements below the ``k``-th diagonal."""
    return torch.triu(_to_tensor(x), k)


# ---------------------------------------------------------------- reductions


def sum(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (``None``: all elements)."""
    return torch.sum(_to_tensor(x), dim=_axes(axis), keepdim=keepdims)


def mean(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis``; integers give ``floatx`` results."""
    return torch.mean(_floating(x), dim=_axes(axis), keepdim=keepdims)


def _with_initial(reduced: Tensor, initial: float | None, combine: Callable[..., Tensor]) -> Tensor:
    if initial is None:
        return reduced
    return combine(reduced, torch.tensor(initial, dtype=reduced.dtype, device=reduced.device))


def max(
    x: TensorLike, axis: Axis = None, keepdims: bool = False, initial: float | None = None
) -> Tensor:
    """Maximum over ``axis``, no smaller than ``initial`` when given."""
    reduced = amax(x, axis=axis, keepdims=keepdims)
    return _with_initial(reduced, initial, torch.maximum)


def min(
    x: TensorLike, axis: Axis = None, keepdims: bool = False, initial: float | None = None
) -> Tensor:
    """Minimum over ``axis``, no larger than ``initial`` when given."""
    reduced = amin(x, axis=axis, keepdims=keepdims)
    return _with_initial(reduced, initial, torch.minimum)


def amax(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis`` (``None``: all elements)."""
    return torch.amax(_to_tensor(x), dim=() if axis is None else _axes(axis), keepdim=keepdims)


def amin(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis`` (``None``: all elements)."""
    return torch.amin(_to_tensor(x), dim=() if axis is None else _axes(axis), keepdim=keepdims)


def prod(
    x: TensorLike, axis: Axis = None, keepdims: bool = False, dtype: DTypeLike = None
) -> Tensor:
    """Product over ``axis`` (``None``: all elements)."""
    x = _to_tensor(x)
    x = x if dtype is None else x.to(_torch_dtype(dtype))
    axes = (
        tuple(range(x.ndim)) if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
    )
    for a in sorted((a % x.ndim for a in axes), reverse=True):
        x = torch.prod(x, dim=a, keepdim=keepdims)
    return x


def var(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Population variance (no Bessel correction, like numpy and Keras)."""
    return torch.var(_floating(x), dim=_axes(axis), correction=0, keepdim=keepdims)


def std(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Population standard deviation."""
    return torch.std(_floating(x), dim=_axes(axis), correction=0, keepdim=keepdims)


def _arg_reduce(
    fn: Callable[..., Tensor], x: TensorLike, axis: int | None, keepdims: bool
) -> Tensor:
    x = _to_tensor(x)
    if axis is not None:
        return fn(x, dim=axis, keepdim=keepdims)
    flat = fn(x.reshape(-1))
    return flat.reshape((1,) * x.ndim) if keepdims else flat


def argmax(x: TensorLike, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index (int64) of the largest element along ``axis`` (``None``: flattened)."""
    return _arg_reduce(torch.argmax, x, axis, keepdims)


def argmin(x: TensorLike, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index (int64) of the smallest element along ``axis`` (``None``: flattened)."""
    return _arg_reduce(torch.argmin, x, axis, keepdims)


def argsort(x: TensorLike, axis: int | None = -1) -> Tensor:
    """Indices that sort ``x`` along ``axis``, stably (``None``: flattened)."""
    x, axis = _flat_or_along(x, axis)
    return torch.argsort(x, dim=axis, stable=True)


def sort(x: TensorLike, axis: int | None = -1) -> Tensor:
    """``x`` sorted along ``axis`` (``None``: flattened)."""
    x, axis = _flat_or_along(x, axis)
    return torch.sort(x, dim=axis, stable=True).values


def cumsum(x: TensorLike, axis: int | None = None, dtype: DTypeLike = None) -> Tensor:
    """Running sum along ``axis`` (``None``: flattened)."""
    x, axis = _flat_or_along(x, axis)
    return torch.cumsum(x, dim=axis, dtype=None if dtype is None else _torch_dtype(dtype))


def cumprod(x: TensorLike, axis: int | None = None, dtype: DTypeLike = None) -> Tensor:
    """Running product along ``axis`` (``None``: flattened)."""
    x, axis = _flat_or_along(x, axis)
    return torch.cumprod(x, dim=axis, dtype=None if dtype is None else _torch_dtype(dtype))


def all(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Whether every element along ``axis`` is true."""
    return torch.all(_to_tensor(x), dim=_axes(axis), keepdim=keepdims)


def any(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Whether some element along ``axis`` is true."""
    return torch.any(_to_tensor(x), dim=_axes(axis), keepdim=keepdims)


def logsumexp(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, computed stably."""
    x = _floating(x)
    return torch.logsumexp(
        x, dim=tuple(range(x.ndim)) if axis is None else _axes(axis), keepdim=keepdims
    )


def count_nonzero(x: TensorLike, axis: Axis = None) -> Tensor:
    """Number of non-zero elements along ``axis``."""
    return torch.count_nonzero(_to_tensor(x), dim=_axes(axis))


def moments(
    x: TensorLike, axes: Sequence[int] | int, keepdims: bool = False, synchronized: bool = False
) -> tuple[Tensor, Tensor]:
    """Mean and (population) variance of ``x`` over ``axes``.

    float16 inputs are reduced in float32 and cast back. ``synchronized`` (a
    cross-replica reduction in Keras) is not supported.
    """
    if synchronized:
        raise NotImplementedError("moments does not support synchronized=True on torch")
    x = _floating(x)
    compute = torch.float32 if x.dtype == torch.float16 else x.dtype
    variance, average = torch.var_mean(
        x.to(compute), dim=_axes(axes), correction=0, keepdim=keepdims
    )
    return average.to(x.dtype), variance.to(x.dtype)


def top_k(x: TensorLike, k: int, sorted: bool = True) -> tuple[Tensor, Tensor]:
    """The ``k`` largest values along the last axis and their indices, as ``(values, indices)``."""
    return torch.topk(_to_tensor(x), k, sorted=sorted)


# ------------------------------------------------------ comparisons and logic


def equal(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 == x2`` element-wise."""
    return torch.eq(*_operands(x1, x2))


def not_equal(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 != x2`` element-wise."""
    return torch.ne(*_operands(x1, x2))


def greater(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 > x2`` element-wise."""
    return torch.gt(*_operands(x1, x2))


def greater_equal(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 >= x2`` element-wise."""
    return torch.ge(*_operands(x1, x2))


def less(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 < x2`` element-wise."""
    return torch.lt(*_operands(x1, x2))


def less_equal(x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1 <= x2`` element-wise."""
    return torch.le(*_operands(x1, x2))


def logical_and(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise logical and."""
    return torch.logical_and(*_operands(x1, x2))


def logical_or(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise logical or."""
    return torch.logical_or(*_operands(x1, x2))


def logical_xor(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Element-wise logical exclusive or."""
    return torch.logical_xor(*_operands(x1, x2))


def logical_not(x: TensorLike) -> Tensor:
    """Element-wise logical not."""
    return torch.logical_not(_to_tensor(x))


def isnan(x: TensorLike) -> Tensor:
    """Where ``x`` is NaN."""
    return torch.isnan(_to_tensor(x))


def isinf(x: TensorLike) -> Tensor:
    """Where ``x`` is plus or minus infinity."""
    return torch.isinf(_to_tensor(x))


def isfinite(x: TensorLike) -> Tensor:
    """Where ``x`` is neither NaN nor infinite."""
    return torch.isfinite(_to_tensor(x))


# --------------------------------------------------------------------- misc


def one_hot(
    x: TensorLike, num_classes: int, axis: int = -1, dtype: DTypeLike = None, sparse: bool = False
) -> Tensor:
    """One-hot encode integer labels; the class axis goes to ``axis``.

    Negative labels give all-zero rows, as in Keras. ``dtype`` defaults to ``floatx()``.
    """
    if sparse:
        raise ValueError(
            "one_hot expected sparse=False (torch has no sparse one-hot), received: True"
        )
    labels = _to_tensor(x, dtype=torch.int64)
    encoded = F.one_hot(labels.clamp(min=0), num_classes) * (labels >= 0).unsqueeze(-1)
    return torch.movedim(encoded.to(_torch_dtype(dtype)), -1, axis)


def stop_gradient(variable: TensorLike) -> Tensor:
    """``variable`` detached from the autograd graph."""
    return _to_tensor(variable).detach()


def _check_same_shape(target: Tensor, output: Tensor) -> None:
    if target.shape != output.shape:
        raise ValueError(
            "Expected target and output to have the same shape, received: "
            f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )


def _clipped_log(probabilities: Tensor) -> Tensor:
    fuzz = epsilon()
    return torch.log(probabilities.clamp(fuzz, 1.0 - fuzz))


def categorical_crossentropy(
    target: TensorLike, output: TensorLike, from_logits: bool = False, axis: int = -1
) -> Tensor:
    """Cross-entropy between one-hot ``target`` and predictions, reduced over ``axis``.

    Probabilities (``from_logits=False``) are renormalised to sum to one, then
    clipped to ``[epsilon, 1 - epsilon]`` before the log, as Keras does.
    """
    target, output = _promoted(target, _floating(output))
    _check_same_shape(target, output)
    if from_logits:
        log_prob = torch.log_softmax(output, dim=axis)
    else:
        log_prob = _clipped_log(output / output.sum(dim=axis, keepdim=True))
    return -(target * log_prob).sum(dim=axis)


def sparse_categorical_crossentropy(
    target: TensorLike, output: TensorLike, from_logits: bool = False, axis: int = -1
) -> Tensor:
    """Cross-entropy between integer labels ``target`` and predictions over ``axis``.

    A trailing size-1 axis on ``target`` is dropped, as in Keras.
    """
    labels, output = _operands(target, _floating(output))
    labels = labels.to(torch.int64)
    if labels.ndim == output.ndim and labels.shape[axis] == 1:
        labels = labels.squeeze(axis)
    log_prob = (
        output.log_softmax(dim=axis)
        if from_logits
        else _clipped_log(output / output.sum(dim=axis, keepdim=True))
    )
    log_prob = torch.movedim(log_prob, axis, -1)
    if labels.shape != log_prob.shape[:-1]:
        raise ValueError(
            "Expected target to have the shape of output without its class axis, received: "
            f"target.shape={tuple(labels.shape)}, output.shape={tuple(output.shape)}"
        )
    return -torch.take_along_dim(log_prob, labels.unsqueeze(-1), dim=-1).squeeze(-1)


def binary_crossentropy(
    target: TensorLike, output: TensorLike, from_logits: bool = False
) -> Tensor:
    """Element-wise binary cross-entropy; probabilities are clipped to ``[eps, 1 - eps]``."""
    target, output = _promoted(target, _floating(output))
    _check_same_shape(target, output)
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    fuzz = epsilon()
    output = output.clamp(fuzz, 1.0 - fuzz)
    return -(target * torch.log(output) + (1.0 - target) * torch.log1p(-output))
