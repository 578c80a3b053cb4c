"""``keras.applications.resnet50``: ResNet50 with its ``preprocess_input`` and ``decode_predictions``
(the builder lives in :mod:`torchseq.applications.resnet`)."""

from torchseq.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]
