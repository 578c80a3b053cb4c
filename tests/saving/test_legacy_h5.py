"""Keras 2's ``.h5`` weight files, read by ``load_weights`` as Keras 3 reads them.

The files are written by Keras 3 itself (its legacy writer, and ``model.save("m.h5")``), or
by hand in tf.keras's naming (``dense/kernel:0``), the form of Keras's published weights.
"""

from __future__ import annotations

import warnings

import h5py
import numpy as np
import pytest

import torchseq
from torchseq import saving


def _dense_bn(lib):
    layers = lib.layers
    return lib.Sequential([
        lib.Input((4,)), layers.Dense(3, activation="relu"), layers.BatchNormalization(),
        layers.Dropout(0.1), layers.Dense(2, activation="softmax"),
    ]), (6, 4)


def _conv(lib):
    layers = lib.layers
    return lib.Sequential([
        lib.Input((6, 6, 2)), layers.Conv2D(3, 3, activation="relu"),
        layers.BatchNormalization(), layers.Flatten(), layers.Dense(2),
    ]), (2, 6, 6, 2)


def _lstm(lib):
    layers = lib.layers
    return lib.Sequential([
        lib.Input((5, 3)), layers.LSTM(4, return_sequences=True), layers.LSTM(2), layers.Dense(1),
    ]), (2, 5, 3)


def _embedding(lib):
    layers = lib.layers
    return lib.Sequential([
        lib.Input((7,), dtype="int32"), layers.Embedding(10, 3), layers.GlobalAveragePooling1D(),
        layers.Dense(2),
    ]), None


def _functional_nested(lib):
    """A Functional model holding a Sequential whose frozen first layer puts its weights
    after the trainable ones in the legacy order (trainable, then non-trainable)."""
    layers = lib.layers
    inner = lib.Sequential(
        [lib.Input((4,)), layers.Dense(5, name="frozen"), layers.BatchNormalization(),
         layers.Dense(3)],
        name="inner",
    )
    inner.layers[0].trainable = False
    a = lib.Input((4,), name="a")
    b = lib.Input((3,), name="b")
    merged = layers.concatenate([inner(a), layers.Dense(3)(b)])
    return lib.Model([a, b], layers.Dense(2, name="head")(merged)), [(3, 4), (3, 3)]


BUILDERS = [_dense_bn, _conv, _lstm, _embedding, _functional_nested]


def _inputs(shape, seed=0):
    rng = np.random.default_rng(seed)
    if shape is None:
        return rng.integers(0, 10, (3, 7)).astype("int32")
    if isinstance(shape, list):
        return [rng.random(s, dtype=np.float32) for s in shape]
    return rng.random(shape, dtype=np.float32)


