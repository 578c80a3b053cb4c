"""``keras.applications.vgg19``: VGG19 with its ``preprocess_input`` and ``decode_predictions``
(the builder lives in :mod:`torchseq.applications.vgg`)."""

from torchseq.applications.vgg import VGG19, decode_predictions, preprocess_input

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]
