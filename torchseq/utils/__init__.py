"""Utilities mirroring ``keras.utils``."""

from typing import Any

from torchseq.utils.data_packing import pack_x_y_sample_weight, unpack_x_y_sample_weight
from torchseq.utils.file_utils import get_file
from torchseq.utils.naming import clear_session
from torchseq.utils.numerical_utils import normalize, to_categorical
from torchseq.utils.progbar import Progbar
from torchseq.utils.random import set_random_seed
from torchseq.utils.sequence import PyDataset, Sequence
from torchseq.utils.sequence_utils import pad_sequences

__all__ = [
    "CustomObjectScope",
    "Progbar",
    "PyDataset",
    "Sequence",
    "clear_session",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_file",
    "get_registered_name",
    "get_registered_object",
    "normalize",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "register_keras_serializable",
    "serialize_keras_object",
    "set_random_seed",
    "to_categorical",
    "unpack_x_y_sample_weight",
]


def __getattr__(name: str) -> Any:
    # Keras also offers the custom-object helpers here; they live in ``torchseq.saving``,
    # which sits above this package, so they are looked up on first use.
    if name in __all__:
        from torchseq import saving

        return getattr(saving, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
