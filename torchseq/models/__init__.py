"""Models: ``Model`` (Functional or subclassed) and ``Sequential``; cloning, JSON, files."""

from typing import Any

from torchseq.models.cloning import clone_model
from torchseq.models.model import Model, model_from_json
from torchseq.models.sequential import Sequential, SequentialModel

# Keras also offers these two here; they live in ``torchseq.saving``, which sits above this
# package, so they are looked up on first use.
_FROM_SAVING = ("load_model", "save_model")

__all__ = ["Model", "Sequential", "SequentialModel", "clone_model", "model_from_json", *_FROM_SAVING]


def __getattr__(name: str) -> Any:
    if name in _FROM_SAVING:
        from torchseq import saving

        return getattr(saving, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
