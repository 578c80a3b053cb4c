"""The layers of ``keras.applications`` models that a saved model names.

Keras writes them under their family's module (``keras.src.applications.convnext``); loading
finds them here, and saving writes the same module names, so such files move both ways.
"""

from torchseq.applications.convnext import LayerScale, StochasticDepth
from torchseq.applications.inception_resnet_v2 import CustomScaleLayer

__all__ = ["CustomScaleLayer", "LayerScale", "StochasticDepth"]
