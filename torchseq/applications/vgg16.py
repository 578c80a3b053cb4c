"""``keras.applications.vgg16``: VGG16 with its ``preprocess_input`` and ``decode_predictions``
(the builder lives in :mod:`torchseq.applications.vgg`)."""

from torchseq.applications.vgg import VGG16, decode_predictions, preprocess_input

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]
