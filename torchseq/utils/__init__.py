"""Utilities mirroring ``keras.utils``."""

from __future__ import annotations

import importlib
from typing import Any

from torchseq._excluded import missing_attribute
from torchseq.config import (
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)
from torchseq.utils.config_dict import Config
from torchseq.utils.data_packing import pack_x_y_sample_weight, unpack_x_y_sample_weight
from torchseq.utils.dataset_utils import split_dataset
from torchseq.utils.file_utils import get_file
from torchseq.utils.history_plot import plot_history
from torchseq.utils.image_dataset import image_dataset_from_directory
from torchseq.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from torchseq.utils.keras_tensors import get_source_inputs, is_keras_tensor
from torchseq.utils.model_visualization import model_to_dot, plot_model
from torchseq.utils.naming import clear_session
from torchseq.utils.numerical_utils import normalize, to_categorical
from torchseq.utils.progbar import Progbar
from torchseq.utils.random import set_random_seed
from torchseq.utils.sequence import PyDataset, Sequence
from torchseq.utils.sequence_utils import pad_sequences
from torchseq.utils.text_dataset import text_dataset_from_directory
from torchseq.utils.timeseries_dataset import timeseries_dataset_from_array

# Names defined in packages above this one, looked up on first use (see __getattr__).
_LATE_NAMES = {
    "CustomObjectScope": "torchseq.saving",
    "custom_object_scope": "torchseq.saving",
    "deserialize_keras_object": "torchseq.saving",
    "get_custom_objects": "torchseq.saving",
    "get_registered_name": "torchseq.saving",
    "get_registered_object": "torchseq.saving",
    "register_keras_serializable": "torchseq.saving",
    "serialize_keras_object": "torchseq.saving",
    "standardize_dtype": "torchseq.backend",
}

__all__ = [
    "Config",
    "CustomObjectScope",
    "Progbar",
    "PyDataset",
    "Sequence",
    "array_to_img",
    "clear_session",
    "custom_object_scope",
    "deserialize_keras_object",
    "disable_interactive_logging",
    "enable_interactive_logging",
    "get_custom_objects",
    "get_file",
    "get_registered_name",
    "get_registered_object",
    "get_source_inputs",
    "image_dataset_from_directory",
    "img_to_array",
    "is_interactive_logging_enabled",
    "is_keras_tensor",
    "load_img",
    "model_to_dot",
    "normalize",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "plot_history",
    "plot_model",
    "register_keras_serializable",
    "save_img",
    "serialize_keras_object",
    "set_random_seed",
    "split_dataset",
    "standardize_dtype",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "to_categorical",
    "unpack_x_y_sample_weight",
]


def __getattr__(name: str) -> Any:
    # Keras also offers the custom-object helpers and ``standardize_dtype`` (the Keras
    # name of a dtype, a string) here; they live in packages above this one.
    if name in _LATE_NAMES:
        return getattr(importlib.import_module(_LATE_NAMES[name]), name)
    raise missing_attribute(__name__, name)
