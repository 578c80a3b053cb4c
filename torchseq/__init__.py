"""torchseq: Keras's Sequential and Functional models, natively on PyTorch.

``import torchseq as keras`` lets Keras model code run unchanged; every model is an
ordinary ``torch.nn.Module``.
"""

from typing import Any

from torchseq import (
    activations,
    applications,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    distribution,
    dtype_policies,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
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
from torchseq._excluded import missing_attribute
from torchseq._version import __version__ as __version__
from torchseq._version import version
from torchseq.device_scope import device
from torchseq.dtype_policies import DTypePolicy, FloatDTypePolicy
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
    "DTypePolicy",
    "FloatDTypePolicy",
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
    "applications",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "device",
    "distribution",
    "dtype_policies",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
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


def __getattr__(name: str) -> Any:
    raise missing_attribute(__name__, name)
