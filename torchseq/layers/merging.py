"""Merge layers: combine a list of tensors into one.

Element-wise merges (``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``,
``Minimum``) broadcast their inputs like Keras: the batch axes must agree, the other axes
are aligned from the right, so a lower-rank input gains size-1 axes just after its batch
axis. ``Concatenate`` joins along one axis, ``Dot`` takes per-sample dot products. The
lower-case functions (``add``, ``concatenate``, ...) build the layer and call it, on real
or symbolic tensors.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from torchseq import config
from torchseq.layers.layer import Layer
from torchseq.utils import tree

__all__ = [
    "Add",
    "Average",
    "Concatenate",
    "Dot",
    "Maximum",
    "Minimum",
    "Multiply",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]

Shape = tuple  # of int | None, batch axis first


class _Merge(Layer):
    """Base of the merge layers: takes a list of tensors and checks their shapes.

    Subclasses implement ``_merge(tensors)`` (element-wise ones ``_combine``, through
    ``_ElementwiseMerge``) and, unless the broadcasting rules apply, ``_output_shape``,
    which both validates the input shapes and computes the output shape.
    """

    _min_inputs = 1
    _max_inputs: int | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape: Sequence[Shape]) -> None:
        self._output_shape(self._check_shapes(input_shape))

    def call(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        if not isinstance(inputs, (list, tuple)):
            raise TypeError(
                f"{self._describe()} must be called on a list of tensors, received: "
                f"{type(inputs).__name__}"
            )
        count = len(inputs)
        if count < self._min_inputs or (self._max_inputs is not None and count > self._max_inputs):
            self._check_shapes([tuple(x.shape) for x in inputs])
        return self._merge(list(inputs))

    def compute_output_shape(self, input_shape: Sequence[Shape]) -> Shape:
        return self._output_shape(self._check_shapes(input_shape))

    def compute_mask(self, inputs: Any, mask: Any = None) -> torch.Tensor | None:
        """Where any input is valid (their masks OR-ed), or ``None`` unless all are masked."""
        masks = self._input_masks(inputs, mask)
        if masks is None or any(m is None for m in masks):
            return None
        output_mask = masks[0]
        for m in masks[1:]:
            output_mask = output_mask | m
        return output_mask

    def _input_masks(self, inputs: Any, mask: Any) -> list | None:
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            raise ValueError(
                f"{self._describe()} expects one mask (or None) per input, a list of "
                f"{len(inputs)}; received: mask={mask!r}"
            )
        return list(mask)

    def _merge(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def _output_shape(self, shapes: list[Shape]) -> Shape:
        batch = _common_batch_size(self._describe(), shapes)
        output: list[int | None] = []
        for shape in shapes:
            output = self._broadcast(output, list(shape[1:]), shapes)
        return (batch, *output)

    def _broadcast(self, first: list, second: list, shapes: list[Shape]) -> list:
        """Right-aligned broadcast of two shapes without their batch axes."""
        if len(first) < len(second):
            first, second = second, first
        lead = len(first) - len(second)
        result = first[:lead]
        for a, b in zip(first[lead:], second):
            if a is not None and b is not None and a != 1 and b != 1 and a != b:
                raise ValueError(
                    f"{self._describe()}: the input shapes cannot be broadcast together; "
                    f"received input shapes {shapes}"
                )
            if a == 1:
                result.append(b)
            elif b == 1 or b is None:
                result.append(a)
            else:
                result.append(b if a is None else a)
        return result

    def _check_shapes(self, input_shape: Any) -> list[Shape]:
        """The list of input shapes, after checking it is one and its length."""
        is_list = isinstance(input_shape, (list, tuple))
        if not is_list or (len(input_shape) > 0 and tree.is_shape(input_shape)):
            raise TypeError(
                f"{self._describe()} must be called on a list of tensors, received one "
                f"input of shape {input_shape}"
            )
        shapes = [tuple(shape) for shape in input_shape]
        count = len(shapes)
        if count < self._min_inputs or (self._max_inputs is not None and count > self._max_inputs):
            bound = "exactly" if self._max_inputs == self._min_inputs else "at least"
            raise ValueError(
                f"{self._describe()} expects {bound} {_inputs(self._min_inputs)}, received "
                f"{_inputs(count)} with shapes {shapes}"
            )
        return shapes

    def _describe(self) -> str:
        return f'{type(self).__name__} layer "{self.name}"'


class _ElementwiseMerge(_Merge):
    """An element-wise merge: inputs of lower rank gain axes after their batch axis."""

    def _merge(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        rank = max(x.ndim for x in inputs)
        if any(x.ndim != rank for x in inputs):
            inputs = [_expand_after_batch(x, rank) for x in inputs]
        return self._combine(inputs)

    def _combine(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError


class Add(_ElementwiseMerge):
    """Sum a list of tensors element-wise. Mirrors ``keras.layers.Add``.

    Input shape: a list of shapes that broadcast together (same batch size).
    Output shape: their broadcast shape.

    Example:
        >>> Add()([torch.ones(2, 3), torch.ones(2, 3)]).shape
        torch.Size([2, 3])
    """

    def _combine(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return functools.reduce(torch.add, inputs)


class Subtract(_ElementwiseMerge):
    """``inputs[0] - inputs[1]``, for exactly two tensors. Mirrors ``keras.layers.Subtract``.

    Input shape: a list of two shapes that broadcast together.
    Output shape: their broadcast shape.

    Example:
        >>> Subtract()([torch.ones(2, 3), torch.ones(2, 3)]).shape
        torch.Size([2, 3])
    """

    _min_inputs = 2
    _max_inputs = 2

    def _combine(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return torch.sub(inputs[0], inputs[1])


class Multiply(_ElementwiseMerge):
    """Multiply a list of tensors element-wise. Mirrors ``keras.layers.Multiply``.

    Input shape: a list of shapes that broadcast together (same batch size).
    Output shape: their broadcast shape.

    Example:
        >>> Multiply()([torch.ones(2, 3), torch.ones(2, 3)]).shape
        torch.Size([2, 3])
    """

    def _combine(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return functools.reduce(torch.mul, inputs)


class Average(_ElementwiseMerge):
    """Average a list of tensors element-wise. Mirrors ``keras.layers.Average``.

    Input shape: a list of shapes that broadcast together (same batch size).
    Output shape: their broadcast shape.

    Example:
        >>> Average()([torch.zeros(2, 3), torch.ones(2, 3)])[0, 0].item()
        0.5
    """

    def _combine(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return functools.reduce(torch.add, inputs) / len(inputs)


class Maximum(_ElementwiseMerge):
    """Element-wise maximum of a list of tensors. Mirrors ``keras.layers.Maximum``.

    Input shape: a list of shapes that broadcast together (same batch size).
    Output shape: their broadcast shape.

    Example:
        >>> Maximum()([torch.zeros(2, 3), torch.ones(2, 3)])[0, 0].item()
        1.0
    """

    def _combine(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return functools.reduce(torch.maximum, inputs)


class Minimum(_ElementwiseMerge):
    """Element-wise minimum of a list of tensors. Mirrors ``keras.layers.Minimum``.

    Input shape: a list of shapes that broadcast together (same batch size).
    Output shape: their broadcast shape.

    Example:
        >>> Minimum()([torch.zeros(2, 3), torch.ones(2, 3)])[0, 0].item()
        0.0
    """

    def _combine(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return functools.reduce(torch.minimum, inputs)


class Concatenate(_Merge):
    """Join a list of tensors along one axis. Mirrors ``keras.layers.Concatenate``.

    Args:
        axis: The axis to join along. Default ``-1``.

    Input shape: a list of shapes of one rank that agree on every axis but ``axis``.
    Output shape: the common shape with ``axis`` the sum of the inputs' sizes.

    Example:
        >>> Concatenate()([torch.ones(2, 3), torch.ones(2, 4)]).shape
        torch.Size([2, 7])
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise TypeError(f"Concatenate: axis must be an int, received: axis={axis!r}")
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _merge(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(inputs, dim=self.axis)

    def compute_mask(self, inputs: Any, mask: Any = None) -> torch.Tensor | None:
        """The masks joined along ``axis`` (all-true for unmasked inputs), reduced over the
        last axis with OR; ``None`` when no input is masked."""
        masks = self._input_masks(inputs, mask)
        if masks is None or all(m is None for m in masks):
            return None
        full = []
        for tensor, m in zip(inputs, masks):
            if m is None:
                m = torch.ones_like(tensor, dtype=torch.bool)
            elif m.ndim < tensor.ndim:
                m = m.to(torch.bool).unsqueeze(-1).expand(tensor.shape)
            full.append(m.to(torch.bool))
        return torch.cat(full, dim=self.axis).any(dim=-1)

    def _output_shape(self, shapes: list[Shape]) -> Shape:
        ranks = {len(shape) for shape in shapes}
        if len(ranks) != 1:
            raise ValueError(
                f"{self._describe()} requires inputs of one rank, received input shapes {shapes}"
            )
        (rank,) = ranks
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"{self._describe()}: axis={self.axis} is out of range for inputs of rank "
                f"{rank}; received input shapes {shapes}"
            )
        axis = self.axis % rank
        output: list[int | None] = []
        for index in range(rank):
            sizes = [shape[index] for shape in shapes]
            if index == axis:
                output.append(None if None in sizes else sum(sizes))
                continue
            known = set(sizes) - {None}
            if len(known) > 1:
                raise ValueError(
                    f"{self._describe()} requires inputs with matching shapes except for the "
                    f"concatenation axis {self.axis}; received input shapes {shapes}"
                )
            output.append(known.pop() if known else None)
        return tuple(output)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Per-sample dot products of two tensors along given axes. Mirrors ``keras.layers.Dot``.

    For inputs of shapes ``(batch, *a)`` and ``(batch, *b)``, the summed axes are dropped
    and the remaining ones of the first input are followed by those of the second; a
    result of rank 1 becomes ``(batch, 1)``.

    Args:
        axes: Int, or a pair of ints (one axis per input); never the batch axis 0.
        normalize: Whether to L2-normalise both inputs along the summed axes first, which
            gives cosine similarities. Default ``False``.

    Input shape: a list of two shapes of rank ``>= 2`` with equal sizes on the axes.
    Output shape: ``(batch, *a without axes[0], *b without axes[1])``.

    Example:
        >>> Dot(axes=(1, 2))([torch.ones(2, 3, 5), torch.ones(2, 4, 3)]).shape
        torch.Size([2, 5, 4])
    """

    _min_inputs = 2
    _max_inputs = 2

    def __init__(self, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any) -> None:
        pair = [axes, axes] if isinstance(axes, numbers.Integral) else axes
        if (
            isinstance(axes, bool)
            or not isinstance(pair, (list, tuple))
            or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in pair)
        ):
            raise TypeError(f"Dot: axes must be an int or a pair of ints, received: axes={axes!r}")
        if len(pair) != 2:
            raise ValueError(
                f"Dot: axes must be an int or a pair of two ints, received: axes={axes!r}"
            )
        super().__init__(**kwargs)
        self.axes = int(axes) if isinstance(axes, numbers.Integral) else type(axes)(map(int, axes))
        self.normalize = bool(normalize)
        self._pair = (int(pair[0]), int(pair[1]))

    def _merge(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        first, second = inputs
        axis1, axis2 = self._resolve_axes([tuple(x.shape) for x in inputs])
        if self.normalize:
            first = F.normalize(first, dim=axis1, eps=config.epsilon())
            second = F.normalize(second, dim=axis2, eps=config.epsilon())
        # (batch, rest1, k) @ (batch, k, rest2), then the rest axes unfold again.
        left = first.movedim(axis1, -1)
        right = second.movedim(axis2, 1)
        rest1, rest2 = left.shape[1:-1], right.shape[2:]
        batch, size = left.shape[0], left.shape[-1]
        product = torch.bmm(left.reshape(batch, -1, size), right.reshape(batch, size, -1))
        output_shape = (batch, *rest1, *rest2) if rest1 or rest2 else (batch, 1)
        return product.view(output_shape)

    def _output_shape(self, shapes: list[Shape]) -> Shape:
        axis1, axis2 = self._resolve_axes(shapes)
        first, second = shapes
        batch = _common_batch_size(self._describe(), shapes)
        size1, size2 = first[axis1], second[axis2]
        if size1 is not None and size2 is not None and size1 != size2:
            raise ValueError(
                f"{self._describe()}: the dot-product axes differ in size, {size1} (axis "
                f"{axis1} of the first input) != {size2} (axis {axis2} of the second input); "
                f"received input shapes {shapes}"
            )
        rest = [d for i, d in enumerate(first) if i not in (0, axis1)]
        rest += [d for i, d in enumerate(second) if i not in (0, axis2)]
        return (batch, *rest) if rest else (batch, 1)

    def _resolve_axes(self, shapes: list[Shape]) -> tuple[int, int]:
        """The two summed axes as non-negative ints, checked against the input ranks."""
        resolved = []
        for axis, shape in zip(self._pair, shapes):
            rank = len(shape)
            if rank < 2 or not -rank <= axis < rank or axis % rank == 0:
                raise ValueError(
                    f"{self._describe()}: axes={self.axes} must name a non-batch axis of "
                    f"each input (inputs of rank >= 2); received input shapes {shapes}"
                )
            resolved.append(axis % rank)
        return resolved[0], resolved[1]

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        """``None``: a dot product has no time axis left to mask."""

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


# ---------------------------------------------------------------------- functional forms


def add(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Sum ``inputs`` element-wise with a new ``Add`` layer; mirrors ``keras.layers.add``."""
    return Add(**kwargs)(inputs)


