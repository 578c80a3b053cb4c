"""Files move between Keras 3 and torchseq both ways, with the same predictions.

Each model is built twice from the same description, once with Keras and once with
torchseq; a file written by one library is read by the other.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchseq
from torchseq import saving


def _mlp(lib):
    layers = lib.layers
    return lib.Sequential([
        lib.Input((4,)), layers.Dense(3, activation="relu"), layers.BatchNormalization(),
        layers.Dropout(0.1), layers.Dense(2, activation="softmax"),
    ]), (6, 4)


def _convnet(lib):
    layers = lib.layers
    return lib.Sequential([
        lib.Input((8, 8, 3)), layers.Conv2D(2, 3, activation="relu"), layers.SeparableConv2D(2, 3),
        layers.DepthwiseConv2D(2), layers.Conv2DTranspose(2, 3), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(2),
    ]), (2, 8, 8, 3)


def _recurrent(lib):
    layers = lib.layers
    return lib.Sequential([
        lib.Input((5, 3)), layers.LSTM(2, return_sequences=True),
        layers.Bidirectional(layers.GRU(2, return_sequences=True)),
        layers.RNN([layers.LSTMCell(2), layers.SimpleRNNCell(3)]),
        layers.Dense(1),
    ]), (2, 5, 3)


def _functional(lib):
    layers = lib.layers
    a = lib.Input((4,), name="a")
    b = lib.Input((6, 4), name="b")
    shared = layers.Dense(4, name="shared")
    attention = layers.MultiHeadAttention(2, 3)(b, b)
    pooled = layers.GlobalAveragePooling1D()(layers.TimeDistributed(layers.Dense(3))(attention))
    inner = lib.Sequential([lib.Input((4,)), layers.Dense(4), layers.LayerNormalization()])
    merged = layers.concatenate([shared(a), inner(shared(layers.Dense(4)(pooled)))])
    outputs = [layers.Dense(2, name="first")(merged), layers.Dense(1, name="second")(merged)]
    return lib.Model({"a": a, "b": b}, outputs, name="two_heads"), [(3, 4), (3, 6, 4)]


def _embedding(lib):
    layers = lib.layers
    return lib.Sequential([
        lib.Input((7,), dtype="int32"), layers.Embedding(10, 3, mask_zero=True),
        layers.GRU(2), layers.Dense(1),
    ]), None


BUILDERS = [_mlp, _convnet, _recurrent, _functional, _embedding]


def _inputs(model_shape, seed=0):
    rng = np.random.default_rng(seed)
    if model_shape is None:
        tokens = rng.integers(1, 10, (3, 7))
        tokens[0, 4:] = 0
        return tokens.astype("int32")
    if isinstance(model_shape, list):
        return {name: rng.random(shape, dtype=np.float32) for name, shape in zip("ab", model_shape)}
    return rng.random(model_shape, dtype=np.float32)


def _predict(model, x, keras):
    if isinstance(model, torchseq.Model):
        outputs = model.predict(x, verbose=0)
    else:
        outputs = model.predict(x, verbose=0)
    return [np.asarray(o) for o in (outputs if isinstance(outputs, list) else [outputs])]


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("build", BUILDERS, ids=lambda f: f.__name__.strip("_"))
def test_keras_archive_loads_in_torchseq(build, keras, tmp_path):
    reference, shape = build(keras)
    x = _inputs(shape)
    reference.save(tmp_path / "k.keras")
    model = saving.load_model(tmp_path / "k.keras")
    assert isinstance(model, torch.nn.Module)
    assert [w.shape for w in model.get_weights()] == [tuple(w.shape) for w in reference.get_weights()]
    _assert_same(_predict(model, x, keras), _predict(reference, x, keras))


@pytest.mark.parametrize("build", BUILDERS, ids=lambda f: f.__name__.strip("_"))
def test_torchseq_archive_loads_in_keras(build, keras, tmp_path):
    model, shape = build(torchseq)
    x = _inputs(shape)
    saving.save_model(model, tmp_path / "t.keras")
    reference = keras.saving.load_model(tmp_path / "t.keras")
    _assert_same(_predict(reference, x, keras), _predict(model, x, keras))


@pytest.mark.parametrize("build", BUILDERS, ids=lambda f: f.__name__.strip("_"))
def test_weights_files_both_ways(build, keras, tmp_path):
    reference, shape = build(keras)
    model, _ = build(torchseq)
    x = _inputs(shape)
    reference.save_weights(tmp_path / "k.weights.h5")
    saving.load_weights(model, tmp_path / "k.weights.h5")
    _assert_same(_predict(model, x, keras), _predict(reference, x, keras))

    fresh, _ = build(torchseq)
    saving.save_weights(model, tmp_path / "t.weights.h5")
    saving.load_weights(fresh, tmp_path / "t.weights.h5")
    assert fresh.state_dict().keys() == model.state_dict().keys()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(fresh.state_dict()[key], value, rtol=0, atol=0)

    other, _ = build(keras)
    other.load_weights(tmp_path / "t.weights.h5")
    _assert_same(_predict(other, x, keras), _predict(model, x, keras))


def _compiled(lib, optimizer):
    # No dropout (the two libraries must take the same steps), and no bias feeding a
    # BatchNormalization (its gradient is rounding noise, which Adam amplifies).
    layers = lib.layers
    model = lib.Sequential([
        lib.Input((4,)), layers.BatchNormalization(), layers.Dense(3, activation="relu"),
        layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _data():
    rng = np.random.default_rng(1)
    x = rng.random((16, 4), dtype=np.float32)
    y = np.eye(2, dtype=np.float32)[rng.integers(0, 2, 16)]
    return x, y


def test_compiled_keras_model_continues_training_in_torchseq(keras, tmp_path):
    x, y = _data()
    reference = _compiled(keras, keras.optimizers.Adam(0.01))
    reference.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    reference.save(tmp_path / "k.keras")
    model = saving.load_model(tmp_path / "k.keras")
    assert type(model.optimizer).__name__ == "Adam"
    assert int(model.optimizer.iterations) == 8
    reference.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    for ours, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(ours, np.asarray(theirs), atol=1e-5, rtol=1e-4)


def test_compiled_torchseq_model_continues_training_in_keras(keras, tmp_path):
    x, y = _data()
    model = _compiled(torchseq, torchseq.optimizers.RMSprop(0.01, momentum=0.5))
    model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    saving.save_model(model, tmp_path / "t.keras")
    reference = keras.saving.load_model(tmp_path / "t.keras")
    assert int(reference.optimizer.iterations) == 8
    reference.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    for ours, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(ours, np.asarray(theirs), atol=1e-5, rtol=1e-4)


def _two_outputs(lib):
    x = lib.Input((4,), name="x")
    hidden = lib.layers.Dense(8, activation="relu")(x)
    outputs = {
        "a": lib.layers.Dense(1, name="a")(hidden),
        "b": lib.layers.Dense(1, activation="sigmoid", name="b")(hidden),
    }
    model = lib.Model(x, outputs)
    model.compile(
        optimizer=lib.optimizers.SGD(0.01, momentum=0.9),
        loss={"a": lib.losses.Huber(), "b": "binary_crossentropy"},
        loss_weights={"a": 0.5, "b": 2.0},
        metrics={"a": ["mae"], "b": [lib.metrics.AUC(), "accuracy"]},
    )
    return model


def _two_output_data():
    rng = np.random.default_rng(2)
    x = rng.random((16, 4), dtype=np.float32)
    return x, {"a": rng.random((16, 1), dtype=np.float32),
               "b": (rng.random((16, 1)) > 0.5).astype("float32")}


@pytest.mark.parametrize("direction", ["keras to torchseq", "torchseq to keras"])
def test_compile_state_with_losses_metrics_and_weights_per_output(keras, tmp_path, direction):
    x, y = _two_output_data()
    source_lib, target_load = (
        (keras, saving.load_model) if direction == "keras to torchseq"
        else (torchseq, keras.saving.load_model)
    )
    source = _two_outputs(source_lib)
    source.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    source.save(tmp_path / "m.keras")
    target = target_load(tmp_path / "m.keras")
    expected = source.evaluate(x, y, verbose=0, return_dict=True)
    actual = target.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(actual) == sorted(expected)
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key


def test_keras_lambda_loads_outside_safe_mode(keras, tmp_path):
    # As in a script: the lambda's code names the global `keras`.
    square_plus_one = eval("lambda x: keras.ops.square(x) + 1", {"keras": keras})
    reference = keras.Sequential([
        keras.Input((3,)), keras.layers.Lambda(square_plus_one), keras.layers.Dense(2),
    ])
    reference.save(tmp_path / "k.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        saving.load_model(tmp_path / "k.keras")
    model = saving.load_model(tmp_path / "k.keras", safe_mode=False)
    x = np.random.default_rng(3).random((2, 3), dtype=np.float32)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), reference.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_a_model_whose_config_outgrows_a_zip_extra_field_saves_and_loads_both_ways(
    keras, tmp_path
):
    # A deep model's config.json pushes the weights past 64 KiB of zip headers (DenseNet121,
    # InceptionResNetV2): the gap before the weights no longer fits one extra field.
    import zipfile

    from torchseq.saving.archive import weights_offset

    inputs = x = torchseq.Input((2,))
    for _ in range(150):
        x = torchseq.layers.Dense(2)(x)
    model = torchseq.Model(inputs, x)
    path = tmp_path / "deep.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("config.json").file_size > 2**16
        assert weights_offset(archive, "model.weights.h5") is not None  # still read in place
    data = np.random.default_rng(0).random((3, 2), dtype=np.float32)
    expected = model.predict(data, verbose=0)
    np.testing.assert_allclose(saving.load_model(path).predict(data, verbose=0), expected)
    np.testing.assert_allclose(keras.saving.load_model(path).predict(data, verbose=0), expected)


def test_application_layers_load_from_either_library(keras, tmp_path):
    # ConvNeXt's LayerScale / StochasticDepth and InceptionResNetV2's CustomScaleLayer are
    # written under keras.src.applications.<family>; both libraries load both files.
    from keras.src.applications import convnext as keras_convnext

    from torchseq.applications import convnext, inception_resnet_v2

    arguments = {"input_shape": (32, 32, 3), "classes": 3, "weights": None}
    ours = convnext.ConvNeXt([1, 1, 1, 1], [8, 8, 8, 8], drop_path_rate=0.2, **arguments)
    theirs = keras_convnext.ConvNeXt([1, 1, 1, 1], [8, 8, 8, 8], drop_path_rate=0.2, **arguments)
    images = np.random.default_rng(0).random((2, 32, 32, 3), dtype=np.float32) * 255
    for model, loader in ((ours, keras.saving), (theirs, saving)):
        path = tmp_path / f"{type(model).__module__.split('.')[0]}.keras"
        model.save(path)
        np.testing.assert_allclose(
            np.asarray(loader.load_model(path).predict(images, verbose=0)),
            np.asarray(model.predict(images, verbose=0)), atol=1e-6,
        )
    inputs = torchseq.Input((4,))
    scaled = inception_resnet_v2.CustomScaleLayer(0.3)([inputs, torchseq.layers.Dense(4)(inputs)])
    model = torchseq.Model(inputs, scaled)
    model.save(tmp_path / "scaled.keras")
    data = np.ones((2, 4), np.float32)
    np.testing.assert_allclose(
        np.asarray(keras.saving.load_model(tmp_path / "scaled.keras").predict(data, verbose=0)),
        model.predict(data, verbose=0), atol=1e-6,
    )
