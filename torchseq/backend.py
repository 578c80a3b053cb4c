"""The Keras-2 backend namespace, ``import keras.backend as K``, over torch.

Keras 3 shrank ``keras.backend`` to a handful of config helpers; code written for
Keras 2 still calls ``K.mean``, ``K.dot``, ``K.categorical_crossentropy`` and
friends. These keep the Keras-2 signatures and defaults (``K.concatenate`` and
``K.argmax`` work on the last axis, losses take ``target`` first) and compute
with :mod:`torchseq.ops`.

Example:

>>> from torchseq import backend as K
>>> K.mean(K.constant([[1.0, 2.0], [3.0, 4.0]]), axis=-1)
tensor([1.5000, 3.5000])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch
from torch import nn

from torchseq import ops
from torchseq.config import (
    dtype_name,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from torchseq.ops import (
    abs,
    all,
    any,
    binary_crossentropy,
    cast,
    categorical_crossentropy,
    cos,
    cumprod,
    cumsum,
    dot,
    dtype,
    equal,
    exp,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    max,
    maximum,
    mean,
    min,
    minimum,
    ndim,
    not_equal,
    ones_like,
    prod,
    reshape,
    round,
    sigmoid,
    sign,
    sin,
    softmax,
    softplus,
    sparse_categorical_crossentropy,
    sqrt,
    square,
    stack,
    std,
    stop_gradient,
    sum,
    tanh,
    tile,
    transpose,
    var,
    zeros_like,
)
from torchseq.ops import power as pow
from torchseq.ops._convert import DTypeLike, ShapeLike, Tensor, TensorLike, _shape, _torch_dtype
from torchseq.utils import naming
from torchseq.utils.dtype_promotion import result_type
from torchseq.utils.keras_tensors import is_keras_tensor
from torchseq.utils.naming import clear_session

__all__ = [
    "abs",
    "all",
    "any",
    "argmax",
    "argmin",
    "backend",
    "batch_dot",
    "batch_flatten",
    "batch_get_value",
    "batch_set_value",
    "binary_crossentropy",
    "cast",
    "categorical_crossentropy",
    "clear_session",
    "clip",
    "concatenate",
    "constant",
    "cos",
    "cumprod",
    "cumsum",
    "dot",
    "dtype",
    "epsilon",
    "equal",
    "eval",
    "exp",
    "expand_dims",
    "flatten",
    "floatx",
    "gather",
    "get_uid",
    "get_value",
    "greater",
    "greater_equal",
    "image_data_format",
    "int_shape",
    "is_float_dtype",
    "is_int_dtype",
    "is_keras_tensor",
    "l2_normalize",
    "learning_phase",
    "less",
    "less_equal",
    "log",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "ndim",
    "not_equal",
    "one_hot",
    "ones",
    "ones_like",
    "permute_dimensions",
    "pow",
    "prod",
    "random_normal",
    "random_uniform",
    "relu",
    "repeat_elements",
    "reshape",
    "result_type",
    "round",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_value",
    "shape",
    "sigmoid",
    "sign",
    "sin",
    "softmax",
    "softplus",
    "sparse_categorical_crossentropy",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "standardize_dtype",
    "std",
    "stop_gradient",
    "sum",
    "switch",
    "tanh",
    "tile",
    "transpose",
    "var",
    "variable",
    "zeros",
    "zeros_like",
]


def backend() -> str:
    """The name of the backend: always ``"torch"``."""
    return "torch"


def get_uid(prefix: str = "") -> int:
    """Count one more use of ``prefix`` and return the count (1 the first time).

    Shares its counter with automatic layer names, as in Keras: after one ``Dense``,
    ``get_uid("dense")`` returns 2; ``clear_session()`` resets it.
    """
    naming._counters[prefix] += 1
    return naming._counters[prefix]


def standardize_dtype(dtype: DTypeLike) -> str:
    """The Keras name of a dtype given as a string, numpy or torch dtype (``None``: floatx)."""
    return dtype_name(_torch_dtype(dtype))


def is_float_dtype(dtype: DTypeLike) -> bool:
    """Whether ``dtype`` is a floating-point type."""
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype: DTypeLike) -> bool:
    """Whether ``dtype`` is a (signed or unsigned) integer type."""
    return standardize_dtype(dtype).startswith(("int", "uint"))


def learning_phase() -> int:
    """Always 0 (inference); torch modules carry their own ``training`` flag instead."""
    return 0


# ------------------------------------------------------------- values and variables


def constant(
    value: TensorLike,
    dtype: DTypeLike = None,
    shape: ShapeLike | None = None,
    name: str | None = None,
) -> Tensor:
    """A tensor holding ``value`` (dtype defaults to ``floatx()``).

    Args:
        value: A number or array-like.
        dtype: Defaults to ``floatx()``.
        shape: If given, a scalar ``value`` is broadcast to it; otherwise ``value`` is
            reshaped to it.
        name: Accepted for Keras-2 compatibility; torch tensors carry no name.
    """
    tensor = ops.convert_to_tensor(value, dtype=floatx() if dtype is None else dtype)
    if shape is None:
        return tensor
    if tensor.numel() == 1:
        return tensor.reshape(()).expand(_shape(shape)).clone()
    return tensor.reshape(_shape(shape))


def variable(value: TensorLike, dtype: DTypeLike = None, name: str | None = None) -> nn.Parameter:
    """An ``nn.Parameter`` initialised with a copy of ``value`` (dtype defaults to ``floatx()``).

    Integer and boolean variables do not require gradients. The parameter is also a Keras
    variable (``assign``, ``numpy()``), whose ``path`` and ``name`` are ``name``
    (default ``"variable"``).
    """
    from torchseq.layers import variables

    tensor = ops.convert_to_tensor(value, dtype=floatx() if dtype is None else dtype)
    differentiable = tensor.is_floating_point() or tensor.is_complex()
    parameter = nn.Parameter(tensor.detach().clone(), requires_grad=differentiable)
    return variables.attach(parameter, name or "variable")


def zeros(shape: ShapeLike, dtype: DTypeLike = None, name: str | None = None) -> Tensor:
    """A tensor of zeros (dtype defaults to ``floatx()``)."""
    return ops.zeros(shape, dtype=dtype)


def ones(shape: ShapeLike, dtype: DTypeLike = None, name: str | None = None) -> Tensor:
    """A tensor of ones (dtype defaults to ``floatx()``)."""
    return ops.ones(shape, dtype=dtype)


def get_value(x: TensorLike) -> np.ndarray:
    """The value of ``x`` as a numpy array; a variable's (a weight's, ``optimizer.lr``'s)
    in Keras's layout."""
    if _is_variable(x):
        return x.numpy()
    return ops.convert_to_numpy(x)


