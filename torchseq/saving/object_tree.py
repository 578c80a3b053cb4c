"""Where each weight of a model sits in Keras's weights file.

Keras stores a model's state as a tree of objects: a layer's own variables at
``<path>/vars/0``, ``1``, ... (trainable ones first, each in creation order), its sub-layers
under the attribute that holds them (``layers/lstm/cell``), and the members of a list under
their snake-cased class name made unique (``layers/dense``, ``layers/dense_1``). This
module walks a torchseq model the same way, so a file written by either library addresses
the same weights.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn
from torch.nn.parameter import is_lazy

from torchseq.layers.layer import Layer
from torchseq.utils import naming
from torchseq.utils.layouts import Layout

__all__ = ["StateEntry", "keras_class_name", "state_entries"]

@dataclasses.dataclass
class StateEntry:
    """One object's own variables in the file.

    Attributes:
        path: Group path, ``""`` for the model itself (``layers/dense`` ...).
        name: The object's name, stored as the ``vars`` group's ``name`` attribute.
        owner: The layer (for messages).
        variables: ``(dataset key, tensor, layout)`` in Keras's order; the layout converts
            the stored tensor to Keras's shape (``None``: already Keras's).
        unbuilt: Names of weights the layer has not created yet.
    """

    path: str
    name: str
    owner: Layer
    variables: list[tuple[str, torch.Tensor, Layout]]
    unbuilt: list[str]


def state_entries(layer: Layer, path: str = "") -> Iterator[StateEntry]:
    """Every object of ``layer``'s tree with its variables, in Keras's walk order.

    A layer reached twice (shared) is listed once, at the first path that reaches it.
    """
    yield from _walk(layer, path, set())


def keras_class_name(layer: Layer) -> str:
    """The class name Keras gives this layer (``Sequential``, ``Functional``, ``Dense``...).

    A class whose Python name in Keras differs from its public one (Keras files
    ``GroupQueryAttention`` as ``GroupedQueryAttention``) declares ``keras_python_name``.
    """
    from torchseq.models.model import Model

    python_name = getattr(type(layer), "keras_python_name", None)
    if isinstance(python_name, str):
        return python_name
    if type(layer) is Model and getattr(layer, "_graph", None) is not None:
        return "Functional"
    declared = type(layer).__dict__.get("type_name")
    return declared if isinstance(declared, str) else type(layer).__name__


def _walk(layer: Layer, path: str, visited: set[int]) -> Iterator[StateEntry]:
    if id(layer) in visited:
        return
    visited.add(id(layer))
    custom = getattr(layer, "keras_state_tree", None)
    if custom is not None:
        # A layer whose weights Keras keeps in sub-layers (MultiHeadAttention's projections)
        # lists them itself: [(relative path, name, [(tensor, layout), ...]), ...].
        unbuilt = _lazy_weight_names(layer)
        for relative, name, tensors in custom():
            full = _join(path, relative)
            variables = [(str(i), t, layout) for i, (t, layout) in enumerate(tensors)]
            yield StateEntry(full, name, layer, variables, unbuilt)
        return
    yield _own_entry(layer, path)
    for attribute, child in _children(layer):
        child_path = _join(path, attribute)
        if isinstance(child, Layer):
            yield from _walk(child, child_path, visited)
        else:
            yield from _walk_container(child, child_path, visited)


def _walk_container(members: list[Any], path: str, visited: set[int]) -> Iterator[StateEntry]:
    used: dict[str, int] = {}
    for member in members:
        if isinstance(member, Layer):
            name = _unique(naming.to_snake_case(keras_class_name(member)), used)
            yield from _walk(member, _join(path, name), visited)
        elif isinstance(member, (list, tuple, nn.ModuleList)):
            yield from _walk_container(list(member), _join(path, _unique("container", used)), visited)


def _own_entry(layer: Layer, path: str) -> StateEntry:
    from torchseq.layers.wrappers import TorchModule

    if isinstance(layer, TorchModule):
        # As Keras's TorchModuleWrapper: the wrapped module's state dict, by key.
        state = layer.module.state_dict(keep_vars=True)
        variables = [(key, tensor, None) for key, tensor in state.items()]
        return StateEntry(path, layer.name, layer, variables, [])
    specs = layer._weight_specs
    ordered = [n for n, s in specs.items() if s.trainable] + [
        n for n, s in specs.items() if not s.trainable
    ]
    variables = []
    for name in ordered:
        tensor = layer._parameters.get(name, layer._buffers.get(name))
        if tensor is not None and not is_lazy(tensor):
            variables.append((str(len(variables)), tensor, specs[name].layout))
    return StateEntry(path, layer.name, layer, variables, _lazy_weight_names(layer))


def _lazy_weight_names(layer: Layer) -> list[str]:
    """The layer's own weights that ``build`` has not created yet."""
    return [
        name
        for name, tensor in (*layer._parameters.items(), *layer._buffers.items())
        if tensor is not None and is_lazy(tensor)
    ]


def _children(layer: Layer) -> list[tuple[str, Any]]:
    """(attribute, sub-layer or list of sub-layers), as Keras visits them: a model's
    ``layers`` first, then public attributes by name, then private ones."""
    from torchseq.models.model import Model

    children: list[tuple[str, Any]] = []
    skip = set()
    if isinstance(layer, Model) and _has_layer_list(layer):
        children.append(("layers", layer.layers))
        skip.add("layers")
    names = sorted((n for n in layer._modules if n not in skip), key=_private_last)
    subclassed_model = isinstance(layer, Model) and "layers" not in skip
    if subclassed_model:
        # Keras walks every public attribute of a subclassed model by name, its ``layers``
        # property among them: sub-layers no earlier name reached are saved under "layers/".
        names = sorted([*names, "layers"], key=_private_last)
    for name in names:
        if subclassed_model and name == "layers":
            children.append(("layers", list(layer.layers)))
            continue
        module = layer._modules[name]
        if isinstance(module, Layer):
            children.append((name, module))
        elif isinstance(module, (nn.ModuleList, nn.Sequential)):
            children.append((name, list(module)))
    return children


def _has_layer_list(model: Any) -> bool:
    from torchseq.models.sequential import SequentialModel

    return model._graph is not None or isinstance(model, SequentialModel)


def _private_last(name: str) -> str:
    return f"~{name}" if name.startswith("_") else name


def _unique(name: str, used: dict[str, int]) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name
