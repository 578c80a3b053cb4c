"""Saving and loading in Keras 3's own formats; mirrors ``keras.saving``.

``save_model`` / ``load_model`` write and read the ``.keras`` archive (architecture,
weights, compile state and optimizer variables); ``save_weights`` / ``load_weights`` the
``.weights.h5`` file. Files move between Keras 3 and torchseq both ways. Loading never
unpickles and never imports what a file names: classes are torchseq's public ones, those
registered with :func:`register_keras_serializable`, or given as ``custom_objects``.
"""

from typing import Any

from torchseq._excluded import missing_attribute
from torchseq.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from torchseq.saving.saving_lib import load_model, load_weights, save_model, save_weights
from torchseq.saving.serialization_lib import deserialize_keras_object, serialize_keras_object

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
]


def __getattr__(name: str) -> Any:
    raise missing_attribute(__name__, name)