def _randomized(model, seed=1):
    """Weights away from their initial values (BatchNormalization's statistics too)."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=np.shape(w)).astype("float32") for w in model.get_weights()])
    for layer in _all_layers(model):
        if type(layer).__name__ == "BatchNormalization":
            mean, var = layer.moving_mean.shape, layer.moving_variance.shape
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, var).astype("float32"))
            layer.moving_mean.assign(rng.normal(size=mean).astype("float32"))
    return model


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


def _predict(model, x):
    return np.asarray(model.predict(x, verbose=0))


def _write_legacy_weights(model, path):
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(path, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, model)


@pytest.fixture
def legacy(keras):
    """A Keras model with random weights, its legacy weights file, and its inputs."""

    def make(build, tmp_path, name="w.h5"):
        reference, shape = build(keras)
        _randomized(reference)
        path = tmp_path / name
        _write_legacy_weights(reference, path)
        return reference, path, _inputs(shape)

    return make


@pytest.mark.parametrize("build", BUILDERS, ids=lambda f: f.__name__.strip("_"))
def test_legacy_weights_give_keras_predictions(build, legacy, tmp_path):
    reference, path, x = legacy(build, tmp_path)
    model, _ = build(torchseq)
    model.load_weights(path)
    np.testing.assert_allclose(_predict(model, x), _predict(reference, x), atol=1e-5, rtol=1e-5)


def test_whole_model_h5_file_gives_its_weights(keras, tmp_path):
    reference, shape = _functional_nested(keras)
    _randomized(reference)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras warns that .h5 is a legacy format
        reference.save(tmp_path / "m.hdf5")
    model, _ = _functional_nested(torchseq)
    saving.load_weights(model, tmp_path / "m.hdf5")
    x = _inputs(shape)
    np.testing.assert_allclose(_predict(model, x), _predict(reference, x), atol=1e-5, rtol=1e-5)


def test_tf_keras_style_file(tmp_path):
    """Names as tf.keras wrote them (``conv/kernel:0``), ``weight_names`` split in chunks,
    and layers without weights listed too: the form of keras.applications' files."""
    rng = np.random.default_rng(0)
    kernel, bias = rng.normal(size=(3, 3, 2, 4)), rng.normal(size=(4,))
    gamma, beta, mean = (rng.normal(size=(4,)) for _ in range(3))
    variance = rng.uniform(0.5, 2, (4,))
    with h5py.File(tmp_path / "app.h5", "w") as file:
        file.attrs["layer_names"] = [b"input_1", b"conv", b"bn", b"relu"]
        file.attrs["backend"] = b"tensorflow"
        file.attrs["keras_version"] = b"2.2.4"
        for name in ("input_1", "relu"):
            file.create_group(name).attrs["weight_names"] = np.array([], dtype="S1")
        conv = file.create_group("conv")
        conv.attrs["weight_names"] = [b"conv/kernel:0", b"conv/bias:0"]
        conv["conv/kernel:0"], conv["conv/bias:0"] = kernel, bias
        bn = file.create_group("bn")
        names = [f"bn/{n}:0".encode() for n in ("gamma", "beta", "moving_mean", "moving_variance")]
        bn.attrs["weight_names0"], bn.attrs["weight_names1"] = names[:2], names[2:]
        for name, value in zip(names, (gamma, beta, mean, variance)):
            bn[name.decode()] = value
    layers = torchseq.layers
    model = torchseq.Sequential([
        torchseq.Input((5, 5, 2)), layers.Conv2D(4, 3, name="c"), layers.BatchNormalization(),
        layers.ReLU(),
    ])
    model.load_weights(tmp_path / "app.h5")
    conv_layer, bn_layer = model.layers[0], model.layers[1]
    np.testing.assert_allclose(conv_layer.get_weights()[0], kernel, rtol=1e-6)
    np.testing.assert_allclose(conv_layer.get_weights()[1], bias, rtol=1e-6)
    for ours, theirs in zip(bn_layer.get_weights(), (gamma, beta, mean, variance)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


# ---------------------------------------------------------------------- mismatches


def _weights(model):
    return [w.copy() for w in model.get_weights()]


def _unchanged(model, before):
    return all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


def test_layer_count_mismatch_raises_and_changes_nothing(legacy, tmp_path):
    _, path, _ = legacy(_dense_bn, tmp_path)
    layers = torchseq.layers
    model = torchseq.Sequential([
        torchseq.Input((4,)), layers.Dense(3), layers.BatchNormalization(), layers.Dense(2),
        layers.Dense(2, name="extra"),
    ])
    before = _weights(model)
    for skip in (False, True):
        with pytest.raises(ValueError, match=r"Layer count mismatch.*has 4 layer.*'extra'.*has 3"):
            model.load_weights(path, skip_mismatch=skip)
    assert _unchanged(model, before)


def test_weight_count_mismatch_raises_even_with_skip_mismatch(legacy, tmp_path):
    _, path, _ = legacy(_dense_bn, tmp_path)
    layers = torchseq.layers
    model = torchseq.Sequential([
        torchseq.Input((4,)), layers.Dense(3), layers.BatchNormalization(),
        layers.Dense(2, use_bias=False, name="nobias"),
    ])
    before = _weights(model)
    with pytest.raises(ValueError, match=r"Weight count mismatch for layer #2 \(named 'nobias'.*"
                       r"expects 1 weight.*\[\(3, 2\)\].*has 2"):
        model.load_weights(path, skip_mismatch=True)
    assert _unchanged(model, before)


def _wider_last(lib):
    layers = lib.layers
    return lib.Sequential([
        lib.Input((4,)), layers.Dense(3, activation="relu"), layers.BatchNormalization(),
        layers.Dense(5, activation="softmax"),
    ])


def test_shape_mismatch_raises_and_changes_nothing(legacy, tmp_path):
    _, path, _ = legacy(_dense_bn, tmp_path)
    model = _wider_last(torchseq)
    before = _weights(model)
    with pytest.raises(ValueError, match=r"Shape mismatch.*layer #2.*expects shape \(3, 5\).*"
                       r"shape \(3, 2\)"):
        model.load_weights(path)
    assert _unchanged(model, before)


def test_skip_mismatch_skips_only_the_mismatched_weights(legacy, tmp_path):
    reference, path, _ = legacy(_dense_bn, tmp_path)
    model = _wider_last(torchseq)
    before = _weights(model)
    with pytest.warns(UserWarning, match=r"skipped: layer #2.*\(3, 5\).*\(3, 2\)"):
        model.load_weights(path, skip_mismatch=True)
    ours, theirs = model.get_weights(), [np.asarray(w) for w in reference.get_weights()]
    for index in range(6):  # the first Dense and the BatchNormalization
        np.testing.assert_allclose(ours[index], theirs[index], rtol=1e-6)
    np.testing.assert_array_equal(ours[6], before[6])  # kernel (3, 5) kept
    np.testing.assert_array_equal(ours[7], before[7])  # bias (5,) kept


# ---------------------------------------------------------------------- by_name


def _renamed(lib, last_units=2):
    layers = lib.layers
    return lib.Sequential([
        lib.Input((4,)), layers.Dense(3, activation="relu", name="first"),
        layers.Dense(last_units, name="dense_1"), layers.Dense(2, name="new"),
    ])


def _named_reference(keras, tmp_path):
    layers = keras.layers
    reference = keras.Sequential([
        keras.Input((4,)), layers.Dense(3, name="first"), layers.Dense(2, name="dense_1"),
        layers.Dense(2, name="unused"),
    ])
    _randomized(reference)
    _write_legacy_weights(reference, tmp_path / "n.h5")
    return reference, tmp_path / "n.h5"


def test_by_name_loads_matching_layers_only(keras, tmp_path):
    reference, path = _named_reference(keras, tmp_path)
    model = _renamed(torchseq)
    before = _weights(model)
    model.load_weights(path, by_name=True)
    theirs = [np.asarray(w) for w in reference.get_weights()]
    for index in range(4):
        np.testing.assert_allclose(model.get_weights()[index], theirs[index], rtol=1e-6)
    for index in (4, 5):  # "new" is not in the file
        np.testing.assert_array_equal(model.get_weights()[index], before[index])


def test_by_name_shape_mismatch(keras, tmp_path):
    _, path = _named_reference(keras, tmp_path)
    model = _renamed(torchseq, last_units=5)
    before = _weights(model)
    with pytest.raises(ValueError, match=r"Shape mismatch.*named 'dense_1'.*\(3, 5\)"):
        model.load_weights(path, by_name=True)
    assert _unchanged(model, before)
    with pytest.warns(UserWarning, match=r"named 'dense_1'"):
        model.load_weights(path, by_name=True, skip_mismatch=True)
    assert not np.array_equal(model.get_weights()[0], before[0])


def test_by_name_weight_count_mismatch_is_skipped_with_skip_mismatch(keras, tmp_path):
    _, path = _named_reference(keras, tmp_path)
    layers = torchseq.layers
    model = torchseq.Sequential([
        torchseq.Input((4,)), layers.Dense(3, name="first"),
        layers.Dense(2, use_bias=False, name="dense_1"),
    ])
    before = _weights(model)
    with pytest.raises(ValueError, match=r"Weight count mismatch.*named 'dense_1'.*expects 1"):
        model.load_weights(path, by_name=True)
    assert _unchanged(model, before)
    with pytest.warns(UserWarning, match=r"named 'dense_1'.*expects 1 weight"):
        model.load_weights(path, by_name=True, skip_mismatch=True)
    assert not np.array_equal(model.get_weights()[0], before[0])
    np.testing.assert_array_equal(model.get_weights()[2], before[2])


# ---------------------------------------------------------------------- refusals


def test_by_name_only_for_legacy_files(tmp_path):
    model, _ = _dense_bn(torchseq)
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match=r"`by_name` only applies to legacy"):
        model.load_weights(tmp_path / "w.weights.h5", by_name=False)
    with pytest.raises(ValueError, match=r"invalid keyword arguments: \{'objects': 1\}"):
        model.load_weights(tmp_path / "w.weights.h5", objects=1)


