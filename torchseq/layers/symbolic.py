"""Symbolic tensors and graph nodes: what calling a layer on ``Input(...)`` produces.

A :class:`KerasTensor` carries a shape (``None`` for unknown dimensions), a dtype and the
node that made it. A :class:`Node` records one call of a layer on symbolic inputs, so a
Functional model can find the path from its outputs back to its inputs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch

from torchseq import config
from torchseq.utils import tree

if TYPE_CHECKING:
    from torchseq.layers.layer import Layer

__all__ = ["KerasTensor", "Node", "infer_output_spec", "is_symbolic"]


class KerasTensor:
    """A placeholder for a tensor: shape and dtype, no data.

    Args:
        shape: The full shape, batch dimension first; ``None`` marks an unknown size.
        dtype: A torch dtype or a Keras dtype name.
        name: Optional name (an ``Input``'s tensor takes its layer's name).
    """

    def __init__(self, shape: tuple, dtype: Any = None, name: str | None = None) -> None:
        self.shape = tuple(None if dim is None else int(dim) for dim in shape)
        self.dtype = config.standardize_dtype(dtype)
        self.name = name
        self.node: Node | None = None
        self.tensor_index = 0

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def layer(self) -> Layer | None:
        """The layer whose call produced this tensor."""
        return None if self.node is None else self.node.layer

    @property
    def node_index(self) -> int:
        """Index of the producing node among its layer's inbound nodes."""
        return self.node.layer._inbound_nodes.index(self.node)

    def __repr__(self) -> str:
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={self.shape}, dtype={config.dtype_name(self.dtype)}{name}>"


class Node:
    """One call of ``layer`` on symbolic arguments, and the symbolic outputs it produced."""

    def __init__(self, layer: Layer, args: tuple, kwargs: dict, outputs: Any) -> None:
        self.layer = layer
        self.call_args = args
        self.call_kwargs = kwargs
        self.outputs = outputs
        self.input_tensors = [t for t in tree.flatten((args, kwargs)) if isinstance(t, KerasTensor)]
        self.output_tensors = tree.flatten(outputs)
        for index, tensor in enumerate(self.output_tensors):
            tensor.node = self
            tensor.tensor_index = index
        layer._inbound_nodes.append(self)

    @property
    def is_input(self) -> bool:
        return not self.input_tensors

    @property
    def parent_nodes(self) -> list[Node]:
        return [t.node for t in self.input_tensors if t.node is not None]

    def detach(self) -> None:
        """Forget this node: its layer no longer lists it."""
        if self in self.layer._inbound_nodes:
            self.layer._inbound_nodes.remove(self)


def is_symbolic(structure: Any) -> bool:
    """Whether a (nested) argument holds a :class:`KerasTensor`."""
    if isinstance(structure, torch.Tensor):
        return False
    return any(isinstance(leaf, KerasTensor) for leaf in tree.flatten(structure))


# Sizes that stand in for unknown dimensions when a layer is run on fake tensors; two runs
# with different stand-ins tell which output dimensions follow the unknown ones.
_PROBE_SIZES = ((2, 8), (3, 9))


def infer_output_spec(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Run ``fn`` on fake tensors shaped like the symbolic arguments; no real computation.

    Returns a structure of :class:`KerasTensor`, with ``None`` wherever an output
    dimension depends on an unknown input dimension.
    """
    from torch._subclasses.fake_tensor import FakeTensorMode

    runs = []
    for batch_size, unknown_size in _PROBE_SIZES:
        with FakeTensorMode(allow_non_fake_inputs=True):
            make = functools.partial(_fake_like, batch_size=batch_size, unknown_size=unknown_size)
            outputs = fn(*tree.map_structure(make, args), **tree.map_structure(make, kwargs))
            runs.append(tree.map_structure(lambda t: (tuple(t.shape), t.dtype), outputs))
    first, second = runs

    def merge(a: tuple, b: tuple) -> tuple:
        shape = tuple(x if x == y else None for x, y in zip(a[0], b[0]))
        return shape, a[1]

    flat = [merge(a, b) for a, b in zip(_flat_specs(first), _flat_specs(second))]
    leaves = iter(flat)
    return _map_specs(lambda _: KerasTensor(*next(leaves)), first)


def _fake_like(leaf: Any, *, batch_size: int, unknown_size: int) -> Any:
    """A (fake) zero tensor for a symbolic one, unknown sizes replaced by probe sizes."""
    if not isinstance(leaf, KerasTensor):
        return leaf
    shape = [
        (batch_size if axis == 0 else unknown_size) if dim is None else dim
        for axis, dim in enumerate(leaf.shape)
    ]
    return torch.zeros(shape, dtype=leaf.dtype)


def _flat_specs(specs: Any) -> list[tuple]:
    if _is_spec(specs):
        return [specs]
    values = specs.values() if isinstance(specs, dict) else specs
    return [leaf for value in values for leaf in _flat_specs(value)]


def _map_specs(fn: Callable[[tuple], Any], specs: Any) -> Any:
    if _is_spec(specs):
        return fn(specs)
    if isinstance(specs, dict):
        return {key: _map_specs(fn, value) for key, value in specs.items()}
    return type(specs)(_map_specs(fn, value) for value in specs)


def _is_spec(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], torch.dtype)
