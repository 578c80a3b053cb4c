"""Private helpers shared by the normalization layers: affine weights and number checks."""

from __future__ import annotations

import numbers
from typing import Any

from torchseq.layers.layer import Layer

__all__: list[str] = []


def _declare_affine(layer: Layer, *, scale: bool, center: bool) -> None:
    """Declare ``gamma`` and ``beta`` (Keras's order), or register them as absent."""
    for name, present in (("gamma", scale), ("beta", center)):
        if present:
            layer._lazy_weight(name)
        else:
            layer.register_parameter(name, None)


def _add_affine(layer: Any, shape: tuple[int, ...]) -> None:
    """Create the declared ``gamma``/``beta`` of a normalization layer with ``shape``."""
    for name in ("gamma", "beta"):
        if name in layer._parameters and layer._parameters[name] is not None:
            layer.add_weight(
                shape=shape,
                initializer=getattr(layer, f"{name}_initializer"),
                regularizer=getattr(layer, f"{name}_regularizer"),
                constraint=getattr(layer, f"{name}_constraint"),
                name=name,
            )


def _real(layer: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{layer}: {name} must be a number, received: {name}={value!r}")
    return float(value)


def _non_negative(layer: str, name: str, value: Any) -> float:
    value = _real(layer, name, value)
    if value < 0:
        raise ValueError(f"{layer}: {name} must be >= 0, received: {name}={value}")
    return value
