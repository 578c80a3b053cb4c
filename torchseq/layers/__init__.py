"""Keras layers as torch modules."""

from torchseq.layers.core import Dense
from torchseq.layers.input_layer import Input, InputLayer
from torchseq.layers.layer import InputSpec, Layer

__all__ = ["Dense", "Input", "InputLayer", "InputSpec", "Layer"]