def subtract(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``inputs[0] - inputs[1]`` with a new ``Subtract`` layer."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Multiply ``inputs`` element-wise with a new ``Multiply`` layer."""
    return Multiply(**kwargs)(inputs)


def average(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Average ``inputs`` element-wise with a new ``Average`` layer."""
    return Average(**kwargs)(inputs)


def maximum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Element-wise maximum of ``inputs`` with a new ``Maximum`` layer."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Element-wise minimum of ``inputs`` with a new ``Minimum`` layer."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: Sequence[Any], axis: int = -1, **kwargs: Any) -> Any:
    """Join ``inputs`` along ``axis`` with a new ``Concatenate`` layer."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(
    inputs: Sequence[Any], axes: int | Sequence[int] = -1, normalize: bool = False, **kwargs: Any
) -> Any:
    """Per-sample dot products of two inputs with a new ``Dot`` layer."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


# ---------------------------------------------------------------------- helpers


def _inputs(count: int) -> str:
    return f"{count} input" if count == 1 else f"{count} inputs"


def _expand_after_batch(x: torch.Tensor, rank: int) -> torch.Tensor:
    """A view of ``x`` with size-1 axes after the batch axis, up to ``rank`` axes."""
    missing = rank - x.ndim
    if missing == 0:
        return x
    return x.reshape(x.shape[0], *([1] * missing), *x.shape[1:])


def _common_batch_size(who: str, shapes: list[Shape]) -> int | None:
    sizes = {shape[0] for shape in shapes if shape} - {None}
    if len(sizes) > 1:
        raise ValueError(
            f"{who}: the inputs must share one batch size, received input shapes {shapes}"
        )
    return sizes.pop() if sizes else None
