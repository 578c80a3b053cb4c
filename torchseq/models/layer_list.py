"""``LayerList``: what ``model.layers`` returns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from torch import nn

__all__ = ["LayerList"]


class LayerList(nn.ModuleList):
    """A copy of a model's layer list that is also a ``torch.nn.ModuleList``.

    Keras's ``model.layers`` is a fresh list: changing it leaves the model as it was. It is
    a ``ModuleList`` as well because torch's tools reach a weight by its state-dict name
    through attributes (``getattr(model, "layers")``, then ``"0"``, then ``"kernel"``):
    ``torch.export.export``, ``torch.func.functional_call``, ``Module.get_parameter``.
    It compares equal to a list of the same layers and prints as a list.

    Args:
        layers: The layers, in order.
    """

    def __init__(self, layers: Iterable[nn.Module] = ()) -> None:
        super().__init__(layers)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple, nn.ModuleList)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = nn.ModuleList.__hash__

    def __add__(self, other: Iterable[Any]) -> list[Any]:  # type: ignore[override]
        return [*self, *other]

    def __radd__(self, other: Iterable[Any]) -> list[Any]:
        return [*other, *self]

    def __repr__(self) -> str:
        return repr(list(self))

    def __getitem__(self, index: int | slice) -> Any:
        # A slice is a plain list, as Keras's: `model.layers[:-1]` is appended to and
        # handed to `Sequential(...)`, which takes a list of layers, not a module.
        if isinstance(index, slice):
            return list(self)[index]
        return super().__getitem__(index)
