"""A Functional model's config in Keras 3's node format, and the model rebuilt from it.

The config lists the model's layers in graph order. Each layer entry is the serialized layer
plus its ``"name"`` and ``"inbound_nodes"``: one ``{"args": [...], "kwargs": {...}}`` per call
of the layer that belongs to the model. A symbolic tensor among the arguments is written as
``{"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history"}}``, where
``keras_history = [layer name, node index, tensor index]``. ``"input_layers"`` and
``"output_layers"`` hold such triples in the structure of the model's inputs and outputs (one
triple, a list of them, or a dict).

Node indices count only the calls that belong to the model. In ``input_layers`` and
``output_layers`` (not in node arguments) Keras counts one more call for a nested Functional
model, a relic of Keras 2 where a Functional model began with a node of its own; the
config is written and read the same way, so that files move between Keras and torchseq.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from torchseq.layers.layer import Layer
from torchseq.layers.serialization import deserialize_layer, serialize_layer
from torchseq.layers.symbolic import KerasTensor, Node

if TYPE_CHECKING:
    from torchseq.models.model import Model

__all__ = ["functional_config", "functional_from_config", "is_functional_config"]

_TENSOR_REFERENCE = "__keras_tensor__"
_REQUIRED_KEYS = ("name", "layers", "input_layers", "output_layers")


# ---------------------------------------------------------------------- writing


def functional_config(model: Model) -> dict[str, Any]:
    """Keras's config of a Functional model: its layers, their calls, its inputs and outputs."""
    graph = model._graph
    own_nodes = set(graph.nodes)
    for tensor in graph.inputs:
        if tensor.node is None or not tensor.node.is_input:
            raise ValueError(
                f"Model {model.name!r}: a config can only describe a model whose inputs come "
                f"from keras.Input(...); input {tensor!r} is the output of layer "
                f"{getattr(tensor.layer, 'name', None)!r}"
            )
    layer_configs = []
    for layer in graph.layers:
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            _serialize_node(node, own_nodes)
            for node in layer._inbound_nodes
            if node in own_nodes and not node.is_input
        ]
        layer_configs.append(entry)

    def endpoint(tensor: KerasTensor) -> list[Any]:
        node_index = _own_node_index(tensor, own_nodes) + _node_offset(tensor.layer)
        return [tensor.layer.name, node_index, tensor.tensor_index]

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layer_configs,
        "input_layers": _map_endpoints(endpoint, model._input_structure),
        "output_layers": _map_endpoints(endpoint, model._output_structure),
    }


def _serialize_node(node: Node, own_nodes: set[Node]) -> dict[str, Any]:
    def write(value: Any) -> Any:
        return _serialize_value(value, node.layer.name, own_nodes)

    return {
        "args": [write(arg) for arg in node.call_args],
        "kwargs": {key: write(value) for key, value in node.call_kwargs.items()},
    }


def _serialize_value(value: Any, layer_name: str, own_nodes: set[Node]) -> Any:
    """A node argument as Keras writes it: tensors by reference, arrays by value."""
    if isinstance(value, KerasTensor):
        return {
            "class_name": _TENSOR_REFERENCE,
            "config": {
                "shape": value.shape,
                "dtype": value.dtype,
                "keras_history": [
                    value.layer.name, _own_node_index(value, own_nodes), value.tensor_index
                ],
            },
        }
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, slice):  # an index of x[...]
        bounds = {"start": value.start, "stop": value.stop, "step": value.step}
        return {"class_name": "__slice__", "config": _serialize_value(bounds, layer_name, own_nodes)}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, (list, tuple)):
        return [_serialize_value(item, layer_name, own_nodes) for item in value]
    if isinstance(value, dict):
        return {key: _serialize_value(item, layer_name, own_nodes) for key, item in value.items()}
    if isinstance(value, torch.Tensor):
        return _array_config("__tensor__", value.detach().cpu().numpy())
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return _array_config("__numpy__", value)
    if isinstance(value, (np.ndarray, np.generic)):
        return value.item()
    raise TypeError(
        f"A call of layer {layer_name!r} received an argument a config cannot hold: expected "
        "symbolic tensors, arrays, numbers, strings, None, or lists and dicts of them; "
        f"received: {value!r} of type {type(value).__name__}"
    )


def _array_config(kind: str, array: np.ndarray) -> dict[str, Any]:
    return {"class_name": kind, "config": {"value": array.tolist(), "dtype": str(array.dtype)}}


