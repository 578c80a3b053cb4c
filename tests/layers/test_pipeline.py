"""``Pipeline``: layers applied in order, the training flag passed on, configs and files that
move between Keras and torchseq."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchseq
from tests.layers.harness import as_stored
from torchseq import layers, saving
from torchseq.layers.preprocessing.pipeline import Pipeline

keras = pytest.importorskip("keras")

# Until Pipeline is exported from torchseq.layers, loaders find it here.
CUSTOM = {"Pipeline": Pipeline}
X = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")


def test_output_is_the_layers_applied_in_order():
    scale, dense = layers.Rescaling(2.0, offset=1.0), layers.Dense(3)
    pipeline = Pipeline([scale, dense])
    inputs = torch.from_numpy(X)
    np.testing.assert_allclose(
        pipeline(inputs).detach().numpy(), dense(scale(inputs)).detach().numpy(), rtol=1e-6
    )
    assert pipeline.layers == [scale, dense]
    assert pipeline.weights == dense.weights
    assert pipeline.compute_output_shape((None, 4)) == (None, 3)


def test_training_flag_reaches_the_layers():
    pipeline = Pipeline([layers.Dropout(0.5)])
    ones = torch.ones(4, 64)
    assert torch.equal(pipeline(ones), ones)  # inference mode, as every torchseq layer
    dropped = pipeline(ones, training=True)
    assert (dropped == 0).any() and (dropped == 2).any()
    assert not pipeline.training and not pipeline.layers[0].training  # mode restored


def test_mask_is_passed_on():
    pipeline = Pipeline([layers.Masking(0.0), layers.LSTM(2)])
    sequences = np.random.default_rng(1).normal(size=(2, 5, 3)).astype("float32")
    sequences[:, 3:] = 0.0
    outputs = pipeline(torch.from_numpy(sequences))
    np.testing.assert_allclose(
        outputs.detach().numpy(),
        pipeline.layers[1](torch.from_numpy(sequences[:, :3])).detach().numpy(),
        atol=1e-6,
    )


def test_config_round_trip():
    pipeline = Pipeline([layers.Rescaling(0.5), layers.Dense(3, use_bias=False)], name="prep")
    config = pipeline.get_config()
    assert config["name"] == "prep"
    assert [layer["class_name"] for layer in config["layers"]] == ["Rescaling", "Dense"]
    clone = Pipeline.from_config(as_stored(config))
    assert clone.get_config() == config
    assert clone.layers[1].use_bias is False


def test_keras_config_loads():
    reference = keras.layers.Pipeline([keras.layers.Rescaling(2.0), keras.layers.Dense(3)])
    expected = keras.ops.convert_to_numpy(reference(X))
    stored = as_stored(keras.saving.serialize_keras_object(reference))
    pipeline = layers.deserialize(stored, custom_objects=CUSTOM)
    assert isinstance(pipeline, Pipeline) and pipeline.name == reference.name
    assert pipeline.layers[1].built  # from the nested build config
    pipeline.layers[1].set_weights(reference.layers[1].get_weights())
    np.testing.assert_allclose(pipeline(torch.from_numpy(X)).detach().numpy(), expected, rtol=1e-6)


def test_keras_file_round_trip(tmp_path):
    model = torchseq.Sequential(
        [torchseq.Input((4,)), Pipeline([layers.Rescaling(2.0), layers.Dense(3)]), layers.Dense(2)]
    )
    expected = model(torch.from_numpy(X)).detach().numpy()
    path = tmp_path / "pipeline.keras"
    saving.save_model(model, path)
    loaded = saving.load_model(path, custom_objects=CUSTOM)
    assert isinstance(loaded.layers[0], Pipeline)
    np.testing.assert_allclose(loaded(torch.from_numpy(X)).detach().numpy(), expected, rtol=1e-6)


def test_file_written_by_keras_loads(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Pipeline([keras.layers.Rescaling(2.0), keras.layers.Dense(3)]),
            keras.layers.Dense(2),
        ]
    )
    path = tmp_path / "keras_pipeline.keras"
    model.save(path)
    loaded = saving.load_model(path, custom_objects=CUSTOM)
    np.testing.assert_allclose(
        loaded(torch.from_numpy(X)).detach().numpy(),
        keras.ops.convert_to_numpy(model(X)),
        rtol=1e-5,
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [({"name": "p"}, "'layers' entry"), ({"layers": "dense"}, "received: layers='dense'")],
)
def test_from_config_rejects_configs_without_a_layer_list(config, message):
    with pytest.raises(ValueError, match=message):
        Pipeline.from_config(config)


def test_rejects_what_is_not_a_list_of_layers():
    with pytest.raises(TypeError, match="expected a list of layers"):
        Pipeline(layers.Dense(2))
    with pytest.raises(TypeError, match=r"received: layers\[1\]=.* of type Linear"):
        Pipeline([layers.Dense(2), torch.nn.Linear(2, 2)])
