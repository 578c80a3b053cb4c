"""Preprocessing layers: feature scaling, lookups, encodings, hashing and text vectorization.

Mirrors Keras's preprocessing layers. The string layers (``StringLookup``,
``TextVectorization``, ``Hashing``/``HashedCrossing`` of strings) take Python strings,
(nested) lists of strings and numpy string/object arrays and return torch tensors; they
belong in the data pipeline, or first in a model called eagerly. The numeric ones
(``IntegerLookup``, ``CategoryEncoding``, ``Hashing`` of integers, ``Discretization``) run
batched on tensors on the model's device, so they also work inside a model's graph. The
image augmentation layers (``RandomFlip``...) act in training only, batched on the device.
"""

from torchseq.layers.preprocessing.aug_mix import AugMix
from torchseq.layers.preprocessing.auto_contrast import AutoContrast
from torchseq.layers.preprocessing.category_encoding import CategoryEncoding
from torchseq.layers.preprocessing.clahe import ContrastLimitedAdaptiveHistogramEqualization
from torchseq.layers.preprocessing.cut_mix import CutMix
from torchseq.layers.preprocessing.discretization import Discretization
from torchseq.layers.preprocessing.equalization import Equalization
from torchseq.layers.preprocessing.hashed_crossing import HashedCrossing
from torchseq.layers.preprocessing.hashing import Hashing
from torchseq.layers.preprocessing.integer_lookup import IntegerLookup
from torchseq.layers.preprocessing.mel_spectrogram import MelSpectrogram
from torchseq.layers.preprocessing.mix_up import MixUp
from torchseq.layers.preprocessing.normalization import Normalization
from torchseq.layers.preprocessing.pipeline import Pipeline
from torchseq.layers.preprocessing.rand_augment import RandAugment
from torchseq.layers.preprocessing.random_brightness import RandomBrightness
from torchseq.layers.preprocessing.random_color_degeneration import RandomColorDegeneration
from torchseq.layers.preprocessing.random_color_jitter import RandomColorJitter
from torchseq.layers.preprocessing.random_contrast import RandomContrast
from torchseq.layers.preprocessing.random_crop import RandomCrop
from torchseq.layers.preprocessing.random_elastic_transform import RandomElasticTransform
from torchseq.layers.preprocessing.random_erasing import RandomErasing
from torchseq.layers.preprocessing.random_flip import RandomFlip
from torchseq.layers.preprocessing.random_gaussian_blur import RandomGaussianBlur
from torchseq.layers.preprocessing.random_grayscale import RandomGrayscale
from torchseq.layers.preprocessing.random_hue import RandomHue
from torchseq.layers.preprocessing.random_invert import RandomInvert
from torchseq.layers.preprocessing.random_perspective import RandomPerspective
from torchseq.layers.preprocessing.random_posterization import RandomPosterization
from torchseq.layers.preprocessing.random_rotation import RandomRotation
from torchseq.layers.preprocessing.random_saturation import RandomSaturation
from torchseq.layers.preprocessing.random_sharpness import RandomSharpness
from torchseq.layers.preprocessing.random_shear import RandomShear
from torchseq.layers.preprocessing.random_translation import RandomTranslation
from torchseq.layers.preprocessing.random_zoom import RandomZoom
from torchseq.layers.preprocessing.rescaling import Rescaling
from torchseq.layers.preprocessing.solarization import Solarization
from torchseq.layers.preprocessing.stft_spectrogram import STFTSpectrogram
from torchseq.layers.preprocessing.string_lookup import StringLookup
from torchseq.layers.preprocessing.text_vectorization import TextVectorization

__all__ = [
    "AugMix",
    "AutoContrast",
    "CategoryEncoding",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "CutMix",
    "Discretization",
    "Equalization",
    "HashedCrossing",
    "Hashing",
    "IntegerLookup",
    "MelSpectrogram",
    "MixUp",
    "Normalization",
    "Pipeline",
    "RandAugment",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomCrop",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "STFTSpectrogram",
    "Solarization",
    "StringLookup",
    "TextVectorization",
]
