"""``SequentialModel`` (alias ``Sequential``): a plain stack of layers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from torchseq import dtype_policies
from torchseq.layers.core import Embedding
from torchseq.layers.input_layer import InputLayer
from torchseq.layers.layer import Layer, with_keras_mask
from torchseq.layers.serialization import deserialize_layer, serialize_layer
from torchseq.layers.symbolic import KerasTensor, Node
from torchseq.models.layer_list import LayerList
from torchseq.models.model import Model, fit_input_rank
from torchseq.utils import naming, tree

__all__ = ["Sequential", "SequentialModel"]


class SequentialModel(Model):
    """A linear stack of layers, each with one input and one output; mirrors ``keras.Sequential``.

    The input shape can be given up front (``Input(shape=...)`` as first element,
    ``input_shape=`` / ``input_dim=`` on the first layer, or an ``Embedding`` first, which
    takes token sequences as in Keras 2): the model is then built at once,
    has weights, and every layer has symbolic ``input``/``output``. Otherwise it is built
    by its first call. Any ``torch.nn.Module`` may be added; it is wrapped in
    :class:`~torchseq.layers.TorchModule`.

    Args:
        layers: Optional list of layers (an ``Input`` may come first).
        trainable: Whether the model's weights are trained.
        name: Model name (default ``sequential``, ``sequential_1``, ...).

    Example:
        >>> model = Sequential([Input(shape=(4,)), layers.Dense(2, activation="relu")])
        >>> model.summary()
    """

    type_name = "Sequential"

    def __init__(
        self, layers: Iterable[Any] | None = None, trainable: bool = True, name: str | None = None
    ) -> None:
        Layer.__init__(self, name=name or naming.unique_name("sequential"), trainable=trainable)
        self._graph = None
        # `layers` is also the read-only property below; the container sits under that key so
        # that state-dict keys read `layers.0.kernel`.
        self._modules["layers"] = nn.ModuleList().train(False)
        self._stack: list[Layer] = []
        self._produces_masks: bool | None = None
        self._set_input_layer(None)
        self._graph_nodes: list[Node] = []
        self._output_tensor: KerasTensor | None = None
        if layers is not None and (
            isinstance(layers, (str, nn.Module, KerasTensor)) or not isinstance(layers, Iterable)
        ):
            raise TypeError(
                "Sequential expects a list of layers, received: "
                f"layers={layers!r} of type {type(layers).__name__}"
            )
        for layer in layers or ():
            self._append(layer)
        self._count_functional()

    # ------------------------------------------------------------------ building

    def add(self, layer: Any) -> None:
        """Append a layer (or an ``Input``, as first element) to the stack."""
        self._append(layer)
        self._count_functional()

    def _append(self, layer: Any) -> None:
        if isinstance(layer, KerasTensor):
            layer = self._input_layer_of(layer)
        if isinstance(layer, InputLayer):
            self._set_input(layer)
            return
        if isinstance(layer, nn.Module) and not isinstance(layer, Layer):
            from torchseq.layers.wrappers import TorchModule

            layer = TorchModule(layer)
        if not isinstance(layer, Layer):
            raise TypeError(
                "Sequential.add expects a Layer, a torch.nn.Module or an Input, received: "
                f"{layer!r} of type {type(layer).__name__}"
            )
        if any(module is self for module in layer.modules()):
            raise ValueError(
                f"Sequential.add: model {self.name!r} cannot be added to itself (directly or "
                f"inside {layer.name!r}): calling it would recurse without end"
            )
        taken = [existing.name for existing in self._stack]
        if layer.name in taken:
            raise ValueError(
                f"All layers added to a Sequential model should have unique names. Name "
                f"{layer.name!r} is already the name of a layer in model {self.name!r} "
                f"(layers: {taken})"
            )
        if not self._stack and self._input_layer is None:
            self._set_first_input(layer)
        if self._input_layer is not None:
            self._output_tensor = self._connect(layer, self._current_output())
        self._modules["layers"].append(layer)
        self._stack.append(layer)
        self._produces_masks = None
        if self._input_layer is None and len(self._stack) == 2:
            self._build_from_first_model()

    def _build_from_first_model(self) -> None:
        """Keras's rule: a stack led by a model with one input (a Functional or built
        Sequential model) is built for that input once a second layer follows it."""
        first = self._stack[0]
        if not isinstance(first, Model):
            return
        try:
            shape = first.input_shape
        except (AttributeError, ValueError):  # a subclassed model has no symbolic input
            return
        if tree.is_shape(shape):
            self._set_input_layer(InputLayer(batch_shape=tuple(shape)))
            self._rebuild()

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise TypeError(f"There are no layers in Sequential model {self.name!r} to pop")
        layer = self._stack.pop()
        self._produces_masks = None
        del self._modules["layers"][-1]
        self._rebuild()
        self._count_functional()
        return layer

    def build(self, input_shape: Any = None) -> None:
        """Build the model for inputs of ``input_shape`` (batch axis first)."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(
                    f"Sequential model {self.name!r}: build() needs an input_shape, e.g. "
                    "model.build((None, 4)), when the model has no Input"
                )
            return
        if isinstance(input_shape, list) and len(input_shape) == 1 and tree.is_shape(input_shape[0]):
            input_shape = input_shape[0]
        if not tree.is_shape(input_shape):
            raise ValueError(
                f"Sequential model {self.name!r} takes one input; build() expects one shape "
                f"tuple, received: {input_shape!r}"
            )
        if self.built and tuple(self._input_layer.batch_shape) == tuple(input_shape):
            return  # built for this shape already: keep the Input (and its name)
        self._set_input_layer(InputLayer(batch_shape=tuple(input_shape)))
        self._rebuild()
        self._count_functional()

    def _build_for(self, input_shapes: Any) -> None:
        self.build(input_shapes)

    def _set_first_input(self, layer: Layer) -> None:
        """The input a first layer fixes: its ``input_shape=`` (Keras 2 spelling), or, for an
        ``Embedding``, Keras 2's rule: token sequences of shape ``(input_length,)``, or of any
        length (``(None,)``) when ``input_length`` is not given."""
        if isinstance(layer, Embedding):
            batch_shape = layer._batch_input_shape or (None, None)
            self._set_input(InputLayer(batch_shape=batch_shape, dtype="int32"))
        elif layer._batch_input_shape is not None:
            self._set_input(InputLayer(batch_shape=layer._batch_input_shape))

    def _set_input(self, input_layer: InputLayer) -> None:
        if self._input_layer is not None or self._stack:
            raise ValueError(
                f"Sequential model {self.name!r} already has "
                + ("an input" if self._input_layer is not None else "layers")
                + f"; an Input can only be its first element, received {input_layer!r}"
            )
        self._set_input_layer(input_layer)
        self._rebuild()

    def _count_functional(self) -> None:
        """Take the next automatic ``functional`` name when the stack has an input and a
        layer: Keras wraps each (re)build of a Sequential in a Functional model, so the
        names of the models made after it count on from there."""
        if self._input_layer is not None and self._stack:
            naming.unique_name("functional")

    def _set_input_layer(self, layer: InputLayer | None) -> None:
        # Kept out of the module tree: the Input holds no weights and is not a layer here.
        object.__setattr__(self, "_input_layer", layer)

    def _rebuild(self) -> None:
        """Re-run the symbolic input through the stack, replacing this model's old nodes."""
        for node in self._graph_nodes:
            node.detach()
        self._graph_nodes = []
        self._output_tensor = None
        if self._input_layer is None:
            return
        output = self._input_layer._output_tensor
        for layer in self._stack:
            output = self._connect(layer, output)
        self._output_tensor = output

    def _connect(self, layer: Layer, tensor: KerasTensor) -> KerasTensor:
        output = layer(tensor)
        self._graph_nodes.append(layer._inbound_nodes[-1])
        if not isinstance(output, KerasTensor):
            self._graph_nodes.pop().detach()
            raise ValueError(  # noqa: TRY004 - several outputs is a bad value, as in Keras
                f"All layers in a Sequential model should have a single output tensor; layer "
                f"{layer.name!r} returned {output!r}. Use the Functional API for several."
            )
        return output

    def _current_output(self) -> KerasTensor:
        if self._output_tensor is not None:
            return self._output_tensor
        return self._input_layer._output_tensor

    @staticmethod
    def _input_layer_of(tensor: KerasTensor) -> InputLayer:
        layer = tensor.layer
        if not isinstance(layer, InputLayer):
            raise TypeError(
                "Sequential.add accepts a symbolic tensor only from keras.Input(...), received "
                f"the output of layer {getattr(layer, 'name', None)!r}"
            )
        return layer

    # ------------------------------------------------------------------ properties

    @property
    def built(self) -> bool:
        return self._input_layer is not None

    @built.setter
    def built(self, value: bool) -> None:
        pass  # derived from whether the input shape is known

    @property
    def layers(self) -> LayerList:
        """The layers, without the Input (which is not a layer)."""
        return LayerList(self._stack)

    @property
    def produces_masks(self) -> bool:
        # Read on every call: kept until the stack changes.
        if self._produces_masks is None:
            self._produces_masks = any(layer.produces_masks for layer in self._stack)
        return self._produces_masks

    @property
    def weights(self) -> list:
        if not self.built:
            raise ValueError(
                f"Sequential model {self.name!r} has not been built yet, so it has no weights. "
                "Build it by calling it on data (model(x)), with model.build(input_shape), or "
                "give the input shape up front: keras.Input(shape=...) as first layer, or "
                "input_shape= on the first layer."
            )
        return super().weights

    @property
    def inputs(self) -> list[KerasTensor]:
        self._require_built("inputs")
        return [self._input_layer._output_tensor]

    @property
    def outputs(self) -> list[KerasTensor]:
        self._require_built("outputs")
        return [self._current_output()]

    @property
    def input(self) -> KerasTensor:
        return self.inputs[0]

    @property
    def output(self) -> KerasTensor:
        return self.outputs[0]

    @property
    def input_names(self) -> list[str]:
        return [self._input_layer.name] if self.built else []

    @property
    def output_names(self) -> list[str]:
        return [self._stack[-1].name] if self._stack else []

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(
                f"Sequential model {self.name!r} has no {what} yet: it is not built. Give it an "
                "Input, or call it on data first."
            )

    # ------------------------------------------------------------------ calling

    def _output_layers(self) -> list[Layer | None]:
        return self._stack[-1:]

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        if type(inputs) in (list, tuple) and len(inputs) == 1:
            inputs = inputs[0]  # [x] for a Sequential's one input, as Keras accepts it
        spec = self._input_layer
        if type(inputs) is torch.Tensor and spec is not None and inputs.ndim != len(spec.batch_shape):
            inputs = fit_input_rank(inputs, spec._output_tensor, self.name, 0, strict=False)
        if mask is not None or self.produces_masks:
            return self._call_layers(with_keras_mask(inputs, mask), 0)
        outputs = inputs
        if type(inputs) is torch.Tensor and self._plain_stack():
            # No hooks anywhere: run each layer's forward directly, skipping the module-call
            # machinery that would do nothing (the per-layer cost of a small model's step).
            for index, layer in enumerate(self._stack):
                try:
                    outputs = layer.forward(outputs)
                except RecursionError:
                    raise
                except RuntimeError:
                    return self._call_layers(outputs, index)  # re-raised, explained
            return outputs
        return self._call_layers(outputs, 0)

    def _call_layers(self, outputs: Any, start: int) -> Any:
        # Through Layer.__call__, which propagates masks (a layer's output mask feeds the next).
        for layer in self._stack[start:]:
            outputs = layer(outputs)
        return outputs

    def _plain_stack(self) -> bool:
        """Every layer is built and no forward hook (ours, torch's or a user's) is set."""
        if torch.compiler.is_compiling() or _global_hooks_set():
            return False
        return all(
            layer.built
            and not (layer._forward_hooks or layer._forward_pre_hooks
                     or layer._backward_hooks or layer._backward_pre_hooks)
            for layer in self._stack
        )

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        spec = args[0]
        for layer in self._stack:
            spec = layer.compute_output_spec(spec)
        return spec

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.compute_output_spec(KerasTensor(input_shape)).shape

    def get_config(self) -> dict[str, Any]:
        """Keras's Sequential config: the layers (the Input first, once built) and the
        ``build_input_shape``."""
        layers = []
        if self._input_layer is not None:
            layers.append(serialize_layer(self._input_layer))
        layers += [serialize_layer(layer) for layer in self._stack]
        config_ = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": dtype_policies.serialize(self.dtype_policy),
            "layers": layers,
        }
        if self._input_layer is not None:
            config_["build_input_shape"] = self._input_layer.batch_shape
        return config_

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> SequentialModel:
        """Rebuild the model (layers and input, not weights) from ``get_config()``'s output
        or Keras's.

        Raises:
            ValueError: The config has no ``layers`` list.
        """
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError(  # noqa: TRY004 - a malformed config, as from a damaged file
                "Sequential.from_config expects a dict with a 'layers' list (and a 'name'), "
                f"received: {config!r}"
            )
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config["layers"]:
            model.add(deserialize_layer(layer_config, custom_objects, owner="Sequential"))
        build_input_shape = config.get("build_input_shape")
        if not model.built and model._stack and isinstance(build_input_shape, (list, tuple)):
            model.build(tuple(build_input_shape))
        return model

    def get_build_config(self) -> dict[str, Any] | None:
        if self._input_layer is None:
            return None
        return {"input_shape": self._input_layer.batch_shape}


def _global_hooks_set() -> bool:
    hooks = torch.nn.modules.module
    return bool(
        hooks._global_forward_hooks or hooks._global_forward_pre_hooks
        or hooks._global_backward_hooks or hooks._global_backward_pre_hooks
    )


Sequential = SequentialModel
