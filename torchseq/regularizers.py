"""Weight regularizers with Keras 3's names, defaults and formulas.

A regularizer maps a weight tensor to a scalar penalty tensor that the
trainer adds to the loss. Formulas follow Keras 3 exactly: ``L2`` is
``l2 * sum(square(x))`` (no factor 1/2).

Example:
    >>> import torch
    >>> from torchseq import regularizers
    >>> regularizers.get("l2")(torch.ones(2, 3))
    tensor(0.0600)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from torchseq import config
from torchseq.utils import identifiers
from torchseq.utils.naming import to_snake_case

__all__ = [
    "L1",
    "L1L2",
    "L2",
    "OrthogonalRegularizer",
    "Regularizer",
    "deserialize",
    "get",
    "l1",
    "l1_l2",
    "l2",
    "orthogonal_regularizer",
    "serialize",
]


class Regularizer:
    """Base class: subclasses implement ``__call__(x) -> scalar tensor`` and ``get_config``.

    The base penalty is zero.
    """

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(())

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-serialisable."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_config()")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        """Rebuild a regularizer from the output of :meth:`get_config`."""
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """``l1 * sum(abs(x)) + l2 * sum(square(x))``.

    Args:
        l1: Non-negative L1 factor; ``None`` means ``0.0``. Defaults to ``0.0``.
        l2: Non-negative L2 factor; ``None`` means ``0.0``. Defaults to ``0.0``.
    """

    def __init__(self, l1: float | None = 0.0, l2: float | None = 0.0) -> None:
        self.l1 = _non_negative_float("l1", 0.0 if l1 is None else l1)
        self.l2 = _non_negative_float("l2", 0.0 if l2 is None else l2)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        penalty = x.new_zeros(())
        if self.l1:
            penalty = penalty + self.l1 * torch.sum(torch.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * torch.sum(torch.square(x))
        return penalty

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(abs(x))``.

    Args:
        l1: Non-negative factor; ``None`` means the default. Defaults to ``0.01``.
    """

    def __init__(self, l1: float | None = 0.01) -> None:
        self.l1 = _non_negative_float("l1", 0.01 if l1 is None else l1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.l1 * torch.sum(torch.abs(x))

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(square(x))``.

    Args:
        l2: Non-negative factor; ``None`` means the default. Defaults to ``0.01``.
    """

    def __init__(self, l2: float | None = 0.01) -> None:
        self.l2 = _non_negative_float("l2", 0.01 if l2 is None else l2)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.l2 * torch.sum(torch.square(x))

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


_ORTHOGONAL_MODES = ("rows", "columns")


class OrthogonalRegularizer(Regularizer):
    """Penalises non-orthogonal rows (or columns) of a 2D weight.

    The rows (``mode="rows"``) or columns are L2-normalised; the penalty is
    ``factor`` times the mean absolute cosine over all distinct pairs, i.e.
    ``factor * 0.5 * sum(|off-diagonal of the Gram matrix|) / (n * (n - 1) / 2)``.

    Args:
        factor: Non-negative multiplier. Defaults to ``0.01``.
        mode: ``"rows"`` or ``"columns"``. Defaults to ``"rows"``.
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = _non_negative_float("factor", factor)
        if mode not in _ORTHOGONAL_MODES:
            raise ValueError(
                f"mode must be one of {list(_ORTHOGONAL_MODES)}, received: mode={mode!r}"
            )
        self.mode = mode

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2:
            raise ValueError(
                "OrthogonalRegularizer expected a rank-2 weight, "
                f"received: shape={tuple(x.shape)} of rank {x.ndim}"
            )
        vectors = x if self.mode == "rows" else x.T
        vectors = _l2_normalize_rows(vectors)
        gram = vectors @ vectors.T
        size = gram.shape[0]
        off_diagonal = gram * (1.0 - torch.eye(size, dtype=x.dtype, device=x.device))
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * torch.sum(torch.abs(off_diagonal)) / num_pairs

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


def _l2_normalize_rows(x: torch.Tensor) -> torch.Tensor:
    """``x / ||row||``, with the inverse norm capped at ``1 / epsilon`` as Keras caps it.

    Clamping the squared norm (rather than capping ``rsqrt`` as Keras does) gives
    the same values but a zero instead of a NaN gradient for an all-zero row.
    """
    squared_norm = torch.sum(torch.square(x), dim=1, keepdim=True)
    return x * torch.rsqrt(torch.clamp(squared_norm, min=config.epsilon() ** 2))


def _non_negative_float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"{name} must be a non-negative number, received: {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    if math.isnan(value) or math.isinf(value) or value < 0:
        raise ValueError(f"{name} must be a finite non-negative number, received: {name}={value}")
    return float(value)


# Keras exposes the classes under snake_case aliases too: ``regularizers.l2(0.01)`` is an L2.
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

_CLASSES: tuple[type[Regularizer], ...] = (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)
_OBJECTS: dict[str, type[Regularizer]] = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{to_snake_case(cls.__name__): cls for cls in _CLASSES},
    # Keras's own table only has "l1l2"; the documented function name is accepted too.
    "l1_l2": L1L2,
}


def get(identifier: Any) -> Regularizer | Any:
    """Resolve a regularizer identifier, following ``keras.regularizers.get``.

    Args:
        identifier: ``None`` (returned as is); a name (``"l1"``, ``"l2"``,
            ``"l1_l2"``, ``"L1L2"``, ``"orthogonal_regularizer"``, ...), resolved
            with default arguments; a Keras config dict; a Regularizer class
            (instantiated) or instance; or any callable ``f(x) -> scalar``.

    Raises:
        ValueError: For an unknown name (the message lists the valid names).
        TypeError: For an identifier of any other type.
    """
    return identifiers.resolve_object(identifier, kind="regularizer", objects=_OBJECTS)


def serialize(regularizer: Regularizer | Callable[..., Any] | None) -> dict[str, Any] | None:
    """Keras's config dict: ``{"module", "class_name", "config", "registered_name"}``.

    ``None`` gives ``None``, as in Keras, so an unset option serialises as is.
    """
    return identifiers.serialize_object(
        regularizer, kind="regularizer", module="keras.regularizers", objects=_OBJECTS
    )


def deserialize(
    config: str | dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Regularizer | Any:
    """Build a regularizer from a name or a Keras config dict.

    Args:
        config: A name or the output of :func:`serialize`.
        custom_objects: Extra name -> class (or function) entries, searched first.
    """
    return identifiers.deserialize_object(
        config, kind="regularizer", objects=_OBJECTS, custom_objects=custom_objects
    )