eval = get_value


def batch_get_value(tensors: Iterable[TensorLike]) -> list[np.ndarray]:
    """The values of several tensors as numpy arrays."""
    return [get_value(t) for t in tensors]


def set_value(x: Tensor, value: TensorLike) -> None:
    """Overwrite the tensor (or parameter) ``x`` in place with ``value``.

    A variable (a weight, ``optimizer.lr``) is assigned: a weight takes ``value`` in
    Keras's layout, an optimizer's rate applies from its next step.
    """
    if _is_variable(x):
        x.assign(value)
        return
    new = ops.convert_to_tensor(value, dtype=x.dtype).to(x.device)
    if new.shape != x.shape:
        raise ValueError(
            f"set_value expected a value of shape {tuple(x.shape)}, "
            f"received: value with shape {tuple(new.shape)}"
        )
    with torch.no_grad():
        x.copy_(new)


def batch_set_value(tuples: Iterable[tuple[Tensor, TensorLike]]) -> None:
    """``set_value`` for each ``(x, value)`` pair."""
    for x, value in tuples:
        set_value(x, value)


def _is_variable(x: object) -> bool:
    """Whether ``x`` has Keras's variable face (a weight, a metric's state, an optimizer's rate)."""
    from torchseq.layers.variables import Variable
    from torchseq.optimizers._learning_rate import LearningRateVariable

    return isinstance(x, (Variable, LearningRateVariable))


