"""Snake_case aliases and name lookup: ``get``, ``serialize``, ``deserialize``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from torchseq import config
from torchseq.initializers._base import DType, Initializer, Shape, _standardize_shape
from torchseq.initializers._constant import STFT, Constant, Identity, Ones, Zeros
from torchseq.initializers._random import Orthogonal, RandomNormal, RandomUniform, TruncatedNormal
from torchseq.initializers._variance_scaling import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    VarianceScaling,
)
from torchseq.utils import identifiers
from torchseq.utils.naming import to_snake_case

__all__ = [
    "IdentityInitializer",
    "OrthogonalInitializer",
    "STFTInitializer",
    "constant",
    "deserialize",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "stft",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]

# Keras exports every class under a snake_case alias too: ``initializers.he_normal(seed=1)``.
constant = Constant
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
identity = IdentityInitializer = Identity
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
ones = Ones
orthogonal = OrthogonalInitializer = Orthogonal
random_normal = RandomNormal
random_uniform = RandomUniform
stft = STFTInitializer = STFT
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
zeros = Zeros

_CLASSES: tuple[type[Initializer], ...] = (
    Initializer,
    Zeros,
    Ones,
    Constant,
    Identity,
    STFT,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    GlorotUniform,
    GlorotNormal,
    HeUniform,
    HeNormal,
    LecunUniform,
    LecunNormal,
    Orthogonal,
)
_OBJECTS: dict[str, type[Initializer]] = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{to_snake_case(cls.__name__): cls for cls in _CLASSES},
    "IdentityInitializer": Identity,
    "OrthogonalInitializer": Orthogonal,
    "STFTInitializer": STFT,
    "normal": RandomNormal,
    "uniform": RandomUniform,
    "one": Ones,
    "zero": Zeros,
}


def get(identifier: Any) -> Initializer | Callable[..., torch.Tensor] | None:
    """Resolve an initializer identifier, following ``keras.initializers.get``.

    Args:
        identifier: ``None`` (returned as is); a name, snake_case or CamelCase
            (``"glorot_uniform"``, ``"GlorotUniform"``, aliases such as
            ``"normal"``, ``"uniform"``, ``"one"``, ``"zero"``); a Keras config
            dict ``{"class_name": ..., "config": {...}}``; an Initializer class
            (instantiated) or instance; a callable ``f(shape, dtype=None)``; or a
            tensor / numpy array used as the exact initial value.

    Returns:
        An object to call as ``init(shape, dtype=None)``, or ``None``.

    Raises:
        ValueError: For an unknown name (the message lists the valid names).
        TypeError: For an identifier of any other type.

    Example:
        >>> get("he_normal")
        HeNormal(seed=None, input_axes=None, output_axes=None)
    """
    if isinstance(identifier, (torch.Tensor, np.ndarray, np.generic)):
        return _initializer_from_value(identifier)
    return identifiers.resolve_object(identifier, kind="initializer", objects=_OBJECTS)


def serialize(initializer: Initializer | Callable[..., Any] | None) -> dict[str, Any] | None:
    """Keras's config dict: ``{"module", "class_name", "config", "registered_name"}``.

    ``None`` gives ``None``, as in Keras, so an unset option serialises as is.
    """
    return identifiers.serialize_object(
        initializer, kind="initializer", module="keras.initializers", objects=_OBJECTS
    )


def deserialize(
    config: str | dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Initializer | Callable[..., torch.Tensor]:
    """Build an initializer from a name or a Keras config dict.

    Args:
        config: A name or the output of :func:`serialize`.
        custom_objects: Extra name -> class (or function) entries, searched first.
    """
    return identifiers.deserialize_object(
        config, kind="initializer", objects=_OBJECTS, custom_objects=custom_objects
    )


def _initializer_from_value(value: torch.Tensor | np.ndarray | np.generic) -> Callable[..., Any]:
    """An initializer that returns a copy of ``value``, for a weight of exactly its shape."""
    tensor = torch.as_tensor(value)

    def initialize(shape: Shape, dtype: DType = None) -> torch.Tensor:
        if _standardize_shape(shape) != tuple(tensor.shape):
            raise ValueError(
                f"initial value has shape {tuple(tensor.shape)}, expected the weight shape "
                f"to match, received: shape={tuple(shape)}"
            )
        return tensor.to(config.standardize_dtype(dtype), copy=True)

    return initialize
