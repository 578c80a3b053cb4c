"""Weight layouts: how a weight stored for torch's kernels relates to Keras's shape.

A layout is ``None`` (stored as Keras has it), a permutation from the Keras shape to the
stored one (a conv kernel's ``(3, 2, 0, 1)``: Keras's ``(kh, kw, in, out)`` stored as torch's
``(out, in, kh, kw)``), or an object with ``to_keras(stored)``, ``to_stored(keras_value)``
and ``stored_shape(keras_shape)`` for what a permutation cannot express (a recurrent
kernel's gate order; see ``layers.layer.WeightLayout``). Layers, optimizers (their slots)
and the weights files all convert through these functions.

A gradient read in Keras's layout (``weight.value.grad``, see ``layers.variables``) is marked
with its layout, so that ``Optimizer.apply`` can take it back to the stored one.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = [
    "Layout",
    "inverse",
    "keras_gradient",
    "stored_gradient",
    "stored_shape",
    "to_keras",
    "to_stored",
]

Layout = Any  # None | tuple[int, ...] | an object with to_keras / to_stored / stored_shape


def to_keras(stored: torch.Tensor, layout: Layout) -> torch.Tensor:
    """The stored tensor in Keras's layout (a view when the layout is a permutation)."""
    if layout is None:
        return stored
    if hasattr(layout, "to_keras"):
        return layout.to_keras(stored)
    return stored.permute(inverse(layout))


def to_stored(value: torch.Tensor, layout: Layout) -> torch.Tensor:
    """A value in Keras's layout, in the stored layout."""
    if layout is None:
        return value
    if hasattr(layout, "to_stored"):
        return layout.to_stored(value)
    return value.permute(tuple(layout))


def stored_shape(shape: tuple[int, ...], layout: Layout) -> tuple[int, ...]:
    """The stored shape of a weight whose Keras shape is ``shape``."""
    if layout is None:
        return shape
    if hasattr(layout, "stored_shape"):
        return tuple(layout.stored_shape(shape))
    return tuple(shape[axis] for axis in layout)


def inverse(permutation: tuple[int, ...]) -> tuple[int, ...]:
    """The permutation that undoes ``permutation``."""
    return tuple(sorted(range(len(permutation)), key=permutation.__getitem__))


def keras_gradient(weight: torch.Tensor, layout: Layout) -> torch.Tensor | None:
    """``weight.grad`` in Keras's layout, marked so that :func:`stored_gradient` undoes it."""
    if weight.grad is None or layout is None:
        return weight.grad
    gradient = to_keras(weight.grad, layout)
    gradient.__dict__["_stored_layout"] = layout
    return gradient


def stored_gradient(gradient: torch.Tensor) -> torch.Tensor:
    """A gradient in its weight's stored layout: one from :func:`keras_gradient` is converted
    back, any other is taken as already stored."""
    if "_stored_layout" not in gradient.__dict__:
        return gradient
    return to_stored(gradient, gradient.__dict__["_stored_layout"])