def test_keras3_weights_file_named_h5_gets_a_hint(tmp_path):
    model, _ = _dense_bn(torchseq)
    model.save_weights(tmp_path / "w.weights.h5")
    (tmp_path / "w.weights.h5").rename(tmp_path / "w.h5")
    with pytest.raises(ValueError, match=r"not a legacy Keras .h5.*name ending in .weights.h5"):
        model.load_weights(tmp_path / "w.h5")


def test_not_hdf5_and_unbuilt_model(legacy, tmp_path):
    _, path, _ = legacy(_dense_bn, tmp_path)
    (tmp_path / "junk.h5").write_bytes(b"not hdf5")
    model, _ = _dense_bn(torchseq)
    with pytest.raises(ValueError, match=r"Cannot read .*junk.h5.*not an HDF5"):
        model.load_weights(tmp_path / "junk.h5")
    unbuilt = torchseq.Sequential([torchseq.layers.Dense(3), torchseq.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"not built yet"):
        unbuilt.load_weights(path)


def test_save_weights_refuses_legacy_names(tmp_path):
    model, _ = _dense_bn(torchseq)
    with pytest.raises(ValueError, match=r"must end in .weights.h5"):
        model.save_weights(tmp_path / "w.h5")


# ---------------------------------------------------------------------- whole models


def test_load_model_of_a_keras3_written_h5_file(keras, tmp_path):
    reference, shape = _functional_nested(keras)
    _randomized(reference)
    reference.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference.save(tmp_path / "m.h5")
    model = saving.load_model(tmp_path / "m.h5")
    assert isinstance(model, torchseq.Model)
    assert type(model.optimizer).__name__ == "Adam"
    np.testing.assert_allclose(float(model.optimizer.learning_rate), 0.01, rtol=1e-6)
    x = _inputs(shape)
    np.testing.assert_allclose(_predict(model, x), _predict(reference, x), atol=1e-5, rtol=1e-5)
    model.fit(x, np.zeros((3, 2), "float32"), verbose=0)
    assert not saving.load_model(tmp_path / "m.h5", compile=False).compiled


def _tf_keras_dense(name, units, nodes):
    config = {
        "name": name, "trainable": True, "dtype": "float32", "units": units,
        "activation": "relu", "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}},
        "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
        "bias_constraint": None,
    }
    return {"class_name": "Dense", "config": config, "name": name, "inbound_nodes": nodes}


def test_load_model_of_a_tf_keras_functional_file(keras, tmp_path):
    """tf.keras's config form: Keras 2 inbound nodes, batch_input_shape, dtype strings."""
    import json

    layers = [
        {"class_name": "InputLayer", "name": "input_1", "inbound_nodes": [], "config": {
            "batch_input_shape": [None, 4], "dtype": "float32", "sparse": False,
            "ragged": False, "name": "input_1"}},
        _tf_keras_dense("dense", 3, [[["input_1", 0, 0, {}]]]),
        _tf_keras_dense("dense_1", 3, [[["input_1", 0, 0, {}]]]),
        {"class_name": "Add", "name": "add", "config": {"name": "add", "trainable": True,
                                                       "dtype": "float32"},
         "inbound_nodes": [[["dense", 0, 0, {}], ["dense_1", 0, 0, {}]]]},
    ]
    config = {"class_name": "Functional", "config": {
        "name": "model", "layers": layers, "input_layers": [["input_1", 0, 0]],
        "output_layers": [["add", 0, 0]]}}
    rng = np.random.default_rng(3)
    with h5py.File(tmp_path / "tf.h5", "w") as file:
        file.attrs["model_config"] = json.dumps(config).encode()
        file.attrs["keras_version"] = b"2.8.0"
        group = file.create_group("model_weights")
        group.attrs["layer_names"] = [b"input_1", b"dense", b"dense_1", b"add"]
        for name in ("input_1", "add"):
            group.create_group(name).attrs["weight_names"] = np.array([], dtype="S1")
        for name in ("dense", "dense_1"):
            layer = group.create_group(name)
            layer.attrs["weight_names"] = [f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()]
            layer[f"{name}/kernel:0"] = rng.normal(size=(4, 3)).astype("float32")
            layer[f"{name}/bias:0"] = rng.normal(size=(3,)).astype("float32")
    reference = keras.saving.load_model(tmp_path / "tf.h5", compile=False)
    model = saving.load_model(tmp_path / "tf.h5")
    assert not model.compiled
    assert [layer.name for layer in model.layers] == ["input_1", "dense", "dense_1", "add"]
    x = _inputs((5, 4))
    np.testing.assert_allclose(_predict(model, x), _predict(reference, x), atol=1e-5, rtol=1e-5)
    assert len(model.losses) == 2  # the kernel regularizers came through


def test_load_model_refuses_a_weights_only_h5_file(legacy, tmp_path):
    _, path, _ = legacy(_dense_bn, tmp_path)
    with pytest.raises(ValueError, match=r"holds no model config.*model.load_weights"):
        saving.load_model(path)


def _write_tf_keras_sequential(path, bn_dtype):
    import json

    bn = {"class_name": "BatchNormalization", "config": {
        "name": "bn", "trainable": True, "axis": [1], "momentum": 0.99, "epsilon": 0.001,
        "center": True, "scale": True, "dtype": bn_dtype}}
    inputs = {"class_name": "InputLayer", "config": {
        "batch_input_shape": [None, 4], "dtype": "float32", "name": "dense_input"}}
    dense = {"class_name": "Dense", "config": _tf_keras_dense("dense", 3, [])["config"]}
    config = {"class_name": "Sequential", "config": {
        "name": "sequential", "layers": [inputs, dense, bn]}}
    rng = np.random.default_rng(4)
    arrays = {
        "dense": {"kernel": rng.normal(size=(4, 3)), "bias": rng.normal(size=(3,))},
        "bn": {name: rng.uniform(0.5, 2, (3,)) for name in
               ("gamma", "beta", "moving_mean", "moving_variance")},
    }
    with h5py.File(path, "w") as file:
        file.attrs["model_config"] = json.dumps(config)  # a str attribute, as h5py 3 writes
        group = file.create_group("model_weights")
        group.attrs["layer_names"] = [b"dense", b"bn"]
        for layer_name, weights in arrays.items():
            layer = group.create_group(layer_name)
            names = [f"{layer_name}/{name}:0" for name in weights]
            layer.attrs["weight_names"] = [name.encode() for name in names]
            for name, value in zip(names, weights.values()):
                layer[name] = value.astype("float32")


def test_load_model_of_a_tf_keras_sequential_file(keras, tmp_path):
    """A built tf.keras BatchNormalization stored its axis as a list."""
    _write_tf_keras_sequential(tmp_path / "seq.h5", "float32")
    reference = keras.saving.load_model(tmp_path / "seq.h5", compile=False)
    model = saving.load_model(tmp_path / "seq.h5")
    x = _inputs((5, 4))
    expected = _predict(reference, x)
    np.testing.assert_allclose(_predict(model, x), expected, atol=1e-5, rtol=1e-5)
    # tf.keras's mixed-precision Policy as a dtype (Keras 3 itself fails on it)
    policy = {"class_name": "Policy", "config": {"name": "float32"}}
    _write_tf_keras_sequential(tmp_path / "policy.h5", policy)
    model = saving.load_model(tmp_path / "policy.h5")
    np.testing.assert_allclose(_predict(model, x), expected, atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------------- subclassed models


def _subclassed(lib):
    layers = lib.layers

    class Scaled(lib.Model):
        def __init__(self):
            super().__init__(name="scaled")
            self.hidden = layers.Dense(3, activation="relu")
            self.norm = layers.BatchNormalization()
            self.out = layers.Dense(2)

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(2,), initializer="ones", name="scale")
            super().build(input_shape)

        def call(self, inputs, training=None):
            hidden = self.norm(self.hidden(inputs), training=training)
            return self.out(hidden) * self.scale

    model = Scaled()
    model(np.zeros((1, 4), "float32"))
    return model


def test_subclassed_model_with_its_own_weight(keras, tmp_path):
    reference = _randomized(_subclassed(keras))
    reference.scale.assign(np.array([2.0, -3.0], "float32"))
    _write_legacy_weights(reference, tmp_path / "s.h5")
    model = _subclassed(torchseq)
    model.load_weights(tmp_path / "s.h5")
    x = _inputs((3, 4))
    np.testing.assert_allclose(_predict(model, x), _predict(reference, x), atol=1e-5, rtol=1e-5)


def test_only_numeric_datasets_are_read(tmp_path):
    with h5py.File(tmp_path / "s.h5", "w") as file:
        file.attrs["layer_names"] = [b"dense"]
        group = file.create_group("dense")
        group.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        group["dense/kernel:0"] = np.array([[b"ab"] * 2] * 4)
        group["dense/bias:0"] = np.zeros(2, "float32")
    model = torchseq.Sequential([torchseq.Input((4,)), torchseq.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"holds \|S2 data, not numbers"):
        model.load_weights(tmp_path / "s.h5")
