"""Keras's ``keras.preprocessing`` namespace, which programs written for Keras 2 still import.

``preprocessing.sequence.pad_sequences`` is ``utils.pad_sequences``; ``preprocessing.image``
holds the image file helpers; ``preprocessing.text`` is empty, as in Keras 3. The three dataset
helpers are the ones in ``utils``.
"""

from __future__ import annotations

from torchseq.preprocessing import image, sequence, text
from torchseq.utils.image_dataset import image_dataset_from_directory
from torchseq.utils.text_dataset import text_dataset_from_directory
from torchseq.utils.timeseries_dataset import timeseries_dataset_from_array

__all__ = [
    "image",
    "image_dataset_from_directory",
    "sequence",
    "text",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
