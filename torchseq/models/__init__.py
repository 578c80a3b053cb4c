"""Models: ``Model`` (Functional or subclassed) and ``Sequential``."""

from torchseq.models.model import Model
from torchseq.models.sequential import Sequential, SequentialModel

__all__ = ["Model", "Sequential", "SequentialModel"]
