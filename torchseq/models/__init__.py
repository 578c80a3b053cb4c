"""Models: ``Model`` (Functional or subclassed) and ``Sequential``; cloning, JSON, files."""

from typing import Any

from torchseq._excluded import missing_attribute
from torchseq.models.cloning import clone_model
from torchseq.models.model import Model, model_from_json
from torchseq.models.sequential import Sequential, SequentialModel

__all__ = [
    "Model",
    "Sequential",
    "SequentialModel",
    "clone_model",
    "load_model",
    "model_from_json",
    "save_model",
]


def __getattr__(name: str) -> Any:
    # Keras also offers load_model and save_model here; they live in ``torchseq.saving``,
    # which sits above this package, so they are looked up on first use.
    if name in __all__:
        from torchseq import saving

        return getattr(saving, name)
    raise missing_attribute(__name__, name)
