"""Weight constraints with Keras 3's names, defaults and formulas.

A constraint maps a weight tensor to its projected value; the optimizer
applies it after each update. Axes refer to the weight in Keras's layout (a
Dense kernel ``(in, out)``, a Conv2D kernel ``(kh, kw, in, out)``): ``axis=0``
on a Dense kernel constrains each output unit's incoming weight vector.

Example:
    >>> import torch
    >>> from torchseq import constraints
    >>> constraints.get("non_neg")(torch.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from torchseq import config
from torchseq.utils import identifiers
from torchseq.utils.naming import to_snake_case

__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "deserialize",
    "get",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "serialize",
    "unit_norm",
]

Axis = int | Sequence[int]


class Constraint:
    """Base class: ``__call__(w)`` returns the constrained weight. The base returns ``w``."""

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-serialisable."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        """Rebuild a constraint from the output of :meth:`get_config`."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescale weight vectors whose L2 norm along ``axis`` exceeds ``max_value``.

    Args:
        max_value: The largest allowed norm. Defaults to ``2``.
        axis: Axis or axes the norm is taken over. Defaults to ``0``.
    """

    def __init__(self, max_value: float = 2, axis: Axis = 0) -> None:
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        norms = _l2_norms(w, self.axis)
        desired = torch.clamp(norms, 0, self.max_value)
        return w * (desired / (config.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Move the L2 norm along ``axis`` into ``[min_value, max_value]``, at ``rate``.

    The new norm is ``rate * clip(norm, min_value, max_value) + (1 - rate) * norm``.

    Args:
        min_value: The smallest allowed norm. Defaults to ``0.0``.
        max_value: The largest allowed norm. Defaults to ``1.0``.
        rate: How far to move towards the range, 1.0 for all the way. Defaults to ``1.0``.
        axis: Axis or axes the norm is taken over. Defaults to ``0``.
    """

    def __init__(
        self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Axis = 0
    ) -> None:
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        norms = _l2_norms(w, self.axis)
        clipped = torch.clamp(norms, self.min_value, self.max_value)
        desired = self.rate * clipped + (1 - self.rate) * norms
        return w * (desired / (config.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


class NonNeg(Constraint):
    """Replace negative weights with zero."""

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return torch.clamp(w, min=0)


class UnitNorm(Constraint):
    """Scale weight vectors to unit L2 norm along ``axis``.

    Args:
        axis: Axis or axes the norm is taken over. Defaults to ``0``.
    """

    def __init__(self, axis: Axis = 0) -> None:
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w / (config.epsilon() + _l2_norms(w, self.axis))

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


def _l2_norms(w: torch.Tensor, axis: Axis) -> torch.Tensor:
    """``sqrt(sum(w**2))`` over ``axis``, kept for broadcasting; ``axis`` may be a list from JSON."""
    dims = axis if isinstance(axis, int) else tuple(axis)
    return torch.sqrt(torch.sum(torch.square(w), dim=dims, keepdim=True))


max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

_CLASSES: tuple[type[Constraint], ...] = (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
_OBJECTS: dict[str, type[Constraint]] = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{to_snake_case(cls.__name__): cls for cls in _CLASSES},
}


def get(identifier: Any) -> Constraint | Any:
    """Resolve a constraint identifier, following ``keras.constraints.get``.

    Args:
        identifier: ``None`` (returned as is); a name (``"max_norm"``,
            ``"MaxNorm"``, ``"non_neg"``, ``"unit_norm"``, ``"min_max_norm"``),
            resolved with default arguments; a Keras config dict; a Constraint
            class (instantiated) or instance; or any callable ``f(w) -> w``.

    Raises:
        ValueError: For an unknown name (the message lists the valid names).
        TypeError: For an identifier of any other type.
    """
    return identifiers.resolve_object(identifier, kind="constraint", objects=_OBJECTS)


def serialize(constraint: Constraint | Callable[..., Any] | None) -> dict[str, Any] | None:
    """Keras's config dict: ``{"module", "class_name", "config", "registered_name"}``.

    ``None`` gives ``None``, as in Keras, so an unset option serialises as is.
    """
    return identifiers.serialize_object(
        constraint, kind="constraint", module="keras.constraints", objects=_OBJECTS
    )


def deserialize(
    config: str | dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Constraint | Any:
    """Build a constraint from a name or a Keras config dict.

    Args:
        config: A name or the output of :func:`serialize`.
        custom_objects: Extra name -> class (or function) entries, searched first.
    """
    return identifiers.deserialize_object(
        config, kind="constraint", objects=_OBJECTS, custom_objects=custom_objects
    )
