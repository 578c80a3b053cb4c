"""``Input`` and ``InputLayer``: where a model's graph starts."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from torchseq.layers.layer import Layer
from torchseq.layers.symbolic import STRING, KerasTensor, Node
from torchseq.utils import tree

__all__ = ["Input", "InputLayer"]


class InputLayer(Layer):
    """The layer behind ``Input``: holds the input's shape and dtype, computes nothing.

    Args:
        shape: Shape of one sample, without the batch axis.
        batch_size: Optional fixed batch size.
        dtype: Input dtype (default ``config.floatx()``); e.g. ``"int32"`` for indices, or
            ``"string"`` for strings, which stay numpy arrays on the host until the first
            layer that takes strings (``TextVectorization``, ``StringLookup``, ``Hashing``).
        batch_shape: Full shape including the batch axis (instead of shape/batch_size).
        name: Layer name (default ``input_layer``, ``input_layer_1``, ...).
    """

    def __init__(
        self,
        shape: Any = None,
        batch_size: int | None = None,
        dtype: Any = None,
        sparse: bool | None = None,
        batch_shape: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if "input_shape" in kwargs:  # Keras 2 spelling
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        if sparse:
            raise ValueError("InputLayer: sparse inputs are not supported, received sparse=True")
        is_string = dtype == STRING
        super().__init__(name=name, dtype=None if is_string else dtype, **kwargs)
        self.batch_shape = _resolve_batch_shape(shape, batch_size, batch_shape)
        self._batch_input_shape = self.batch_shape
        self._is_string = is_string
        self.built = True
        tensor = KerasTensor(
            self.batch_shape, dtype=STRING if is_string else self._dtype, name=self.name
        )
        Node(self, (), {}, tensor)
        self._output_tensor = tensor

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    @property
    def dtype(self) -> str:
        return STRING if self._is_string else super().dtype

    def get_config(self) -> dict[str, Any]:
        return {
            "batch_shape": self.batch_shape,
            "dtype": self.dtype,
            "sparse": False,
            "name": self.name,
        }


def Input(
    shape: Any = None,
    batch_size: int | None = None,
    dtype: Any = None,
    sparse: bool | None = None,
    batch_shape: Any = None,
    name: str | None = None,
    tensor: Any = None,
    optional: bool = False,
) -> KerasTensor:
    """Start a model: a symbolic tensor of the given shape (batch axis excluded).

    Args:
        shape: Shape of one sample, e.g. ``(784,)`` or ``(None,)`` for variable length.
        batch_size: Optional fixed batch size (stateful RNNs).
        dtype: Input dtype, default ``config.floatx()``; ``"string"`` for strings (kept on
            the host as numpy arrays until a string layer such as ``TextVectorization``).
        sparse: Not supported; must be falsy.
        batch_shape: Full shape including the batch axis.
        name: Input name, used to feed dicts to multi-input models.
        tensor: Not supported (Keras uses it for TF tensors); must be None.
        optional: Not supported; must be False.

    Example:
        >>> x = Input(shape=(4,))
        >>> x.shape
        (None, 4)
    """
    if tensor is not None or optional:
        raise ValueError("Input: tensor= and optional=True are not supported")
    layer = InputLayer(
        shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
        batch_shape=batch_shape, name=name,
    )
    return layer._output_tensor


def _resolve_batch_shape(shape: Any, batch_size: Any, batch_shape: Any) -> tuple:
    if batch_shape is not None:
        if shape is not None:
            raise ValueError(
                f"Input: give shape= or batch_shape=, not both; received shape={shape} "
                f"and batch_shape={batch_shape}"
            )
        resolved = tuple(batch_shape)
    else:
        if shape is None:
            raise ValueError("Input: a shape is needed, received shape=None and batch_shape=None")
        if isinstance(shape, numbers.Integral):
            shape = (shape,)
        resolved = (batch_size, *tuple(shape))
    resolved = tuple(
        int(size) if isinstance(size, np.integer) else size for size in resolved
    )
    if not tree.is_shape(resolved):
        raise TypeError(
            f"Input: shape must be a tuple of ints or None, received: {shape or batch_shape!r}"
        )
    negative = [size for size in resolved if size is not None and size < 0]
    if negative:
        raise ValueError(
            "Input: sizes must be non-negative ints or None (unknown), received: "
            f"shape={shape or batch_shape!r}"
        )
    return resolved
