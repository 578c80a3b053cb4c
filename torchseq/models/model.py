"""``Model``: a Functional graph of layers, or a subclass with its own ``call``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from torchseq.layers import subclass_config
from torchseq.layers.layer import Layer, with_keras_mask
from torchseq.layers.operation import Operation
from torchseq.layers.serialization import deserialize_layer, serialize_layer
from torchseq.layers.symbolic import KerasTensor, is_string_array
from torchseq.models import functional_config
from torchseq.models.graph import Graph
from torchseq.models.layer_list import LayerList
from torchseq.training.trainer import Trainer
from torchseq.utils import naming, tree
from torchseq.utils.integers import is_int

__all__ = ["Model", "fit_input_rank", "model_from_json"]


class Model(Trainer, Layer):
    """A model: layers plus (in later issues) the training API; mirrors ``keras.Model``.

    Functional use: ``Model(inputs, outputs)`` where ``inputs`` come from ``Input(...)``
    and ``outputs`` from calling layers on them. Inputs and outputs may be a tensor, a
    list or a dict. Subclass use: subclass ``Model``, create layers in ``__init__`` and
    define ``call``.

    Args:
        inputs: Symbolic input tensor(s).
        outputs: Symbolic output tensor(s), computed from ``inputs``.
        name: Model name (default ``functional``, ``functional_1``, ...).

    Example:
        >>> x = Input(shape=(64,))
        >>> y = layers.Dense(10, activation="softmax")(layers.Dense(32)(x))
        >>> model = Model(x, y)
    """

    def __init__(
        self, inputs: Any = None, outputs: Any = None, name: str | None = None, **kwargs: Any
    ) -> None:
        self._graph: Graph | None = None
        if inputs is None and outputs is None:
            super().__init__(name=name, **kwargs)
            return
        if inputs is None or outputs is None:
            raise ValueError(
                "Model needs both inputs and outputs for a Functional model (or neither, for "
                f"a subclass); received inputs={inputs!r}, outputs={outputs!r}"
            )
        super().__init__(name=name or naming.unique_name("functional"), **kwargs)
        self._init_graph(inputs, outputs)

    def _init_graph(self, inputs: Any, outputs: Any) -> None:
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]  # Keras returns a lone output as a tensor, not a list
        for what, structure in (("inputs", inputs), ("outputs", outputs)):
            for leaf in tree.flatten(structure):
                if not isinstance(leaf, KerasTensor):
                    raise TypeError(
                        f"Model {what} must be symbolic tensors (from keras.Input or layer "
                        f"calls), received: {leaf!r} of type {type(leaf).__name__}"
                    )
        names = [t.node.layer.name if t.node else t.name for t in tree.flatten(inputs)]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                f"Model inputs must have unique names, received inputs named {names} "
                f"({repeated} repeated); give each Input its own name="
            )
        self._input_structure = inputs
        self._output_structure = outputs
        graph = Graph(tree.flatten(inputs), tree.flatten(outputs))
        self._graph = graph
        # keras.ops calls are graph nodes but not layers of the model, as in Keras.
        layers = [layer for layer in graph.layers if not isinstance(layer, Operation)]
        self._modules["layers"] = nn.ModuleList(layers).train(False)
        self.built = True

    # ------------------------------------------------------------------ structure

    @property
    def layers(self) -> LayerList:
        """The model's layers (a Functional model lists its InputLayers too, as Keras does)."""
        if "layers" in self._modules:
            return LayerList(self._modules["layers"])
        return LayerList(m for m in self._tracked_modules() if isinstance(m, Layer))

    def _output_layers(self) -> list[Layer | None]:
        """Per output, the layer whose own output it is, used by nothing else in the graph
        (the trainer may then train it from its logits); ``None`` otherwise."""
        graph = self._graph
        if graph is None or isinstance(self._output_structure, dict):
            return []
        own_nodes = set(graph.nodes)
        consumed = {id(tensor) for node in graph.nodes for tensor in node.input_tensors}
        layers: list[Layer | None] = []
        for tensor in graph.outputs:
            layer = tensor.layer
            exclusive = (
                id(tensor) not in consumed
                and len(tensor.node.output_tensors) == 1
                and sum(node in own_nodes for node in layer._inbound_nodes) == 1
            )
            layers.append(layer if exclusive else None)
        return layers

    @property
    def produces_masks(self) -> bool:
        """Whether a layer inside may create a mask (so an outer model propagates masks)."""
        if self._graph is not None:
            return any(layer.produces_masks for layer in self._graph.layers)
        return super().produces_masks

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """Find a layer by name or by index in ``layers``."""
        layers = self.layers
        if (name is None) == (index is None):
            raise ValueError(
                f"get_layer needs exactly one of name= or index=, received name={name!r}, "
                f"index={index!r}"
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(
                f"get_layer: name must be a string, received: name={name!r} of type "
                f"{type(name).__name__}"
            )
        if index is not None:
            if not is_int(index):
                raise TypeError(
                    f"get_layer: index must be an int, received: index={index!r} of type "
                    f"{type(index).__name__}"
                )
            index = int(index)
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"get_layer: index {index!r} is out of range; model {self.name!r} has "
                    f"{len(layers)} layers (valid indices 0..{len(layers) - 1})"
                )
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"get_layer: no layer named {name!r} in model {self.name!r}; existing layers: "
            f"{[layer.name for layer in layers]}"
        )

    @property
    def inputs(self) -> Any:
        """The symbolic inputs: a list (or the dict the model was built from)."""
        self._require_graph("inputs")
        structure = self._input_structure
        return structure if isinstance(structure, dict) else tree.flatten(structure)

    @property
    def outputs(self) -> Any:
        self._require_graph("outputs")
        structure = self._output_structure
        return structure if isinstance(structure, dict) else tree.flatten(structure)

    @property
    def input(self) -> Any:
        self._require_graph("input")
        return self._input_structure

    @property
    def output(self) -> Any:
        self._require_graph("output")
        return self._output_structure

    @property
    def input_shape(self) -> Any:
        return tree.map_structure(lambda t: t.shape, self.input)

    @property
    def output_shape(self) -> Any:
        return tree.map_structure(lambda t: t.shape, self.output)

    @property
    def type_name(self) -> str:
        """``Functional`` for ``Model(inputs, outputs)`` (Keras's class for it, shown in
        summaries and ``repr``); a subclass's own class name otherwise."""
        if type(self) is Model and self._graph is not None:
            return "Functional"
        return type(self).__name__

    @property
    def input_names(self) -> list[str]:
        """Names of the inputs (empty for a subclassed model)."""
        if self._graph is None:
            return []
        return [t.node.layer.name for t in tree.flatten(self.input)]

    @property
    def output_names(self) -> list[str]:
        """Names of the outputs (empty for a subclassed model, whose outputs have none)."""
        if self._graph is None:
            return []
        if isinstance(self.output, dict):
            return list(self.output)
        return [t.node.layer.name for t in tree.flatten(self.output)]

    def _require_graph(self, what: str) -> None:
        if self._graph is None:
            raise ValueError(
                f"Model {self.name!r} has no {what} yet: it is not a Functional model, or it "
                "is not built. Build it with keras.Input(...) or call it on data first."
            )

    # ------------------------------------------------------------------ calling

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        if self._graph is None:
            raise NotImplementedError(
                f"Model {type(self).__name__}: a subclassed model must define call()"
            )
        values = self._flatten_inputs(inputs)
        for value, spec in zip(values, self._graph.inputs):
            if type(value) is torch.Tensor and value.ndim != len(spec.shape):
                values = self._match_input_ranks(values)
                break
        if mask is not None:
            values = with_keras_mask(values, tree.flatten(mask))
        if any(is_string_array(value) for value in values):
            return self._pack_outputs(self._graph.run(values, self._run_on_strings))
        return self._pack_outputs(self._graph.run(values))

    def _run_on_strings(self, layer: Layer, args: tuple, kwargs: dict) -> Any:
        """One node of a model fed strings: the tensors a string layer makes on the host
        move to the model's device, where the layers after it compute."""
        outputs = layer(*args, **kwargs)
        if not any(is_string_array(leaf) for leaf in tree.flatten(args)):
            return outputs
        device = self._device()
        return tree.map_structure(
            lambda leaf: leaf.to(device) if isinstance(leaf, torch.Tensor) else leaf, outputs
        )

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        if self._graph is None:
            return super().compute_output_spec(*args, **kwargs)
        return self._pack_outputs(self._graph.run_symbolic(self._flatten_inputs(args[0])))

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._graph is None:
            return super().compute_output_shape(input_shape)
        specs = tree.map_shapes(lambda shape: KerasTensor(shape), input_shape)
        return tree.map_structure(lambda t: t.shape, self.compute_output_spec(specs))

    def _flatten_inputs(self, inputs: Any) -> list[Any]:
        """Match call-time inputs (a tensor, a list or a dict by name) to the graph's inputs."""
        expected = self._graph.inputs
        names = [t.node.layer.name if t.node else t.name for t in expected]
        if isinstance(self._input_structure, dict):
            names = list(self._input_structure)
        if isinstance(inputs, dict):
            unknown = sorted(set(inputs) - set(names))
            missing = [name for name in names if name not in inputs]
            if unknown or missing:
                raise ValueError(
                    f"Model {self.name!r} expects inputs named {names}; received keys "
                    f"{sorted(inputs)} (unknown: {unknown}, missing: {missing})"
                )
            flat = [inputs[name] for name in names]
        elif isinstance(inputs, (list, tuple)):
            flat = list(inputs)
        else:
            flat = [inputs]
        if len(flat) != len(expected):
            raise ValueError(
                f"Model {self.name!r} expects {len(expected)} input(s) {names}, received "
                f"{len(flat)}"
            )
        if any(isinstance(value, np.ndarray) for value in flat):
            flat = self._convert_inputs(flat)  # the Inputs' dtypes (utils.conversion's rule)
        return flat

    def _match_input_ranks(self, values: list[Any]) -> list[Any]:
        """Tensors one unit axis off their Input's rank fitted to it, as Keras does: a
        trailing size-1 axis is dropped, or added where the Input's last axis is 1."""
        return [
            fit_input_rank(value, spec, self.name, index)
            for index, (value, spec) in enumerate(zip(values, self._graph.inputs))
        ]

    def _convert_inputs(self, inputs: Any) -> Any:
        """numpy data cast to the Inputs' dtypes; string arrays stay numpy on the host (torch
        has no string tensors) for the model's first string layer to convert."""
        if not any(is_string_array(leaf) for leaf in tree.flatten(inputs)):
            return super()._convert_inputs(inputs)
        held = tree.map_structure(
            lambda leaf: _HostStrings(leaf) if is_string_array(leaf) else leaf, inputs
        )
        converted = super()._convert_inputs(held)
        return tree.map_structure(
            lambda leaf: leaf.array if isinstance(leaf, _HostStrings) else leaf, converted
        )

    def _pack_outputs(self, values: list[Any]) -> Any:
        leaves = iter(values)
        return tree.map_structure(lambda _: next(leaves), self._output_structure)

    def _build_for(self, input_shapes: Any) -> None:
        if self._graph is not None:
            return
        super()._build_for(input_shapes)

    # ------------------------------------------------------------------ config

    def get_config(self) -> dict[str, Any]:
        """The model's config; mirrors ``keras.Model.get_config``.

        A Functional model gives Keras's graph config (``name``, ``trainable``, ``layers``
        with their ``inbound_nodes``, ``input_layers``, ``output_layers``). A subclassed
        model gives its name, trainable flag and the plain-valued arguments its
        ``__init__`` received.

        Raises:
            NotImplementedError: A subclass created with arguments a config cannot hold
                (a layer, a function) that does not define ``get_config`` itself.
        """
        if self._graph is not None and subclass_config.has_functional_constructor(type(self)):
            return functional_config.functional_config(self)
        own = type(self).get_config is not Model.get_config
        return subclass_config.subclass_config(self, own_get_config=own)

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Model:
        """Rebuild a model (architecture, fresh weights) from ``get_config()``'s output.

        Reads Keras's configs as well. A Functional config is rebuilt layer by layer; a
        subclass is constructed from its recorded arguments.

        Args:
            config: The config.
            custom_objects: Optional ``{class name: class}`` for layers torchseq does not
                define.

        Raises:
            ValueError: A malformed Functional config, or a non-Functional one for
                ``Model`` itself.
            TypeError: A subclass's config does not fit its ``__init__``.
        """
        if functional_config.is_functional_config(config) and (
            subclass_config.has_functional_constructor(cls)
        ):
            return functional_config.functional_from_config(cls, config, custom_objects)
        if cls is Model:
            keys = sorted(config) if isinstance(config, dict) else config
            raise ValueError(
                "Model.from_config expects a Functional config with the keys name, layers, "
                f"input_layers and output_layers; received: {keys!r}. A subclassed model is "
                "rebuilt by its own class's from_config."
            )
        return subclass_config.subclass_from_config(cls, config)

    def get_build_config(self) -> dict[str, Any] | None:
        if self._graph is not None:
            return {"input_shape": None}  # a Functional model is built by its graph
        return super().get_build_config()

    def to_json(self, **kwargs: Any) -> str:
        """The serialized model as a JSON string; mirrors ``keras.Model.to_json``.

        Args:
            **kwargs: Passed to ``json.dumps`` (e.g. ``indent=2``).

        Example:
            >>> model_from_json(model.to_json()).summary()
        """
        return json.dumps(serialize_layer(self), **kwargs)

    # ------------------------------------------------------------------ saving

    def save(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Save the whole model as a Keras 3 ``.keras`` archive; mirrors ``keras.Model.save``.

        The archive holds the architecture, the weights, the compile state and the
        optimizer's variables, so ``keras.saving.load_model`` (torchseq's or Keras's)
        returns a model that predicts the same and trains on where this one stopped.

        Args:
            filepath: Path ending in ``.keras``.
            overwrite: Replace an existing file. Defaults to ``True``.
            **kwargs: ``include_optimizer`` (default ``True``).

        Example:
            >>> model.save("model.keras")
            >>> restored = keras.saving.load_model("model.keras")
        """
        from torchseq.saving import save_model

        save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Save the weights (and optimizer variables) to a Keras ``.weights.h5`` file.

        Args:
            filepath: Path ending in ``.weights.h5``.
            overwrite: Replace an existing file. Defaults to ``True``.
        """
        from torchseq.saving import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        """Load weights from a ``.weights.h5`` file, a ``.keras`` archive's weights, or a
        Keras 2 ``.h5`` / ``.hdf5`` file.

        Every array is checked before the first is copied: a file that does not fit raises
        a ``ValueError`` naming the first mismatched weight and changes nothing. A legacy
        ``.h5`` file is matched to the layers that have weights in order (``by_name=True``:
        by layer name), as Keras 3 reads it.

        Args:
            filepath: Path ending in ``.weights.h5``, ``.keras``, ``.h5`` or ``.hdf5``.
            skip_mismatch: Skip, with a warning naming them, the layers (legacy ``.h5``: the
                weights) whose weights differ in number or shape. Defaults to ``False``.
            **kwargs: ``by_name`` for legacy ``.h5`` files. Defaults to ``False``.
        """
        from torchseq.saving import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    # ------------------------------------------------------------------ summary

    def summary(
        self,
        line_length: int | None = None,
        positions: list[float] | None = None,
        print_fn: Callable[..., Any] | None = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Any = None,
    ) -> None:
        """Print Keras's summary table: layers, output shapes, parameter counts.

        Args:
            line_length: Total width of the table (default: 88, or the terminal width).
            positions: Right edges of the columns, as fractions of the width or absolute.
            print_fn: Called once with the whole summary text (default: print to stdout).
            expand_nested: Also list the layers of nested models.
            show_trainable: Add a column telling whether each layer is trainable.
            layer_range: ``[first_name, last_name]`` (regexes) to print a slice of layers.
        """
        from torchseq.models.summary import print_summary

        print_summary(
            self, line_length=line_length, positions=positions, print_fn=print_fn,
            expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range,
        )


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None) -> Layer:
    """Rebuild a model (fresh weights) from ``to_json()``'s output, or Keras's.

    Mirrors ``keras.models.model_from_json``.

    Args:
        json_string: The JSON of a serialized model.
        custom_objects: Optional ``{class name: class}`` for classes torchseq does not define.

    Raises:
        ValueError: The string is not JSON, or names an unknown class.
    """
    try:
        config = json.loads(json_string)
    except (TypeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"model_from_json expects the JSON string of a serialized model, received: "
            f"{str(json_string)[:80]!r} ({error})"
        ) from error
    return deserialize_layer(config, custom_objects, owner="model_from_json")


