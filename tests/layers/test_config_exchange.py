"""Layer configs moving between Keras and torchseq, build configs, layers.serialize/deserialize.

Every ``LayerCase`` already exchanges configs with Keras through ``check_layer``; the cases
here are the layers the tables leave out (wrappers, RNNs of cells, attention with several
inputs) and the rules of the exchange itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from tests.layers.harness import as_stored, check_exchange, to_numpy
from torchseq import layers

keras = pytest.importorskip("keras")

POLICY = {
    "module": "keras",
    "class_name": "DTypePolicy",
    "config": {"name": "float32"},
    "registered_name": None,
}


def random(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


SEQUENCE = random(2, 5, 3)

def exchanged(name: str, make_reference: Callable[[], Any], layer_cls: type, *args: Any) -> Any:
    """A case: a Keras layer factory, the torchseq class, the call arguments."""
    return pytest.param(make_reference, layer_cls, args, id=name)


EXCHANGED = [
    exchanged(
        "Bidirectional(LSTM)",
        lambda: keras.layers.Bidirectional(keras.layers.LSTM(3)),
        layers.Bidirectional,
        SEQUENCE,
    ),
    exchanged(
        "Bidirectional(GRU,sum)",
        lambda: keras.layers.Bidirectional(
            keras.layers.GRU(3, return_sequences=True), merge_mode="sum"
        ),
        layers.Bidirectional,
        SEQUENCE,
    ),
    exchanged(
        "Bidirectional(LSTM,states)",
        lambda: keras.layers.Bidirectional(
            keras.layers.LSTM(3, return_state=True), merge_mode=None
        ),
        layers.Bidirectional,
        SEQUENCE,
    ),
    exchanged(
        "Bidirectional(backward_layer)",
        lambda: keras.layers.Bidirectional(
            keras.layers.SimpleRNN(3, return_sequences=True),
            backward_layer=keras.layers.GRU(2, go_backwards=True, return_sequences=True),
        ),
        layers.Bidirectional,
        SEQUENCE,
    ),
    exchanged(
        "TimeDistributed(Dense)",
        lambda: keras.layers.TimeDistributed(keras.layers.Dense(2)),
        layers.TimeDistributed,
        SEQUENCE,
    ),
    exchanged(
        "TimeDistributed(Conv1D)",
        lambda: keras.layers.TimeDistributed(keras.layers.Conv1D(2, 2)),
        layers.TimeDistributed,
        random(2, 3, 4, 2),
    ),
    exchanged(
        "RNN(SimpleRNNCell)",
        lambda: keras.layers.RNN(keras.layers.SimpleRNNCell(3)),
        layers.RNN,
        SEQUENCE,
    ),
    exchanged(
        "RNN(LSTMCell)",
        lambda: keras.layers.RNN(keras.layers.LSTMCell(3), return_sequences=True),
        layers.RNN,
        SEQUENCE,
    ),
    exchanged(
        "RNN(GRUCell,go_backwards)",
        lambda: keras.layers.RNN(keras.layers.GRUCell(3), go_backwards=True),
        layers.RNN,
        SEQUENCE,
    ),
    exchanged(
        "RNN(StackedRNNCells)",
        lambda: keras.layers.RNN(
            keras.layers.StackedRNNCells([keras.layers.SimpleRNNCell(3), keras.layers.LSTMCell(2)])
        ),
        layers.RNN,
        SEQUENCE,
    ),
    exchanged(
        "RNN([cells])",
        lambda: keras.layers.RNN([keras.layers.GRUCell(2), keras.layers.GRUCell(3)]),
        layers.RNN,
        SEQUENCE,
    ),
    exchanged(
        "MultiHeadAttention(query,value)",
        lambda: keras.layers.MultiHeadAttention(2, 3),
        layers.MultiHeadAttention,
        random(2, 4, 5),
        random(2, 3, 6, seed=1),
    ),
    exchanged(
        "MultiHeadAttention(query,value,key)",
        lambda: keras.layers.MultiHeadAttention(2, 3, value_dim=2, output_shape=(4,)),
        layers.MultiHeadAttention,
        random(2, 4, 5),
        random(2, 3, 6, seed=1),
        random(2, 3, 2, seed=2),
    ),
]


@pytest.mark.parametrize("make_reference, layer_cls, args", EXCHANGED)
def test_wrappers_rnns_and_attention_exchange_configs_with_keras(
    make_reference: Callable[[], Any], layer_cls: type, args: tuple
) -> None:
    check_exchange(make_reference(), layer_cls, args)


# ---------------------------------------------------------------------- Keras options


def keras_dense_config(**changes: Any) -> dict[str, Any]:
    reference = keras.layers.Dense(3, name="dense_in_file")
    reference.build((None, 4))
    return {**as_stored(keras.saving.serialize_keras_object(reference))["config"], **changes}


def test_keras_options_holding_their_defaults_are_accepted() -> None:
    config = keras_dense_config(lora_rank=None, quantization_config=None)
    layer = layers.Dense.from_config(config)
    assert layer.units == 3 and layer.name == "dense_in_file"


@pytest.mark.parametrize(
    "key, value",
    [("quantization_config", {"mode": "int8"}), ("lora_rank", 4), ("lora_alpha", 8.0)],
)
def test_a_keras_option_torchseq_cannot_honour_is_refused(key: str, value: Any) -> None:
    config = keras_dense_config(**{key: value})
    with pytest.raises(ValueError, match=rf'Dense "dense_in_file".*{key}.*received: {key}='):
        layers.Dense.from_config(config)


def test_input_layer_takes_keras_ragged_and_optional_flags() -> None:
    reference = keras.layers.InputLayer(shape=(4,), name="features")
    config = as_stored(keras.saving.serialize_keras_object(reference))["config"]
    assert config["ragged"] is False and config["optional"] is False
    layer = layers.InputLayer.from_config(config)
    assert layer.batch_shape == (None, 4) and layer.name == "features"
    with pytest.raises(ValueError, match=r'InputLayer "features".*ragged.*received: ragged=True'):
        layers.InputLayer.from_config({**config, "ragged": True})
    theirs = keras.layers.InputLayer.from_config(as_stored(layers.serialize(layer))["config"])
    assert tuple(theirs.batch_shape) == (None, 4)


def test_a_keras_lambda_config_is_refused_in_safe_mode() -> None:
    reference = keras.layers.Lambda(lambda x: x * 2.0)
    config = as_stored(keras.saving.serialize_keras_object(reference))["config"]
    with pytest.raises(ValueError, match="Refused to load a Python lambda.*safe_mode=False"):
        layers.Lambda.from_config(config)


def test_a_lambda_of_a_public_function_loads_in_keras() -> None:
    from torchseq import activations

    stored = as_stored(layers.serialize(layers.Lambda(activations.relu)))
    theirs = keras.saving.deserialize_keras_object(stored)
    x = np.array([-1.0, 2.0], dtype="float32")
    np.testing.assert_allclose(to_numpy(theirs(x)), [0.0, 2.0])


# ---------------------------------------------------------------------- dtype policies


def test_dtype_is_written_as_a_keras_dtype_policy() -> None:
    assert layers.Dense(3).get_config()["dtype"] == POLICY
    config = layers.Dense(3, dtype="float64").get_config()
    assert config["dtype"]["config"] == {"name": "float64"}
    assert keras.layers.Dense.from_config(as_stored(config)).dtype == "float64"


def test_a_dtype_policy_config_gives_the_layer_its_dtype() -> None:
    shared = {**POLICY, "config": {"name": "float64"}, "shared_object_id": 140284721188368}
    layer = layers.Dense.from_config({"units": 2, "dtype": shared})
    assert layer.dtype == "float64"
    assert layer(torch.ones(1, 3, dtype=torch.float64)).dtype == torch.float64
    assert layers.Dense.from_config({"units": 2, "dtype": "float64"}).dtype == "float64"


@pytest.mark.parametrize(
    "policy, match",
    [
        ({**POLICY, "config": {"name": "int8_from_float32"}}, ".*quantized policies are not su"),
        ({**POLICY, "class_name": "QuantizedDTypePolicy"}, "Expected a serialized DTypePolicy"),
    ],
)
def test_a_dtype_policy_torchseq_cannot_honour_is_refused(policy: dict, match: str) -> None:
    with pytest.raises(ValueError, match=f"Dense: {match}"):
        layers.Dense(2, dtype=policy)


def test_a_mixed_policy_config_gives_float32_weights_and_half_computation() -> None:
    layer = layers.Dense.from_config({"units": 2, "dtype": {**POLICY, "config": {"name": "mixed_bfloat16"}}})
    assert (layer.variable_dtype, layer.compute_dtype) == ("float32", "bfloat16")
    assert layer.get_config()["dtype"] == keras.layers.Dense(2, dtype="mixed_bfloat16").get_config()["dtype"]


# ---------------------------------------------------------------------- build configs


def built_symbolically(layer: layers.Layer, *shapes: tuple) -> layers.Layer:
    inputs = [layers.Input(shape) for shape in shapes]
    layer(inputs if len(inputs) > 1 else inputs[0])
    return layer


@pytest.mark.parametrize(
    "make_layer, shapes",
    [
        (lambda: layers.Dense(3), [(4,)]),
        (lambda: layers.Conv2D(2, 3), [(6, 6, 3)]),
        (lambda: layers.LSTM(3), [(5, 2)]),
        (lambda: layers.BatchNormalization(), [(4,)]),
        (lambda: layers.Concatenate(), [(2,), (3,)]),
    ],
    ids=["Dense", "Conv2D", "LSTM", "BatchNormalization", "Concatenate"],
)
def test_build_config_round_trip_creates_the_weights(
    make_layer: Callable[[], layers.Layer], shapes: list[tuple]
) -> None:
    layer = built_symbolically(make_layer(), *shapes)
    build_config = layer.get_build_config()
    full_shapes = [(None, *shape) for shape in shapes]
    assert build_config == {"input_shape": full_shapes if len(shapes) > 1 else full_shapes[0]}
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_build_config() is None
    clone.build_from_config(json.loads(json.dumps(build_config)))
    assert clone.built
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in layer.get_weights()]
    assert clone.get_build_config() == build_config


def test_merge_layers_store_a_list_of_shapes_as_keras_does() -> None:
    reference = keras.layers.Add()
    reference([random(2, 3), random(2, 3)])
    ours = layers.Add()
    ours([torch.zeros(2, 3), torch.zeros(2, 3)])
    assert ours.get_build_config() == {"input_shape": [(2, 3), (2, 3)]}
    assert as_stored(ours.get_build_config()) == as_stored(reference.get_build_config())


def test_multi_head_attention_stores_keras_shapes_dict() -> None:
    layer = layers.MultiHeadAttention(2, 3)
    layer(torch.zeros(2, 4, 5), torch.zeros(2, 3, 6))
    build_config = layer.get_build_config()
    assert build_config == {"shapes_dict": {"query_shape": (2, 4, 5), "value_shape": (2, 3, 6)}}
    clone = layers.MultiHeadAttention.from_config(layer.get_config())
    clone.build_from_config(as_stored(build_config))
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in layer.get_weights()]


def test_a_build_config_without_shapes_is_refused() -> None:
    with pytest.raises(ValueError, match='"dense_x": a build config needs an "input_shape"'):
        layers.Dense(2, name="dense_x").build_from_config({"shapes": [None, 3]})


# ---------------------------------------------------------------------- serialize / deserialize


def test_serialize_adds_the_build_config_of_a_built_layer() -> None:
    layer = layers.Dense(3, name="head")
    assert "build_config" not in layers.serialize(layer)
    layer(torch.zeros(2, 4))
    serialized = layers.serialize(layer)
    assert serialized["module"] == "keras.layers" and serialized["class_name"] == "Dense"
    assert serialized["registered_name"] is None
    assert serialized["build_config"] == {"input_shape": (2, 4)}
    assert serialized["config"] == layer.get_config()


def test_deserialize_builds_the_layer_from_its_build_config() -> None:
    layer = layers.Conv1D(2, 3)
    layer(torch.zeros(1, 5, 4))
    clone = layers.deserialize(as_stored(layers.serialize(layer)))
    assert isinstance(clone, layers.Conv1D) and clone.built
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in layer.get_weights()]
    clone.set_weights(layer.get_weights())
    x = torch.from_numpy(random(1, 5, 4))
    torch.testing.assert_close(clone(x), layer(x))


def test_deserialize_reads_keras_serialized_layers() -> None:
    reference = keras.layers.Dense(3, activation="relu")
    reference(random(2, 4))
    layer = layers.deserialize(as_stored(keras.saving.serialize_keras_object(reference)))
    assert isinstance(layer, layers.Dense) and layer.built
    layer.set_weights(reference.get_weights())
    x = random(2, 4, seed=1)
    actual = to_numpy(layer(torch.from_numpy(x)))
    np.testing.assert_allclose(actual, to_numpy(reference(x)), atol=1e-6)


def test_deserialize_uses_custom_objects() -> None:
    class Scale(layers.Layer):
        def call(self, inputs: torch.Tensor) -> torch.Tensor:
            return inputs * 2.0

    serialized = layers.serialize(Scale(name="scale"))
    assert serialized["class_name"] == "Scale" and serialized["registered_name"]
    layer = layers.deserialize(serialized, custom_objects={"Scale": Scale})
    assert isinstance(layer, Scale) and layer.name == "scale"
    unknown = r"layers\.deserialize: .*custom_objects=\{'Scale': Scale\}"
    with pytest.raises(ValueError, match=unknown):
        layers.deserialize(serialized)
