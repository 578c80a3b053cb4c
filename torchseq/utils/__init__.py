"""Utilities mirroring ``keras.utils``."""

from typing import Any

from torchseq.utils.naming import clear_session
from torchseq.utils.numerical_utils import normalize, to_categorical
from torchseq.utils.progbar import Progbar
from torchseq.utils.random import set_random_seed
from torchseq.utils.sequence import PyDataset, Sequence

__all__ = [
    "CustomObjectScope",
    "Progbar",
    "PyDataset",
    "Sequence",
    "clear_session",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "normalize",
    "register_keras_serializable",
    "serialize_keras_object",
    "set_random_seed",
    "to_categorical",
]


def __getattr__(name: str) -> Any:
    # Keras also offers the custom-object helpers here; they live in ``torchseq.saving``,
    # which sits above this package, so they are looked up on first use.
    if name in __all__:
        from torchseq import saving

        return getattr(saving, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