class _HostStrings:
    """A string array held aside while the other inputs are converted to tensors."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array


def fit_input_rank(
    value: Any, spec: KerasTensor, model_name: str, index: int, *, strict: bool = True
) -> Any:
    """``value`` fitted to the rank of the Input ``spec`` (Keras's rule for model inputs).

    A tensor with one more axis than the Input loses it when it is a trailing size-1 axis;
    one with one axis fewer gains a trailing axis when the Input's last axis is 1. The
    tensor's Keras mask stays on the result.

    Raises:
        ValueError: The ranks differ in any other way, with ``strict`` (otherwise the
            tensor is returned as it is, for the layers to judge).
    """
    if type(value) is not torch.Tensor or value.ndim == len(spec.shape):
        return value
    if value.ndim == len(spec.shape) + 1 and value.shape[-1] == 1:
        fitted = value.squeeze(-1)
    elif value.ndim == len(spec.shape) - 1 and spec.shape[-1] == 1:
        fitted = value.unsqueeze(-1)
    elif not strict:
        return value
    else:
        raise ValueError(
            f"Model {model_name!r}: input {index} ({spec.name!r}) expects shape {spec.shape}, "
            f"received a tensor of incompatible shape {tuple(value.shape)}"
        )
    mask = getattr(value, "_keras_mask", None)
    if mask is not None:
        fitted._keras_mask = mask
    return fitted
