"""Model configs in Keras 3's format: exchanged with Keras both ways, round trips, JSON, errors."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch

import torchseq
from tests.models.graph_cases import CASES, as_arrays, sample_inputs
from torchseq import layers, models
from torchseq.layers.serialization import deserialize_layer, serialize_layer

keras = pytest.importorskip("keras")


def as_json(config):
    return json.loads(json.dumps(config))


def graph_part(config):
    """The node format of a serialized model: everything but the layers' own configs.

    ``mask=None``/``training=None`` in node kwargs are dropped: Keras records them for a
    nested model's call, torchseq does not (they mean "not given" either way).
    """
    config = as_json(config)
    for key in ("build_config", "compile_config"):
        config.pop(key, None)
    inner = config["config"]
    inner.pop("dtype", None)
    entries = []
    for entry in inner["layers"]:
        entry.pop("build_config", None)
        entry.pop("compile_config", None)
        if "layers" in entry["config"]:
            entry["config"] = graph_part(entry)["config"]
        else:
            entry.pop("config")
        for node in entry.get("inbound_nodes", []):
            node["kwargs"] = {k: v for k, v in node["kwargs"].items() if v is not None}
        entries.append(entry)
    inner["layers"] = entries
    return config


def load_class(framework, config):
    model_class = framework.Sequential if "input_layers" not in config else framework.Model
    return model_class.from_config(config)


# ---------------------------------------------------------------------- Keras exchange


@pytest.mark.parametrize("case", sorted(CASES))
def test_node_format_matches_keras(case):
    keras_model, torch_model = CASES[case](keras), CASES[case](torchseq)
    expected = graph_part(keras.saving.serialize_keras_object(keras_model))
    assert graph_part(serialize_layer(torch_model)) == expected


@pytest.mark.parametrize("case", sorted(CASES))
def test_keras_config_loads_into_torchseq(case):
    keras_model = CASES[case](keras)
    model = load_class(torchseq, as_json(keras_model.get_config()))

    assert [layer.name for layer in model.layers] == [layer.name for layer in keras_model.layers]
    model.set_weights(keras_model.get_weights())
    x = sample_inputs(keras_model)
    for ours, theirs in zip(as_arrays(model(x)), as_arrays(keras_model(x)), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", sorted(CASES))
def test_torchseq_config_loads_into_keras(case):
    model = CASES[case](torchseq)
    keras_model = load_class(keras, as_json(model.get_config()))

    assert [layer.name for layer in keras_model.layers] == [layer.name for layer in model.layers]
    keras_model.set_weights(model.get_weights())
    x = sample_inputs(model)
    for ours, theirs in zip(as_arrays(model(x)), as_arrays(keras_model(x)), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_nested_functional_model_counts_keras_extra_node_in_outputs_only():
    config = CASES["nested"](torchseq).get_config()
    inner_fn = next(entry for entry in config["layers"] if entry["name"] == "inner_fn")
    second_call_input = inner_fn["inbound_nodes"][1]["args"][0]["config"]["keras_history"]
    assert second_call_input == ["inner_fn", 0, 0]  # node arguments: calls counted from 0
    assert config["output_layers"] == [["inner_fn", 1, 0], ["inner_fn", 2, 0]]  # Keras's +1


def test_serialized_models_carry_keras_class_names():
    functional, sequential = CASES["lists"](torchseq), CASES["sequential"](torchseq)
    assert {key: serialize_layer(functional)[key] for key in ("module", "class_name")} == {
        "module": "keras.src.models.functional", "class_name": "Functional"
    }
    assert serialize_layer(functional)["registered_name"] == "Functional"
    assert serialize_layer(sequential)["module"] == "keras"
    assert serialize_layer(sequential)["class_name"] == "Sequential"
    for class_name in ("Functional", "Model"):
        entry = {**serialize_layer(functional), "class_name": class_name}
        assert type(deserialize_layer(entry)) is torchseq.Model


def test_constants_and_arrays_in_node_kwargs_exchange_with_keras():
    class KerasScale(keras.layers.Layer):
        def call(self, inputs, factor, offset=None):
            return inputs * factor + keras.ops.convert_to_tensor(offset)

    class Scale(layers.Layer):
        def call(self, inputs, factor, offset=None):
            return inputs * factor + torch.as_tensor(offset)

        def compute_output_shape(self, input_shape):
            return input_shape

        @classmethod
        def from_config(cls, config):
            return cls(name=config["name"])  # Keras's base config has options torchseq lacks

    def build(k, scale_class):
        x = k.Input((3,), name="x")
        offset = np.array([1.0, 2.0, 3.0], dtype="float32")
        return k.Model(x, scale_class(name="scale")(x, factor=2.0, offset=offset))

    keras_model, model = build(keras, KerasScale), build(torchseq, Scale)
    node = model.get_config()["layers"][1]["inbound_nodes"][0]
    assert node["kwargs"] == {
        "factor": 2.0,
        "offset": {"class_name": "__numpy__", "config": {"value": [1.0, 2.0, 3.0],
                                                         "dtype": "float32"}},
    }
    x = np.ones((2, 3), dtype="float32")
    loaded = torchseq.Model.from_config(
        as_json(keras_model.get_config()), custom_objects={"KerasScale": Scale}
    )
    np.testing.assert_allclose(as_arrays(loaded(x))[0], [[3.0, 4.0, 5.0]] * 2)
    keras_loaded = keras.Model.from_config(
        as_json(model.get_config()), custom_objects={"Scale": KerasScale}
    )
    np.testing.assert_allclose(as_arrays(keras_loaded(x))[0], [[3.0, 4.0, 5.0]] * 2)


def test_constant_positional_argument_round_trips():
    class AddConstant(layers.Layer):
        def call(self, inputs, constant):
            return inputs + constant

    x = torchseq.Input((2,), name="x")
    model = torchseq.Model(x, AddConstant(name="plus")(x, 5.0))
    config = model.get_config()
    assert config["layers"][1]["inbound_nodes"][0]["args"][1] == 5.0
    loaded = torchseq.Model.from_config(config, custom_objects={"AddConstant": AddConstant})
    np.testing.assert_allclose(as_arrays(loaded(np.zeros((1, 2), "float32")))[0], [[5.0, 5.0]])


def test_keras_sequential_config_shape():
    config = CASES["sequential"](torchseq).get_config()
    keras_config = CASES["sequential"](keras).get_config()
    assert list(config) == list(keras_config)
    assert config["build_input_shape"] == (None, 3)
    assert config["dtype"]["config"] == {"name": "float32"}


def test_sequential_without_input_is_built_from_build_input_shape():
    keras_model = keras.Sequential([keras.layers.Dense(2, name="d")], name="s")
    keras_model.build((None, 3))
    config = as_json(keras_model.get_config())
    config["layers"] = [entry for entry in config["layers"] if entry["class_name"] != "InputLayer"]
    model = torchseq.Sequential.from_config(config)
    assert model.built and model.input_shape == (None, 3)


def test_unbuilt_sequential_round_trips_unbuilt():
    model = torchseq.Sequential([layers.Dense(2, name="d")], name="s")
    config = model.get_config()
    assert "build_input_shape" not in config
    assert not torchseq.Sequential.from_config(config).built


# ---------------------------------------------------------------------- round trips


@pytest.mark.parametrize("case", sorted(CASES))
def test_from_config_of_get_config_gives_the_same_config(case):
    model = CASES[case](torchseq)
    config = model.get_config()
    rebuilt = type(model).from_config(copy.deepcopy(config))
    assert as_json(rebuilt.get_config()) == as_json(config)
    rebuilt.set_weights(model.get_weights())
    x = sample_inputs(model)
    for ours, theirs in zip(as_arrays(rebuilt(x)), as_arrays(model(x)), strict=True):
        np.testing.assert_allclose(ours, theirs)


def test_to_json_and_model_from_json_round_trip():
    model = CASES["dicts"](torchseq)
    text = model.to_json(indent=1)
    assert json.loads(text)["class_name"] == "Functional"
    rebuilt = models.model_from_json(text)
    assert type(rebuilt) is torchseq.Model
    assert as_json(rebuilt.get_config()) == as_json(model.get_config())


def test_model_from_json_reads_keras_and_keras_reads_to_json():
    keras_model = CASES["nested"](keras)
    model = models.model_from_json(keras_model.to_json())
    assert [layer.name for layer in model.layers] == ["x", "inner_seq", "inner_fn"]
    assert isinstance(model.get_layer("inner_seq"), torchseq.Sequential)
    back = keras.models.model_from_json(model.to_json())
    assert [layer.name for layer in back.layers] == ["x", "inner_seq", "inner_fn"]


def test_model_from_json_rejects_non_json():
    with pytest.raises(ValueError, match="JSON string of a serialized model"):
        models.model_from_json("{not json")


# ---------------------------------------------------------------------- errors


def _lists_config():
    return as_json(CASES["lists"](torchseq).get_config())


def test_unknown_class_names_the_class_and_custom_objects():
    config = _lists_config()
    config["layers"][3]["class_name"] = "Mystery"
    with pytest.raises(ValueError, match=r"Mystery.*custom_objects=\{'Mystery'"):
        torchseq.Model.from_config(config)


def test_unknown_class_loads_from_custom_objects():
    config = _lists_config()
    config["layers"][3]["class_name"] = "Mystery"
    model = torchseq.Model.from_config(config, custom_objects={"Mystery": layers.Dense})
    assert isinstance(model.get_layer("hidden"), layers.Dense)


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (
            lambda c: c["layers"][2].update(inbound_nodes=[["a", 0, 0]]),
            "inbound node 0 of layer 'cat'",
        ),
        (lambda c: c["layers"][2].update(inbound_nodes={"args": []}), "must be a list"),
        (
            lambda c: c["layers"][3]["inbound_nodes"][0]["args"][0]["config"].update(
                keras_history=["cat", 0]
            ),
            r"\[layer name, node index, tensor index\]",
        ),
        (
            lambda c: c["layers"][3]["inbound_nodes"][0]["args"][0]["config"].update(
                keras_history=["ghost", 0, 0]
            ),
            "layer 'ghost', which is not among",
        ),
        (
            lambda c: c["layers"][3]["inbound_nodes"][0]["args"][0]["config"].update(
                keras_history=["cat", 0, 5]
            ),
            "has 1 output",
        ),
        (lambda c: c.update(output_layers=[["head", 3, 0]]), "received a reference to call 3"),
        (lambda c: c.update(input_layers="a"), "'input_layers' must hold"),
        (lambda c: c.pop("output_layers"), "Functional config"),
        (
            lambda c: c["layers"][2]["inbound_nodes"][0]["args"][0][0]["config"].update(
                keras_history=["hidden", 0, 0]
            ),
            "cycle",
        ),
    ],
)
def test_malformed_config_raises(corrupt, message):
    config = _lists_config()
    corrupt(config)
    with pytest.raises(ValueError, match=message):
        torchseq.Model.from_config(config)


def test_config_of_model_on_intermediate_inputs_is_refused():
    x = torchseq.Input((3,), name="x")
    hidden = layers.Dense(3, name="h")(x)
    model = torchseq.Model(hidden, layers.Dense(1, name="o")(hidden))
    with pytest.raises(ValueError, match="inputs come from keras.Input"):
        model.get_config()


# ---------------------------------------------------------------------- subclassed models


class NoArguments(torchseq.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(2)

    def call(self, inputs):
        return self.dense(inputs)


class PlainArguments(torchseq.Model):
    def __init__(self, units=2, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(units, activation=activation)

    def call(self, inputs):
        return self.dense(inputs)


class LayerArgument(torchseq.Model):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def call(self, inputs):
        return self.layer(inputs)


class RequiredArgument(torchseq.Model):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(units)

    def call(self, inputs):
        return self.dense(inputs)


class TwoFunctional(torchseq.Model):
    def __init__(self, units=3):
        x = torchseq.Input((2,))
        super().__init__(x, layers.Dense(units)(x))


def test_subclass_without_arguments_gives_and_takes_the_base_config():
    model = NoArguments()
    model.trainable = False
    config = model.get_config()
    assert config == {"name": model.name, "trainable": False}
    rebuilt = NoArguments.from_config(config)  # Keras 3 fails here: __init__ takes no name
    assert (rebuilt.name, rebuilt.trainable) == (model.name, False)


def test_subclass_config_holds_its_plain_arguments():
    model = PlainArguments(units=5, name="plain")
    assert model.get_config() == {
        "name": "plain", "units": 5, "activation": "relu", "trainable": True
    }
    rebuilt = PlainArguments.from_config(model.get_config())
    assert (rebuilt.name, rebuilt.dense.units) == ("plain", 5)


def test_subclass_with_an_object_argument_cannot_write_its_config():
    with pytest.raises(NotImplementedError, match=r"LayerArgument.*layer=.*define get_config"):
        LayerArgument(layers.Dense(2)).get_config()


def test_subclass_from_config_names_what_does_not_fit():
    with pytest.raises(TypeError, match=r"RequiredArgument.*must return every argument"):
        RequiredArgument.from_config({"name": "r", "trainable": True})
    with pytest.raises(TypeError, match=r"NoArguments.*takes no argument\(s\) \['units'\]"):
        NoArguments.from_config({"name": "n", "units": 3})


def test_functional_subclass_with_its_own_constructor_uses_the_subclass_rule():
    model = TwoFunctional(units=4)
    assert model.get_config() == {"name": model.name, "units": 4, "trainable": True}
    assert TwoFunctional.from_config(model.get_config()).output_shape == (None, 4)


def test_model_from_config_refuses_a_non_functional_config():
    with pytest.raises(ValueError, match="expects a Functional config"):
        torchseq.Model.from_config({"name": "m", "trainable": True})