def shape(x: TensorLike) -> Tensor:
    """The shape of ``x`` as an int64 tensor (Keras 2's symbolic shape); see :func:`int_shape`."""
    return torch.tensor(ops.shape(x), dtype=torch.int64)


def int_shape(x: TensorLike) -> tuple[int, ...]:
    """The shape of ``x`` as a tuple of ints."""
    return ops.shape(x)


# ----------------------------------------------------------- Keras-2 signatures


def clip(x: TensorLike, min_value: float | None, max_value: float | None) -> Tensor:
    """Limit ``x`` to ``[min_value, max_value]``; ``None`` leaves that side open.

    As in Keras 2, a ``max_value`` below ``min_value`` is raised to ``min_value``.
    """
    if min_value is not None and max_value is not None and max_value < min_value:
        max_value = min_value
    return ops.clip(x, min_value, max_value)


def concatenate(tensors: Sequence[TensorLike], axis: int = -1) -> Tensor:
    """Join tensors along ``axis`` (Keras 2 defaults to the last axis)."""
    return ops.concatenate(tensors, axis=axis)


def expand_dims(x: TensorLike, axis: int = -1) -> Tensor:
    """Insert a size-1 axis at ``axis`` (default: last)."""
    return ops.expand_dims(x, axis)


def squeeze(x: TensorLike, axis: int) -> Tensor:
    """Remove the size-1 axis ``axis``."""
    return ops.squeeze(x, axis)


def permute_dimensions(x: TensorLike, pattern: Sequence[int]) -> Tensor:
    """Reorder the axes of ``x``, e.g. ``pattern=(0, 2, 1)``."""
    return ops.transpose(x, pattern)


def flatten(x: TensorLike) -> Tensor:
    """``x`` as a 1-D tensor."""
    return ops.reshape(x, -1)


def batch_flatten(x: TensorLike) -> Tensor:
    """``x`` as ``(batch, features)``, keeping the first axis."""
    x = ops.convert_to_tensor(x)
    return x.reshape(x.shape[0], -1)


def repeat_elements(x: TensorLike, rep: int, axis: int) -> Tensor:
    """Repeat each element of ``x`` ``rep`` times along ``axis``."""
    return ops.repeat(x, rep, axis=axis)


def gather(reference: TensorLike, indices: TensorLike) -> Tensor:
    """Rows of ``reference`` (slices along axis 0) picked by ``indices``."""
    return ops.take(reference, indices, axis=0)


def one_hot(indices: TensorLike, num_classes: int) -> Tensor:
    """One-hot encode integer ``indices`` into a new last axis of ``num_classes``."""
    return ops.one_hot(indices, num_classes)


def switch(
    condition: TensorLike, then_expression: TensorLike, else_expression: TensorLike
) -> Tensor:
    """Element-wise ``then_expression`` where ``condition`` holds, else ``else_expression``."""
    return ops.where(condition, then_expression, else_expression)


def argmax(x: TensorLike, axis: int = -1) -> Tensor:
    """Index of the largest element along ``axis`` (Keras 2 default: last axis)."""
    return ops.argmax(x, axis=axis)


def argmin(x: TensorLike, axis: int = -1) -> Tensor:
    """Index of the smallest element along ``axis`` (Keras 2 default: last axis)."""
    return ops.argmin(x, axis=axis)


