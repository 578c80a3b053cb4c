"""``clone_model``: new layers and weights, the same architecture, Keras 3's options."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import torchseq
from tests.models.graph_cases import CASES, as_arrays, sample_inputs
from torchseq import layers
from torchseq.models import clone_model

keras = pytest.importorskip("keras")


def layer_configs(model):
    """Name, class and config of each layer, as JSON would write them."""
    return json.loads(json.dumps([(type(layer).__name__, layer.get_config())
                                  for layer in model.layers]))


@pytest.mark.parametrize("case", sorted(CASES))
def test_clone_has_the_architecture_and_new_weights(case):
    model = CASES[case](torchseq)
    clone = clone_model(model)

    assert type(clone) is type(model)
    assert clone.name == model.name
    assert layer_configs(clone) == layer_configs(model)
    assert clone.output_shape == model.output_shape
    assert not {id(w) for w in clone.weights} & {id(w) for w in model.weights}
    kernels = [(a, b) for a, b in zip(clone.get_weights(), model.get_weights()) if a.ndim > 1]
    assert not any(np.array_equal(a, b) for a, b in kernels)  # freshly initialised

    clone.set_weights(model.get_weights())
    x = sample_inputs(model)
    for ours, theirs in zip(as_arrays(clone(x)), as_arrays(model(x)), strict=True):
        np.testing.assert_allclose(ours, theirs)


@pytest.mark.parametrize("case", ["dicts", "nested", "lists"])
def test_clone_graph_matches_keras_clone(case):
    ours = clone_model(CASES[case](torchseq)).get_config()
    theirs = keras.models.clone_model(CASES[case](keras)).get_config()

    def nodes(config):
        return json.loads(json.dumps(
            [(entry["name"], entry["inbound_nodes"]) for entry in config["layers"]]
            + [config["input_layers"], config["output_layers"]]
        ), object_hook=lambda d: {k: v for k, v in d.items() if k != "kwargs"})

    assert nodes(ours) == nodes(theirs)


def test_shared_layer_is_cloned_once_and_stays_shared():
    clone = clone_model(CASES["dicts"](torchseq))
    shared = clone.get_layer("shared")
    assert len(shared._inbound_nodes) == 3
    assert len(clone.weights) == 2


def test_clone_function_replaces_a_layer():
    model = CASES["dicts"](torchseq)

    def replace_add(layer):
        if isinstance(layer, layers.Add):
            return layers.Multiply(name="product")
        return layer.__class__.from_config(layer.get_config())

    clone = clone_model(model, clone_function=replace_add)
    assert [layer.name for layer in clone.layers] == ["x", "y", "shared", "product"]
    clone.set_weights(model.get_weights())
    x = sample_inputs(model)
    expected = model.get_layer("shared")(torch.from_numpy(x["x"])) * model.get_layer("shared")(
        torch.from_numpy(x["y"])
    )
    np.testing.assert_allclose(as_arrays(clone(x)["sum"])[0], as_arrays(expected)[0], rtol=1e-6)


def test_clone_function_may_keep_layers_to_share_weights():
    model = CASES["lists"](torchseq)
    clone = clone_model(model, clone_function=lambda layer: layer)
    assert clone.get_layer("hidden") is model.get_layer("hidden")
    assert clone.get_layer("a") is not model.get_layer("a")  # Inputs are always new


def test_clone_function_must_return_a_layer():
    with pytest.raises(TypeError, match=r"must return a Layer.*'cat'"):
        clone_model(CASES["lists"](torchseq), clone_function=lambda layer: None)


def test_call_function_wraps_each_call():
    model = CASES["shared_at_two_depths"](torchseq)
    calls = []

    def call_function(layer, *args, **kwargs):
        calls.append(layer.name)
        return layers.Activation("relu")(layer(*args, **kwargs))

    clone = clone_model(model, call_function=call_function)
    assert calls == ["d", "e", "d"]
    assert sum(isinstance(layer, layers.Activation) for layer in clone.layers) == 3


def test_input_tensors_functional_list_and_dict():
    model = CASES["lists"](torchseq)
    new_a, new_b = torchseq.Input((3,), name="new_a"), torchseq.Input((2,), name="new_b")
    clone = clone_model(model, input_tensors=[new_a, new_b])
    assert clone.inputs == [new_a, new_b]

    dict_model = CASES["dicts"](torchseq)
    new_y, new_x = torchseq.Input((3,), name="y"), torchseq.Input((3,), name="x")
    clone = clone_model(dict_model, input_tensors={"y": new_y, "x": new_x})
    x = sample_inputs(dict_model)
    clone.set_weights(dict_model.get_weights())
    for ours, theirs in zip(as_arrays(clone(x)), as_arrays(dict_model(x)), strict=True):
        np.testing.assert_allclose(ours, theirs)


def test_input_tensors_sequential():
    new_input = torchseq.Input((3,), name="fresh")
    clone = clone_model(CASES["sequential"](torchseq), input_tensors=new_input)
    assert clone.input is new_input
    assert clone.output_shape == (None, 2)


@pytest.mark.parametrize(
    ("input_tensors", "message"),
    [
        ([np.zeros((1, 3))], "must be a symbolic tensor"),
        ("one", "must be a symbolic tensor"),
    ],
)
def test_input_tensors_must_be_symbolic(input_tensors, message):
    with pytest.raises(ValueError, match=message):
        clone_model(CASES["lists"](torchseq), input_tensors=input_tensors)


def test_input_tensors_must_match_the_structure():
    with pytest.raises(ValueError, match="structure of model.input"):
        clone_model(CASES["lists"](torchseq), input_tensors=[torchseq.Input((3,))])


def test_sequential_input_tensors_must_be_one_input():
    with pytest.raises(ValueError, match="takes one input tensor"):
        clone_model(CASES["sequential"](torchseq), input_tensors=[torchseq.Input((3,))] * 2)


def test_sequential_refuses_call_function():
    with pytest.raises(ValueError, match="call_function is not supported for Sequential"):
        clone_model(CASES["sequential"](torchseq), call_function=lambda layer, *a: layer(*a))


def test_unbuilt_sequential_clones_unbuilt():
    model = torchseq.Sequential([layers.Dense(2, name="d")], name="lazy")
    clone = clone_model(model)
    assert not clone.built and [layer.name for layer in clone.layers] == ["d"]


def test_recursive_clones_nested_models_layer_by_layer():
    model = CASES["nested"](torchseq)
    seen = []

    def clone_function(layer):
        seen.append(layer.name)
        return layer.__class__.from_config(layer.get_config())

    clone_model(model, clone_function=clone_function)
    assert seen == ["inner_seq", "inner_fn"]
    seen.clear()
    clone = clone_model(model, clone_function=clone_function, recursive=True)
    assert seen == ["seq_dense", "fn_dense"]
    assert clone.get_layer("inner_fn") is not model.get_layer("inner_fn")
    assert len(clone.get_layer("inner_fn")._inbound_nodes) == 2  # cloned once, called twice


class Subclassed(torchseq.Model):
    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(units)

    def call(self, inputs):
        return self.dense(inputs)


def test_subclassed_model_is_cloned_from_its_config():
    clone = clone_model(Subclassed(units=5, name="sub"))
    assert type(clone) is Subclassed and clone.name == "sub" and clone.dense.units == 5


@pytest.mark.parametrize(
    "options",
    [{"clone_function": lambda layer: layer}, {"input_tensors": "x"}],
)
def test_subclassed_model_refuses_clone_function_and_input_tensors(options):
    with pytest.raises(ValueError, match="only supported for Sequential and Functional models"):
        clone_model(Subclassed(), **options)


def test_subclassed_model_refuses_call_function():
    with pytest.raises(ValueError, match="call_function is only supported for Functional"):
        clone_model(Subclassed(), call_function=lambda layer, *a: layer(*a))
