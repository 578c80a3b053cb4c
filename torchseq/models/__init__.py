"""Models: ``Model`` (Functional or subclassed) and ``Sequential``; cloning and JSON."""

from torchseq.models.cloning import clone_model
from torchseq.models.model import Model, model_from_json
from torchseq.models.sequential import Sequential, SequentialModel

__all__ = ["Model", "Sequential", "SequentialModel", "clone_model", "model_from_json"]
