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
from torchseq._version import __version__ as __version__
from torchseq._version import version
from torchseq.device_scope import device
from torchseq.function import Function
from torchseq.initializers import Initializer
from torchseq.layers import Input, InputSpec, Layer
from torchseq.layers.operation import Operation
from torchseq.layers.symbolic import KerasTensor
from torchseq.layers.variables import Variable
from torchseq.losses import Loss
from torchseq.metrics import Metric
from torchseq.models import Model, Sequential, SequentialModel
from torchseq.name_scopes import name_scope
from torchseq.optimizers import Optimizer
from torchseq.regularizers import Regularizer

__all__ = [
    "Function",
    "Initializer",
    "Input",
    "InputSpec",
    "KerasTensor",
    "Layer",
    "Loss",
    "Metric",
    "Model",
    "Operation",
    "Optimizer",
    "Regularizer",
    "Sequential",
    "SequentialModel",
    "Variable",
    "activations",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "device",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "name_scope",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "regularizers",
    "saving",
    "tree",
    "utils",
    "version",
]