def _own_node_index(tensor: KerasTensor, own_nodes: set[Node]) -> int:
    """The producing call's index among those of its layer that belong to the model."""
    earlier = tensor.layer._inbound_nodes[: tensor.node_index]
    return sum(1 for node in earlier if node in own_nodes)


def _node_offset(layer: Layer) -> int:
    # Keras counts a node of its own for a nested Functional model in input/output layers.
    return 1 if getattr(layer, "_graph", None) is not None else 0


def _map_endpoints(fn: Callable[[Any], Any], structure: Any) -> Any:
    if isinstance(structure, dict):
        return {key: _map_endpoints(fn, value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [_map_endpoints(fn, value) for value in structure]
    return fn(structure)


# ---------------------------------------------------------------------- reading


def is_functional_config(config: Any) -> bool:
    """Whether ``config`` describes a Functional graph (layers, inputs and outputs)."""
    return isinstance(config, dict) and all(key in config for key in _REQUIRED_KEYS)


def functional_from_config(
    cls: type[Model], config: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Model:
    """Rebuild a Functional model of class ``cls`` from :func:`functional_config`'s output.

    Every layer is created from its config, then called on the tensors its inbound nodes
    name, in an order where each call's inputs exist (a layer shared at several depths is
    called more than once). Keras's configs load the same way.

    Raises:
        ValueError: A key is missing, a node is malformed or names an unknown layer or
            call, or the nodes cannot all be resolved (a cycle or a disconnected node).
    """
    missing = [key for key in _REQUIRED_KEYS if key not in config]
    if missing:
        raise ValueError(
            f"{cls.__name__}.from_config: a Functional config needs the keys "
            f"{list(_REQUIRED_KEYS)}; missing {missing} (received keys: {sorted(config)})"
        )
    layers: dict[str, Layer] = {}
    pending: dict[str, list[dict[str, Any]]] = {}
    for position, entry in enumerate(config["layers"]):
        name, layer = _create_layer(entry, position, custom_objects)
        layers[name] = layer
        pending[name] = _checked_nodes(entry, name)
    _call_layers(layers, pending)

    def endpoint(reference: list[Any]) -> KerasTensor:
        layer_name, node_index, tensor_index = reference
        layer = layers.get(layer_name)
        return _output_of(layer, layer_name, node_index - _node_offset(layer), tensor_index)

    inputs = _map_references(endpoint, config["input_layers"], "input_layers")
    outputs = _map_references(endpoint, config["output_layers"], "output_layers")
    extra = {"trainable": config["trainable"]} if "trainable" in config else {}
    return cls(inputs=inputs, outputs=outputs, name=config["name"], **extra)


def _create_layer(
    entry: Any, position: int, custom_objects: dict[str, Any] | None
) -> tuple[str, Layer]:
    if not isinstance(entry, dict):
        raise ValueError(  # noqa: TRY004 - a malformed config
            f"Functional config: layers[{position}] must be a serialized layer dict, "
            f"received: {entry!r}"
        )
    name = entry.get("name") or (entry.get("config") or {}).get("name")
    if not isinstance(name, str):
        raise ValueError(  # noqa: TRY004 - a malformed config
            f"Functional config: layers[{position}] needs a string 'name', received: "
            f"{name!r}"
        )
    layer = deserialize_layer(entry, custom_objects, owner="Model.from_config")
    return name, layer


def _checked_nodes(entry: dict[str, Any], layer_name: str) -> list[dict[str, Any]]:
    nodes = entry.get("inbound_nodes", [])
    if not isinstance(nodes, list):
        raise ValueError(  # noqa: TRY004 - a malformed config
            f"Functional config: 'inbound_nodes' of layer {layer_name!r} must be a list, "
            f"received: {nodes!r}"
        )
    for index, node in enumerate(nodes):
        if not (
            isinstance(node, dict)
            and isinstance(node.get("args"), (list, tuple))
            and isinstance(node.get("kwargs", {}), dict)
        ):
            raise ValueError(  # noqa: TRY004 - a malformed config
                f"Functional config: inbound node {index} of layer {layer_name!r} must be "
                f'{{"args": [...], "kwargs": {{...}}}}, received: {node!r}'
            )
        for reference in _references_in(node):
            _check_history(reference, f"a node of layer {layer_name!r}")
    return list(nodes)


def _call_layers(layers: dict[str, Layer], pending: dict[str, list[dict[str, Any]]]) -> None:
    """Call each layer on its nodes' inputs, deferring calls whose inputs do not exist yet."""
    while any(pending.values()):
        progressed = False
        for name, nodes in pending.items():
            while nodes and _ready(nodes[0], layers, name):
                node = nodes.pop(0)
                args = _deserialize_value(node["args"], layers)
                kwargs = _deserialize_value(node.get("kwargs", {}), layers)
                layers[name](*args, **kwargs)
                progressed = True
        if not progressed:
            stuck = {name: len(nodes) for name, nodes in pending.items() if nodes}
            raise ValueError(
                "Functional config: the layer graph has a cycle or a node whose input is never "
                f"produced; calls left unresolved per layer: {stuck}"
            )


def _ready(node: dict[str, Any], layers: dict[str, Layer], layer_name: str) -> bool:
    for history in _references_in(node):
        source_name, node_index, _ = history
        source = layers.get(source_name)
        if source is None:
            raise ValueError(
                f"Functional config: a node of layer {layer_name!r} takes a tensor of layer "
                f"{source_name!r}, which is not among the config's layers {sorted(layers)}"
            )
        if len(source._inbound_nodes) <= node_index:
            return False
    return True


def _references_in(value: Any) -> list[list[Any]]:
    """The ``keras_history`` of every tensor reference in a node's arguments."""
    if isinstance(value, dict):
        if value.get("class_name") == _TENSOR_REFERENCE:
            return [(value.get("config") or {}).get("keras_history")]
        return [ref for item in value.values() for ref in _references_in(item)]
    if isinstance(value, (list, tuple)):
        return [ref for item in value for ref in _references_in(item)]
    return []


def _check_history(history: Any, where: str) -> None:
    if not (
        isinstance(history, (list, tuple))
        and len(history) == 3
        and isinstance(history[0], str)
        and all(isinstance(index, int) and index >= 0 for index in history[1:])
    ):
        raise ValueError(
            f"Functional config: a tensor reference in {where} must be [layer name, node "
            f"index, tensor index], received: {history!r}"
        )


def _deserialize_value(value: Any, layers: dict[str, Layer]) -> Any:
    if isinstance(value, (list, tuple)):
        return [_deserialize_value(item, layers) for item in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("class_name")
    if kind == _TENSOR_REFERENCE:
        layer_name, node_index, tensor_index = value["config"]["keras_history"]
        return _output_of(layers[layer_name], layer_name, node_index, tensor_index)
    if kind in ("__tensor__", "__numpy__"):
        array = np.asarray(value["config"]["value"], dtype=value["config"].get("dtype"))
        return torch.from_numpy(array) if kind == "__tensor__" else array
    if kind == "__slice__":
        bounds = _deserialize_value(value["config"], layers)
        return slice(bounds.get("start"), bounds.get("stop"), bounds.get("step"))
    if kind == "__ellipsis__":
        return Ellipsis
    return {key: _deserialize_value(item, layers) for key, item in value.items()}


def _output_of(
    layer: Layer | None, layer_name: str, node_index: int, tensor_index: int
) -> KerasTensor:
    if layer is None:
        raise ValueError(f"Functional config: no layer named {layer_name!r} in the config")
    nodes = layer._inbound_nodes
    if not 0 <= node_index < len(nodes):
        raise ValueError(
            f"Functional config: layer {layer_name!r} has {len(nodes)} call(s) in the config, "
            f"received a reference to call {node_index}"
        )
    outputs = nodes[node_index].output_tensors
    if not 0 <= tensor_index < len(outputs):
        raise ValueError(
            f"Functional config: call {node_index} of layer {layer_name!r} has "
            f"{len(outputs)} output(s), received a reference to output {tensor_index}"
        )
    return outputs[tensor_index]


def _map_references(fn: Callable[[list[Any]], Any], structure: Any, key: str) -> Any:
    is_triple = isinstance(structure, (list, tuple)) and len(structure) == 3
    if is_triple and isinstance(structure[0], str):
        _check_history(structure, repr(key))
        return fn(structure)
    if isinstance(structure, dict):
        return {name: _map_references(fn, value, key) for name, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [_map_references(fn, value, key) for value in structure]
    raise ValueError(
        f"Functional config: {key!r} must hold [layer name, node index, tensor index] "
        f"triples (alone, in a list or in a dict), received: {structure!r}"
    )
