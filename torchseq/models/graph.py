"""The layer graph between a Functional model's inputs and outputs.

Layers are ordered as Keras orders them: by decreasing depth (the longest path to an
output), ties broken by the order in which a walk from the outputs first meets them. The
nodes run in that order too, which is a topological order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchseq.layers.layer import Layer
from torchseq.layers.symbolic import KerasTensor, Node
from torchseq.utils import tree

__all__ = ["Graph"]


class Graph:
    """The nodes that compute ``outputs`` from ``inputs`` (flat lists of symbolic tensors)."""

    def __init__(self, inputs: list[KerasTensor], outputs: list[KerasTensor]) -> None:
        self.inputs = inputs
        self.outputs = outputs
        post_order, first_seen = _walk(inputs, outputs)
        depths = _node_depths(post_order)
        layer_depth: dict[Layer, int] = {}
        for node, depth in depths.items():
            layer_depth[node.layer] = max(depth, layer_depth.get(node.layer, 0))
        for tensor in inputs:  # inputs that no output uses still belong to the model
            if tensor.node is not None and tensor.node.is_input:
                layer_depth.setdefault(tensor.node.layer, 0)
                first_seen.setdefault(tensor.node.layer, -1)
        self.layers = sorted(layer_depth, key=lambda layer: (-layer_depth[layer], first_seen[layer]))
        position = {node: index for index, node in enumerate(post_order)}
        self.nodes = sorted(depths, key=lambda node: (-depths[node], position[node]))
        self.nodes_by_depth: dict[int, list[Node]] = {}
        for node in self.nodes:
            self.nodes_by_depth.setdefault(depths[node], []).append(node)
        _check_connected(inputs, self.nodes)
        input_ids = {id(t) for t in inputs}
        self._steps = [
            node
            for node in self.nodes
            if not node.is_input and not all(id(t) in input_ids for t in node.output_tensors)
        ]

    def run(self, values: list[Any], call: Callable[..., Any] | None = None) -> list[Any]:
        """Compute the outputs from input values (tensors, or symbolic tensors).

        ``call(layer, args, kwargs)`` runs one node; by default the layer is called, and
        masks travel on the tensors as ``_keras_mask`` (see ``Layer.__call__``).
        """
        known = {id(tensor): value for tensor, value in zip(self.inputs, values)}

        def lookup(arg: Any) -> Any:
            return known[id(arg)] if isinstance(arg, KerasTensor) else arg

        for node in self._steps:
            args = tree.map_structure(lookup, node.call_args)
            kwargs = tree.map_structure(lookup, node.call_kwargs) if node.call_kwargs else {}
            if call is not None:
                result = call(node.layer, args, kwargs)
            else:
                result = node.layer(*args, **kwargs)
            for tensor, value in zip(node.output_tensors, tree.flatten(result)):
                known[id(tensor)] = value
        return [known[id(tensor)] for tensor in self.outputs]

    def run_symbolic(self, values: list[KerasTensor]) -> list[KerasTensor]:
        """Output specs for symbolic inputs, without adding nodes to the layers."""
        return self.run(values, lambda layer, args, kwargs: layer.compute_output_spec(*args, **kwargs))


def _walk(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> tuple[list[Node], dict]:
    """Nodes reachable from the outputs, parents first; and when each layer was first met."""
    input_ids = {id(t) for t in inputs}
    finished: set[Node] = set()
    in_progress: set[Node] = set()
    post_order: list[Node] = []
    first_seen: dict[Layer, int] = {}

    def visit(tensor: KerasTensor) -> None:
        node = tensor.node
        if node is None:
            raise ValueError(f"{tensor!r} was not produced by a layer, so it cannot be a model output")
        if node in finished:
            return
        if not node.is_input and id(tensor) in input_ids:
            finished.add(node)  # an intermediate tensor declared as input: stop here
            return
        if node in in_progress:
            raise ValueError(f"The layer graph has a cycle through layer {node.layer.name!r}")
        first_seen.setdefault(node.layer, len(first_seen))
        in_progress.add(node)
        for parent in node.input_tensors:
            visit(parent)
        in_progress.discard(node)
        finished.add(node)
        post_order.append(node)

    for tensor in outputs:
        visit(tensor)
    return post_order, first_seen


def _node_depths(post_order: list[Node]) -> dict[Node, int]:
    """Longest distance from each node to an output node."""
    in_graph = set(post_order)
    depths: dict[Node, int] = {}
    layer_depth: dict[Layer, int] = {}
    for node in reversed(post_order):
        depth = max(depths.setdefault(node, 0), layer_depth.get(node.layer, 0))
        layer_depth[node.layer] = depth
        depths[node] = depth
        for parent in node.parent_nodes:
            if parent in in_graph:
                depths[parent] = max(depth + 1, depths.get(parent, 0))
    return depths


def _check_connected(inputs: list[KerasTensor], nodes: list[Node]) -> None:
    computable = {id(t) for t in inputs}
    done: list[str] = []
    for node in nodes:
        for tensor in node.input_tensors:
            if id(tensor) not in computable:
                raise ValueError(
                    f"Graph disconnected: cannot compute {tensor!r}, an input of layer "
                    f"{node.layer.name!r}, from the model's inputs. Layers reached without "
                    f"issue: {done}"
                )
        if node.is_input and not any(id(t) in computable for t in node.output_tensors):
            raise ValueError(
                f"Graph disconnected: the output depends on input {node.layer.name!r}, which "
                f"is not among the model's inputs {[t.name for t in inputs]}"
            )
        done.append(node.layer.name)
        computable.update(id(t) for t in node.output_tensors)

