"""Preprocessing layers: feature scaling, lookups, encodings, hashing and text vectorization.

Mirrors Keras's preprocessing layers. The string layers (``StringLookup``,
``TextVectorization``, ``Hashing``/``HashedCrossing`` of strings) take Python strings,
(nested) lists of strings and numpy string/object arrays and return torch tensors; they
belong in the data pipeline, or first in a model called eagerly. The numeric ones
(``IntegerLookup``, ``CategoryEncoding``, ``Hashing`` of integers, ``Discretization``) run
batched on tensors on the model's device, so they also work inside a model's graph. The
image augmentation layers (``RandomFlip``...) act in training only, batched on the device.
"""

from torchseq.layers.preprocessing.category_encoding import CategoryEncoding
from torchseq.layers.preprocessing.cut_mix import CutMix
from torchseq.layers.preprocessing.discretization import Discretization
from torchseq.layers.preprocessing.hashed_crossing import HashedCrossing
from torchseq.layers.preprocessing.hashing import Hashing
from torchseq.layers.preprocessing.integer_lookup import IntegerLookup
from torchseq.layers.preprocessing.mel_spectrogram import MelSpectrogram
from torchseq.layers.preprocessing.mix_up import MixUp
from torchseq.layers.preprocessing.normalization import Normalization
from torchseq.layers.preprocessing.pipeline import Pipeline
from torchseq.layers.preprocessing.random_brightness import RandomBrightness
from torchseq.layers.preprocessing.random_contrast import RandomContrast
from torchseq.layers.preprocessing.random_crop import RandomCrop
from torchseq.layers.preprocessing.random_elastic_transform import RandomElasticTransform
from torchseq.layers.preprocessing.random_erasing import RandomErasing
from torchseq.layers.preprocessing.random_flip import RandomFlip
from torchseq.layers.preprocessing.random_gaussian_blur import RandomGaussianBlur
from torchseq.layers.preprocessing.random_perspective import RandomPerspective
from torchseq.layers.preprocessing.random_rotation import RandomRotation
from torchseq.layers.preprocessing.random_shear import RandomShear
from torchseq.layers.preprocessing.random_translation import RandomTranslation
from torchseq.layers.preprocessing.random_zoom import RandomZoom
from torchseq.layers.preprocessing.rescaling import Rescaling
from torchseq.layers.preprocessing.stft_spectrogram import STFTSpectrogram
from torchseq.layers.preprocessing.string_lookup import StringLookup
from torchseq.layers.preprocessing.text_vectorization import TextVectorization

__all__ = [
    "CategoryEncoding",
    "CutMix",
    "Discretization",
    "HashedCrossing",
    "Hashing",
    "IntegerLookup",
    "MelSpectrogram",
    "MixUp",
    "Normalization",
    "Pipeline",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomPerspective",
    "RandomRotation",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "STFTSpectrogram",
    "StringLookup",
    "TextVectorization",
]
