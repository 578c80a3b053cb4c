"""torchseq: Keras's Sequential and Functional models, natively on PyTorch.

``import torchseq as keras`` lets Keras model code run unchanged; every model is an
ordinary ``torch.nn.Module``.
"""

from torchseq import (
    activations,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    preprocessing,
    random,
    regularizers,
    saving,
    tree,
    utils,
)
from torchseq.layers import Input, Layer
from torchseq.models import Model, Sequential, SequentialModel

__version__ = "0.1.0"

__all__ = [
    "Input",
    "Layer",
    "Model",
    "Sequential",
    "SequentialModel",
    "activations",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "regularizers",
    "saving",
    "tree",
    "utils",
]
