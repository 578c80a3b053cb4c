"""``clone_model``: the same architecture with new layers, so new, freshly initialised weights."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchseq.layers.input_layer import Input, InputLayer
from torchseq.layers.layer import Layer
from torchseq.layers.subclass_config import has_functional_constructor
from torchseq.layers.symbolic import KerasTensor
from torchseq.models.model import Model
from torchseq.models.sequential import SequentialModel
from torchseq.utils import tree

__all__ = ["clone_model"]


def clone_model(
    model: Model,
    input_tensors: Any = None,
    clone_function: Callable[[Layer], Layer] | None = None,
    call_function: Callable[..., Any] | None = None,
    recursive: bool = False,
) -> Model:
    """A new model with the same architecture; mirrors ``keras.models.clone_model``.

    Each layer is replaced by ``clone_function(layer)``, by default a new layer made from the
    layer's config, so the weights are new and freshly initialised (copy them with
    ``clone.set_weights(model.get_weights())``). A layer used several times is cloned once
    and shared the same way. Inputs are always new ``Input`` layers, unless
    ``input_tensors`` gives the tensors to build the clone on.

    Args:
        model: A Sequential or Functional model. A subclassed model is rebuilt from its
            config, and accepts none of the other arguments.
        input_tensors: Symbolic tensors to build the clone on, in the structure of
            ``model.input`` (one tensor for a Sequential model).
        clone_function: ``layer -> new layer``, called once per layer (not on the Inputs);
            return the layer itself to share it with the original.
        call_function: Functional models only: ``call_function(layer, *args, **kwargs)``
            replaces each call of a new layer on its inputs, e.g. to insert layers.
        recursive: Also clone the layers of nested Sequential and Functional models with
            ``clone_function``; otherwise a nested model is handed to ``clone_function``
            whole.

    Returns:
        The new model, with the original's name.

    Raises:
        ValueError: ``clone_function``, ``input_tensors`` or ``call_function`` for a model
            that is not Sequential or Functional, ``call_function`` for a Sequential model,
            or ``input_tensors`` that do not match the model's inputs.

    Example:
        >>> clone = clone_model(model)
        >>> clone.set_weights(model.get_weights())
    """
    clone_layer = _cached_clone_function(clone_function, call_function, recursive, cache={})
    return _clone(model, input_tensors, clone_layer, clone_function, call_function)


def _clone(
    model: Model,
    input_tensors: Any,
    clone_layer: Callable[[Layer], Layer],
    clone_function: Callable[[Layer], Layer] | None,
    call_function: Callable[..., Any] | None,
) -> Model:
    if isinstance(model, SequentialModel):
        if call_function is not None:
            raise ValueError(
                "clone_model: call_function is not supported for Sequential models, whose "
                "layers are listed, not called, when the model is made; use it with "
                f"Functional models. Received model {model.name!r} with "
                f"call_function={call_function!r}"
            )
        return _clone_sequential(model, input_tensors, clone_layer)
    if isinstance(model, Model) and model._graph is not None:
        return _clone_functional(model, input_tensors, clone_layer, call_function)
    if clone_function is not None or input_tensors is not None:
        raise ValueError(
            "clone_model: clone_function and input_tensors are only supported for "
            f"Sequential and Functional models; received model of type "
            f"{type(model).__name__!r} with clone_function={clone_function!r} and "
            f"input_tensors={input_tensors!r}"
        )
    if call_function is not None:
        raise ValueError(
            "clone_model: call_function is only supported for Functional models; received "
            f"model of type {type(model).__name__!r}"
        )
    if not isinstance(model, Layer):
        raise TypeError(
            f"clone_model expects a torchseq Model, received: {model!r} of type "
            f"{type(model).__name__}"
        )
    return type(model).from_config(model.get_config())


def _cached_clone_function(
    clone_function: Callable[[Layer], Layer] | None,
    call_function: Callable[..., Any] | None,
    recursive: bool,
    cache: dict[int, Layer],
) -> Callable[[Layer], Layer]:
    """``clone_function`` applied once per layer, recursing into nested models if asked."""
    base = clone_function or _new_layer_from_config

    def clone_layer(layer: Layer) -> Layer:
        if id(layer) in cache:
            return cache[id(layer)]
        nested = isinstance(layer, SequentialModel) or (
            isinstance(layer, Model) and layer._graph is not None
        )
        if recursive and nested:
            nested_call = None if isinstance(layer, SequentialModel) else call_function
            clone = _clone(layer, None, clone_layer, clone_function, nested_call)
        else:
            clone = base(layer)
        if not isinstance(clone, Layer):
            raise TypeError(
                f"clone_model: clone_function must return a Layer, received {clone!r} of "
                f"type {type(clone).__name__} for layer {layer.name!r}"
            )
        cache[id(layer)] = clone
        return clone

    return clone_layer


def _new_layer_from_config(layer: Layer) -> Layer:
    return type(layer).from_config(layer.get_config())


def _clone_sequential(
    model: SequentialModel, input_tensors: Any, clone_layer: Callable[[Layer], Layer]
) -> SequentialModel:
    new_layers: list[Any] = [clone_layer(layer) for layer in model.layers]
    original_input = model._input_layer
    if input_tensors is not None:
        new_layers.insert(0, _single_input_tensor(input_tensors))
    elif original_input is not None:
        new_layers.insert(
            0,
            Input(
                batch_shape=original_input.batch_shape,
                dtype=original_input.dtype,
                name=original_input.name,
            ),
        )
    return SequentialModel(new_layers, name=model.name, trainable=model.trainable)


def _single_input_tensor(input_tensors: Any) -> KerasTensor:
    if isinstance(input_tensors, (list, tuple)):
        if len(input_tensors) != 1:
            raise ValueError(
                "clone_model: a Sequential model takes one input tensor; received "
                f"input_tensors with {len(input_tensors)} entries"
            )
        input_tensors = input_tensors[0]
    if not isinstance(input_tensors, KerasTensor) or not isinstance(
        input_tensors.layer, InputLayer
    ):
        raise ValueError(  # noqa: TRY004 - Keras's error type for this argument
            "clone_model: input_tensors of a Sequential model must be a tensor from "
            f"keras.Input(...); received: {input_tensors!r}"
        )
    return input_tensors


def _clone_functional(
    model: Model,
    input_tensors: Any,
    clone_layer: Callable[[Layer], Layer],
    call_function: Callable[..., Any] | None,
) -> Model:
    if input_tensors is None:
        input_tensors = tree.map_structure(_new_input_like, model.input)
    else:
        _check_input_structure(model, input_tensors)

    def call(layer: Layer, args: Any, kwargs: dict) -> Any:
        new_layer = clone_layer(layer)
        if call_function is not None:
            return call_function(new_layer, *args, **kwargs)
        return new_layer(*args, **kwargs)

    outputs = model._graph.run(_flatten_like(input_tensors, model.input), call)
    leaves = iter(outputs)
    output_structure = tree.map_structure(lambda _: next(leaves), model._output_structure)
    cls = type(model) if has_functional_constructor(type(model)) else Model
    clone = cls(input_tensors, output_structure, name=model.name)
    if not model.trainable:
        clone.trainable = False
    return clone


def _new_input_like(tensor: KerasTensor) -> KerasTensor:
    name = tensor.layer.name if isinstance(tensor.layer, InputLayer) else None
    return Input(batch_shape=tensor.shape, dtype=tensor.dtype, name=name)


def _flatten_like(structure: Any, reference: Any) -> list[Any]:
    """The leaves of ``structure`` in the order of ``reference`` (dicts by its keys)."""
    if isinstance(reference, dict):
        return [leaf for key in reference for leaf in _flatten_like(structure[key], reference[key])]
    if isinstance(reference, (list, tuple)):
        return [leaf for a, b in zip(structure, reference) for leaf in _flatten_like(a, b)]
    return [structure]


def _check_input_structure(model: Model, input_tensors: Any) -> None:
    leaves = tree.flatten(input_tensors)
    if not all(isinstance(leaf, KerasTensor) for leaf in leaves):
        raise ValueError(
            "clone_model: every entry of input_tensors must be a symbolic tensor (from "
            f"keras.Input or a layer call); received: {input_tensors!r}"
        )
    if not _same_structure(input_tensors, model.input):
        raise ValueError(
            "clone_model: input_tensors must have the structure of model.input; expected "
            f"{_describe(model.input)}, received {_describe(input_tensors)}"
        )


def _same_structure(a: Any, b: Any) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b)
            and all(_same_structure(a[key], b[key]) for key in a)
        )
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (
            isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
            and all(_same_structure(x, y) for x, y in zip(a, b))
        )
    return True


def _describe(structure: Any) -> Any:
    return tree.map_structure(lambda t: getattr(t, "shape", t), structure)
