"""Sub-layers a layer keeps in Python lists, tuples and dicts, owned as Keras owns them.

Keras tracks the layers of ``self.blocks = [Block() for _ in range(4)]`` (and of a list filled
later with ``append``): their weights are the owner's, trained and saved. A torch module only
owns modules set as attributes directly, so :meth:`Layer.__setattr__` hands such containers to
:func:`track`: the attribute keeps a list (a :class:`TrackedList`, or the tuple or dict as
given) and the modules in it are registered under the attribute's name as a
:class:`ContainerModules`, in the order Keras lists them, so that ``state_dict`` keys read
``blocks.0.kernel`` and weight files place them where Keras does (``blocks/dense``, ...).

Example:
    >>> from torchseq import layers
    >>> class Tower(layers.Layer):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.blocks = [layers.Dense(4), layers.Dense(4)]
    ...     def call(self, x):
    ...         for block in self.blocks:
    ...             x = block(x)
    ...         return x
    >>> tower = Tower()
    >>> sorted(tower.state_dict())[:2]
    ['blocks.0.bias', 'blocks.0.kernel']
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from torch import nn

if TYPE_CHECKING:
    from typing import Self

__all__ = ["ContainerModules", "TrackedList", "register", "track"]


class ContainerModules(nn.ModuleList):
    """The modules of a list, tuple or dict attribute, registered under the attribute's name."""


class TrackedList(list):
    """A layer's list attribute: changing it re-registers the modules it holds.

    Copies and pickles are plain lists (the modules travel with the owner's registration).
    """

    def __init__(self, values: Any, owner: nn.Module, name: str) -> None:
        super().__init__(values)
        self._owner = weakref.ref(owner)
        self._name = name

    def _changed(self) -> None:
        owner = self._owner()
        if owner is not None and owner.__dict__.get(self._name) is self:
            register(owner, self._name, self)

    def append(self, value: Any) -> None:
        super().append(value)
        self._changed()

    def extend(self, values: Any) -> None:
        super().extend(values)
        self._changed()

    def insert(self, index: Any, value: Any) -> None:
        super().insert(index, value)
        self._changed()

    def remove(self, value: Any) -> None:
        super().remove(value)
        self._changed()

    def pop(self, index: Any = -1) -> Any:
        value = super().pop(index)
        self._changed()
        return value

    def clear(self) -> None:
        super().clear()
        self._changed()

    def sort(self, *args: Any, **kwargs: Any) -> None:
        super().sort(*args, **kwargs)
        self._changed()

    def reverse(self) -> None:
        super().reverse()
        self._changed()

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self._changed()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        self._changed()

    def __iadd__(self, values: Any) -> Self:
        super().__iadd__(values)
        self._changed()
        return self

    def __copy__(self) -> list:
        return list(self)

    def __deepcopy__(self, memo: dict) -> list:
        import copy

        return [copy.deepcopy(value, memo) for value in self]

    def __reduce_ex__(self, protocol: Any) -> Any:
        return list, (list(self),)


def track(owner: nn.Module, name: str, value: list | tuple | dict) -> Any:
    """The value to store for ``owner.<name> = value``; registers the modules it holds.

    A list holding modules, or an empty list set as a public attribute (filled later, as
    Keras code does in ``__init__``), becomes a :class:`TrackedList`.
    """
    holds_modules = next(_modules_in(value), None) is not None
    if type(value) is list and (holds_modules or (not value and not name.startswith("_"))):
        value = TrackedList(value, owner, name)
    return value


def register(owner: nn.Module, name: str, value: Any) -> None:
    """Register the modules in ``value`` under ``name`` (or drop the registration when none)."""
    modules = list(_modules_in(value))
    if modules:
        owner._modules[name] = ContainerModules(modules)
    elif isinstance(owner._modules.get(name), ContainerModules):
        del owner._modules[name]


def _modules_in(value: Any) -> Iterator[nn.Module]:
    """The modules in a (nested) list, tuple or dict, in Keras's order (dicts by value)."""
    items = value.values() if isinstance(value, dict) else value
    for item in items:
        if isinstance(item, nn.Module):
            yield item
        elif isinstance(item, (list, tuple, dict)):
            yield from _modules_in(item)
