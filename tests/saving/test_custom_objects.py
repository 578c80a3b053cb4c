"""Your own layers and functions in saved models: registration, custom_objects, scopes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchseq
from torchseq import layers, saving


class Scale(layers.Layer):
    """A custom layer with a weight whose shape depends on the input (built from build_config)."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="random_normal")

    def call(self, inputs):
        return inputs * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def scaled_mse(y_true, y_pred):
    return torch.mean((y_true - y_pred) ** 2) * 2


def _model(layer_cls=Scale):
    return torchseq.Sequential([torchseq.Input((3,)), layers.Dense(4), layer_cls(factor=3.0)])


def _x():
    return np.random.default_rng(0).random((2, 3), dtype=np.float32)


def test_unknown_class_error_names_it_and_says_how(tmp_path):
    saving.save_model(_model(), tmp_path / "m.keras")
    with pytest.raises(ValueError, match=r"Scale'.*custom_objects=\{'Scale': Scale\}.*register_keras_serializable"):
        saving.load_model(tmp_path / "m.keras")


def test_custom_objects_argument(tmp_path):
    model = _model()
    saving.save_model(model, tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras", custom_objects={"Scale": Scale})
    assert isinstance(loaded.layers[1], Scale) and loaded.layers[1].factor == 3.0
    np.testing.assert_allclose(loaded.predict(_x(), verbose=0), model.predict(_x(), verbose=0))


def test_custom_object_scope(tmp_path):
    model = _model()
    saving.save_model(model, tmp_path / "m.keras")
    with saving.custom_object_scope({"Scale": Scale}):
        loaded = saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(_x(), verbose=0), model.predict(_x(), verbose=0))
    with pytest.raises(ValueError, match="'Scale'"):
        saving.load_model(tmp_path / "m.keras")  # the scope is over


def test_registered_class_and_function(tmp_path):
    registered = saving.register_keras_serializable(package="tests")(
        type("RegisteredScale", (Scale,), {})
    )
    loss = saving.register_keras_serializable(package="tests")(scaled_mse)
    try:
        assert saving.get_registered_name(registered) == "tests>RegisteredScale"
        assert saving.get_custom_objects()["tests>scaled_mse"] is loss
        model = _model(registered)
        model.compile("sgd", loss=loss)
        saving.save_model(model, tmp_path / "m.keras")
        loaded = saving.load_model(tmp_path / "m.keras")
        assert type(loaded.layers[1]) is registered
        assert loaded.get_compile_config()["loss"]["registered_name"] == "tests>scaled_mse"
        np.testing.assert_allclose(loaded.predict(_x(), verbose=0), model.predict(_x(), verbose=0))
        x, y = _x(), np.zeros((2, 4), dtype=np.float32)
        assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
    finally:
        saving.get_custom_objects().pop("tests>RegisteredScale", None)
        saving.get_custom_objects().pop("tests>scaled_mse", None)


def test_register_needs_get_config():
    class NoConfig:
        pass

    with pytest.raises(ValueError, match="no get_config"):
        saving.register_keras_serializable()(NoConfig)


def test_serialize_round_trip_of_public_objects():
    for obj in (torchseq.initializers.HeNormal(seed=3), torchseq.optimizers.Adam(0.5),
                torchseq.losses.Huber(delta=2.0), layers.Dense(3, activation="relu")):
        config = saving.serialize_keras_object(obj)
        assert config["module"].startswith("keras.")
        rebuilt = saving.deserialize_keras_object(config)
        assert type(rebuilt) is type(obj)
        assert rebuilt.get_config() == obj.get_config()
    relu = saving.deserialize_keras_object(saving.serialize_keras_object(torchseq.activations.relu))
    assert relu is torchseq.activations.relu


class Residual(layers.Layer):
    """The common Keras pattern: sub-layers made in __init__, no build of its own."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = layers.Dense(units, activation="relu")
        self.outer = layers.Dense(units)

    def call(self, inputs):
        return inputs + self.outer(self.inner(inputs))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class TwoBlocks(torchseq.Model):
    """A subclassed model: layers in __init__, a call, plain constructor arguments."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.block = Residual(units)
        self.head = layers.Dense(1)

    def call(self, inputs):
        return self.head(self.block(inputs))


def test_custom_layer_with_sublayers_on_a_symbolic_input(tmp_path):
    model = torchseq.Sequential([torchseq.Input((4,)), Residual(4), layers.Dense(2)])
    assert all(not torch.nn.parameter.is_lazy(w) for w in model.weights)
    assert len(model.weights) == 6
    model.save(tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras", custom_objects={"Residual": Residual})
    x = np.random.default_rng(0).random((3, 4), dtype=np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_subclassed_model_saves_and_continues_training(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.random((8, 4), dtype=np.float32), rng.random((8, 1), dtype=np.float32)
    model = TwoBlocks(4)
    model.compile(torchseq.optimizers.Adam(0.01), "mse")
    model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    model.save(tmp_path / "m.keras")
    objects = {"TwoBlocks": TwoBlocks, "Residual": Residual}
    loaded = saving.load_model(tmp_path / "m.keras", custom_objects=objects)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(loaded.optimizer.iterations) == 4
    model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    for ours, theirs in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