def relu(
    x: TensorLike, alpha: float = 0.0, max_value: float | None = None, threshold: float = 0.0
) -> Tensor:
    """Rectified linear unit with Keras 2's options.

    Args:
        x: Input tensor.
        alpha: Slope below ``threshold``. Defaults to 0.
        max_value: Upper saturation value. Defaults to ``None`` (no limit).
        threshold: Values below it are zeroed (or leak with ``alpha``). Defaults to 0.
    """
    x = ops.convert_to_tensor(x)
    below = x <= threshold
    out = torch.where(below, torch.zeros_like(x), x)
    if max_value is not None:  # Keras clips at 0 too, which matters for a negative threshold
        out = out.clamp(0, max_value)
    return torch.where(below, alpha * (x - threshold), out) if alpha else out


def l2_normalize(x: TensorLike, axis: int | Sequence[int] | None = None) -> Tensor:
    """``x / sqrt(max(sum(x ** 2, axis), 1e-12))`` (``axis=None``: over all elements)."""
    squared = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.multiply(x, ops.rsqrt(ops.maximum(squared, 1e-12)))


def batch_dot(x: TensorLike, y: TensorLike, axes: int | Sequence[int] | None = None) -> Tensor:
    """Per-sample dot product of two batches, contracting ``axes`` (Keras 2 ``batch_dot``).

    Args:
        x: Tensor of shape ``(batch, ...)``, rank >= 2.
        y: Tensor of shape ``(batch, ...)``, rank >= 2.
        axes: The axis of ``x`` and the axis of ``y`` to contract: an int for both or a
            pair. Defaults to the last axis of ``x`` and the second-to-last of ``y``
            (the last one if ``y`` is 2-D).

    Returns:
        The batch axis, then the remaining axes of ``x``, then those of ``y``; a result
        that would be 1-D gets a trailing axis, so it is at least ``(batch, 1)``.

    Example:

    >>> batch_dot(ones((32, 20)), ones((32, 30, 20)), axes=(1, 2)).shape
    torch.Size([32, 30])
    """
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    x_axis, y_axis = _batch_dot_axes(x, y, axes)
    x = torch.movedim(x, x_axis, -1)
    y = torch.movedim(y, y_axis, 1)
    product = ops.matmul(x.reshape(x.shape[0], -1, x.shape[-1]), y.reshape(*y.shape[:2], -1))
    result = product.reshape(x.shape[:-1] + y.shape[2:])
    return result.unsqueeze(1) if result.ndim == 1 else result


def _batch_dot_axes(x: Tensor, y: Tensor, axes: int | Sequence[int] | None) -> tuple[int, int]:
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(
            "batch_dot expected inputs of rank >= 2, received: "
            f"x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}"
        )
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 1 if y.ndim == 2 else y.ndim - 2)
    pair = (axes, axes) if isinstance(axes, int) else tuple(axes)
    x_axis, y_axis = pair[0] % x.ndim, pair[1] % y.ndim
    if x_axis == 0 or y_axis == 0:
        raise ValueError(f"batch_dot cannot contract the batch axis 0, received: axes={axes}")
    if x.shape[x_axis] != y.shape[y_axis]:
        raise ValueError(
            f"batch_dot expected x.shape[{x_axis}] == y.shape[{y_axis}], received: "
            f"x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}, axes={axes}"
        )
    return x_axis, y_axis


# -------------------------------------------------------------------- random


def _generator(seed: int | None) -> torch.Generator | None:
    return None if seed is None else torch.Generator().manual_seed(int(seed))


def random_uniform(
    shape: ShapeLike,
    minval: float = 0.0,
    maxval: float = 1.0,
    dtype: DTypeLike = None,
    seed: int | None = None,
) -> Tensor:
    """Samples from ``U[minval, maxval)``; a ``seed`` makes the draw reproducible."""
    draw = torch.rand(_shape(shape), generator=_generator(seed), dtype=_torch_dtype(dtype))
    return minval + (maxval - minval) * draw


def random_normal(
    shape: ShapeLike,
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: DTypeLike = None,
    seed: int | None = None,
) -> Tensor:
    """Samples from ``N(mean, stddev ** 2)``; a ``seed`` makes the draw reproducible."""
    draw = torch.randn(_shape(shape), generator=_generator(seed), dtype=_torch_dtype(dtype))
    return mean + stddev * draw
