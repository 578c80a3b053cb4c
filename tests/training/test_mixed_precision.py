"""Mixed precision: dtype policies, autocast layers, float32 losses and outputs, loss scaling."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import torch

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras

import torchseq
from torchseq import dtype_policies, layers, mixed_precision


@pytest.fixture(autouse=True)
def float32_afterwards():
    yield
    mixed_precision.set_global_policy(None)


def data(n=64):
    rng = np.random.default_rng(0)
    return rng.random((n, 8), dtype=np.float32), rng.integers(0, 3, n)


def classifier(policy_out="float32"):
    return torchseq.Sequential(
        [
            torchseq.Input((8,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(3),
            layers.Activation("softmax", dtype=policy_out),
        ]
    )


@pytest.mark.parametrize(
    "name", ["float32", "float16", "bfloat16", "float64", "mixed_float16", "mixed_bfloat16"]
)
def test_policies_match_keras(name):
    ours, theirs = dtype_policies.DTypePolicy(name), keras.DTypePolicy(name)
    assert (ours.name, ours.compute_dtype, ours.variable_dtype) == (
        theirs.name,
        theirs.compute_dtype,
        theirs.variable_dtype,
    )
    assert dtype_policies.serialize(ours) == keras.dtype_policies.serialize(theirs)
    assert dtype_policies.deserialize(keras.dtype_policies.serialize(theirs)) == ours


@pytest.mark.parametrize("bad", ["mixed_int8", "float8_e4m3fn_from_float32", "nope"])
def test_unknown_policies_are_refused(bad):
    with pytest.raises(ValueError, match=f"'mixed_bfloat16' or a dtype name.*received: '{bad}'"):
        dtype_policies.DTypePolicy(bad)
    with pytest.raises(ValueError, match=f"received: dtype='{bad}'"):
        layers.Dense(2, dtype=bad)
    with pytest.raises(ValueError, match="received: "):
        mixed_precision.set_global_policy(bad)
    assert mixed_precision.global_policy().name == "float32"


@pytest.mark.parametrize("quantized", ["int8", "int4", "float8", "int8_from_float32"])
def test_quantized_policy_names_are_refused_by_get(quantized):
    with pytest.raises(
        ValueError, match=f"received: '{quantized}' \\(quantized policies are not supported\\)"
    ):
        dtype_policies.get(quantized)
    try:  # Keras reads these as quantization modes too (or refuses them)
        assert keras.dtype_policies.get(quantized).quantization_mode is not None
    except ValueError:
        pass


def test_policy_lookups_match_keras():
    for identifier in ("int32", "bool", np.dtype("float16"), keras.DTypePolicy("mixed_float16")):
        ours, theirs = dtype_policies.get(identifier), keras.dtype_policies.get(identifier)
        assert (ours.name, ours.compute_dtype, ours.variable_dtype) == (
            theirs.name,
            theirs.compute_dtype,
            theirs.variable_dtype,
        )
    assert dtype_policies.DTypePolicy("int8").compute_dtype == "int8"  # a dtype, not quantized
    assert repr(dtype_policies.get(None)) == repr(keras.dtype_policies.get(None))
    mixed_precision.set_global_policy("mixed_bfloat16")
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        assert repr(dtype_policies.DTypePolicy()) == repr(keras.DTypePolicy())
        assert repr(dtype_policies.get(None)) == repr(keras.dtype_policies.get(None))
        assert repr(torchseq.config.dtype_policy()) == repr(keras.config.dtype_policy())
    finally:
        keras.config.set_dtype_policy("float32")
    restored = dtype_policies.DTypePolicy.from_config(
        keras.DTypePolicy("mixed_float16").get_config()
    )
    assert restored == mixed_precision.Policy("mixed_float16") and hash(restored) == hash(
        dtype_policies.DTypePolicy("mixed_float16")
    )


@pytest.mark.parametrize("name", ["mixed_float16", "mixed_bfloat16", "bfloat16", "float64"])
def test_layer_dtype_attributes_and_configs_match_keras(name):
    ours, theirs = layers.Dense(2, dtype=name), keras.layers.Dense(2, dtype=name)
    attributes = ("dtype", "compute_dtype", "variable_dtype")
    assert [getattr(ours, a) for a in attributes] == [getattr(theirs, a) for a in attributes]
    assert repr(ours.dtype_policy) == repr(theirs.dtype_policy)
    assert ours.get_config()["dtype"] == theirs.get_config()["dtype"]
    loaded = layers.Dense.from_config(theirs.get_config())
    assert loaded.dtype_policy.name == name and loaded.compute_dtype == theirs.compute_dtype
    back = keras.layers.Dense.from_config(ours.get_config())
    assert back.dtype_policy.name == name


def test_global_policy_reaches_new_layers_with_float32_weights():
    mixed_precision.set_global_policy("mixed_bfloat16")
    assert mixed_precision.global_policy() == mixed_precision.Policy("mixed_bfloat16")
    dense = layers.Dense(4)
    output = dense(torch.ones(2, 3))
    assert (dense.dtype, dense.compute_dtype, dense.variable_dtype) == (
        "float32",
        "bfloat16",
        "float32",
    )
    assert dense.kernel.dtype == torch.float32 and output.dtype == torch.bfloat16
    assert (
        dense.get_config()["dtype"]
        == keras.layers.Dense(4, dtype="mixed_bfloat16").get_config()["dtype"]
    )
    mixed_precision.set_global_policy("float32")
    assert layers.Dense(4).compute_dtype == "float32"


def test_a_float32_layer_leaves_the_enclosing_autocast():
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = classifier()
    x, _ = data()
    out = model(x)
    assert out.dtype == torch.float32
    hidden = model.layers[1](model.layers[0](torch.from_numpy(x)))
    assert hidden.dtype == torch.bfloat16
    # The float32 softmax computes the float32 softmax of the bfloat16 logits.
    torch.testing.assert_close(out, torch.softmax(hidden.float(), -1))


def test_mixed_bfloat16_computes_what_float32_computes_within_bfloat16_precision():
    reference = classifier()
    x, _ = data()
    expected = reference(x)
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = classifier()
    model(x)
    model.set_weights(reference.get_weights())
    torch.testing.assert_close(model(x), expected, atol=2e-2, rtol=2e-2)


def test_fit_under_mixed_bfloat16_trains_with_float32_loss_and_predicts_float32():
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = torchseq.Sequential(
        [torchseq.Input((8,)), layers.Dense(16, activation="relu"), layers.Dense(3, "softmax")]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data()
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert all(w.dtype == torch.float32 for w in model.weights)
    assert model._compile_state.runner.float32_outputs  # bfloat16 outputs, float32 loss
    predictions = model.predict(x, verbose=0)
    assert predictions.dtype == np.float32 and predictions.shape == (64, 3)
    np.testing.assert_allclose(predictions.sum(-1), 1.0, atol=2e-2)
    evaluated = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(evaluated) == {"accuracy", "loss"}


def test_compile_wraps_the_optimizer_for_mixed_float16_and_saves_it():
    mixed_precision.set_global_policy("mixed_float16")
    model = torchseq.Sequential([torchseq.Input((8,)), layers.Dense(3)])
    model.compile(torchseq.optimizers.SGD(0.1), "mse")
    assert isinstance(model.optimizer, mixed_precision.LossScaleOptimizer)
    assert isinstance(model.optimizer.inner_optimizer, torchseq.optimizers.SGD)
    x, _ = data()
    model.fit(x, np.zeros((64, 3), "float32"), epochs=2, verbose=0)
    assert torch.isfinite(model.layers[0].kernel).all()
    config = model.get_compile_config()
    assert config["optimizer"]["class_name"] == "LossScaleOptimizer"
    keras_config = keras.optimizers.serialize(
        keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1))
    )
    restored = torchseq.optimizers.deserialize(keras_config)
    assert isinstance(restored, mixed_precision.LossScaleOptimizer)
    assert restored.initial_scale == 2.0**15 and restored.dynamic_growth_steps == 2000
    assert restored.learning_rate == pytest.approx(0.1)


def test_loss_scaling_skips_non_finite_steps_and_grows_as_keras():
    weight = torch.nn.Parameter(torch.ones(2))
    optimizer = mixed_precision.LossScaleOptimizer(
        torchseq.optimizers.SGD(0.5), initial_scale=8.0, dynamic_growth_steps=2
    )
    optimizer.build([weight])
    theirs_weight = keras.Variable(np.ones(2, "float32"))
    theirs = keras.optimizers.LossScaleOptimizer(
        keras.optimizers.SGD(0.5), initial_scale=8.0, dynamic_growth_steps=2
    )
    theirs.build([theirs_weight])
    for gradient in ([8.0, 16.0], [np.inf, 1.0], [4.0, 4.0], [2.0, 2.0], [1.0, np.nan]):
        scaled = np.asarray(gradient, "float32")
        optimizer.apply([torch.tensor(scaled)], [weight])
        theirs.apply([keras.ops.convert_to_tensor(scaled)], [theirs_weight])
        np.testing.assert_allclose(
            weight.detach().numpy(), keras.ops.convert_to_numpy(theirs_weight)
        )
        assert float(optimizer.dynamic_scale) == float(theirs.dynamic_scale)


def test_loss_scale_optimizer_refuses_bad_arguments():
    with pytest.raises(TypeError, match="optimizer instance to wrap"):
        mixed_precision.LossScaleOptimizer("sgd")
    with pytest.raises(ValueError, match="initial_scale must be a positive number"):
        mixed_precision.LossScaleOptimizer(torchseq.optimizers.SGD(), initial_scale=0)
    with pytest.raises(ValueError, match="dynamic_growth_steps must be an int >= 1"):
        mixed_precision.LossScaleOptimizer(torchseq.optimizers.SGD(), dynamic_growth_steps=0.5)


def test_set_global_policy_changes_only_later_layers():
    before = layers.Dense(2)
    mixed_precision.set_global_policy("mixed_bfloat16")
    after = layers.Dense(2)
    x = torch.ones(1, 3)
    assert (before.compute_dtype, before(x).dtype) == ("float32", torch.float32)
    assert (after.compute_dtype, after(x).dtype) == ("bfloat16", torch.bfloat16)


def convnet(lib):
    return lib.Sequential(
        [
            lib.Input((6, 6, 2)),
            lib.layers.Conv2D(3, 3, activation="relu"),
            lib.layers.BatchNormalization(),
            lib.layers.Flatten(),
            lib.layers.Dense(4, activation="relu"),
            lib.layers.Dense(3, activation="softmax"),
        ]
    )


@pytest.fixture
def bfloat16_pair():
    """The same convnet built under "mixed_bfloat16" by Keras and torchseq, same weights."""
    keras.config.set_dtype_policy("mixed_bfloat16")
    mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        theirs, ours = convnet(keras), convnet(torchseq)
    finally:
        keras.config.set_dtype_policy("float32")
        mixed_precision.set_global_policy("float32")
    x = np.random.default_rng(0).random((5, 6, 6, 2), dtype=np.float32)
    ours(x[:1])
    ours.set_weights(theirs.get_weights())
    return ours, theirs, x


def test_mixed_bfloat16_outputs_match_keras(bfloat16_pair):
    ours, theirs, x = bfloat16_pair
    output, expected = ours(x), theirs(x)
    assert output.dtype == expected.dtype == torch.bfloat16
    torch.testing.assert_close(output.float(), expected.float(), atol=1e-2, rtol=1e-2)
    predictions = ours.predict(x, verbose=0)
    assert predictions.dtype == np.float32  # Keras returns bfloat16 arrays
    np.testing.assert_allclose(predictions, expected.detach().float().numpy(), atol=1e-2)
    y = np.array([0, 1, 2, 0, 1])
    loss = torchseq.losses.SparseCategoricalCrossentropy()(y, output)
    assert loss.dtype == torch.float32
    torch.testing.assert_close(
        loss, keras.losses.SparseCategoricalCrossentropy()(y, expected), atol=1e-3, rtol=1e-3
    )


def test_mixed_bfloat16_model_files_move_both_ways(bfloat16_pair, tmp_path):
    ours, theirs, x = bfloat16_pair
    expected = ours.predict(x, verbose=0)
    ours.save(tmp_path / "ours.keras")
    theirs.save(tmp_path / "theirs.keras")
    for loaded in (
        torchseq.saving.load_model(tmp_path / "ours.keras"),
        torchseq.saving.load_model(tmp_path / "theirs.keras"),
    ):
        assert {layer.dtype_policy.name for layer in loaded.layers} == {"mixed_bfloat16"}
        assert loaded(x).dtype == torch.bfloat16
        np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-2)
    in_keras = keras.saving.load_model(tmp_path / "ours.keras")
    assert {layer.dtype_policy.name for layer in in_keras.layers} == {"mixed_bfloat16"}
    np.testing.assert_allclose(
        in_keras.predict(x, verbose=0).astype("float32"), expected, atol=1e-2
    )


def test_loss_scale_optimizer_refuses_what_keras_refuses():
    sgd = torchseq.optimizers.SGD
    with pytest.raises(ValueError, match="does not support clipnorm.*received: clipnorm=1.0"):
        mixed_precision.LossScaleOptimizer(sgd(), clipnorm=1.0)
    with pytest.raises(ValueError, match="received: dynamic=False"):
        mixed_precision.LossScaleOptimizer(sgd(), dynamic=False)
    with pytest.raises(ValueError, match=r"unsupported argument\(s\): \['foo'\]"):
        mixed_precision.LossScaleOptimizer(sgd(), foo=1)
    # Keras's defaults are accepted, and the inner optimizer stops scaling by itself.
    optimizer = mixed_precision.LossScaleOptimizer(
        sgd(loss_scale_factor=4.0), clipnorm=None, use_ema=False, ema_momentum=0.99
    )
    assert optimizer.inner_optimizer.loss_scale_factor is None
    optimizer.learning_rate = 0.5
    assert float(optimizer.inner_optimizer.learning_rate) == 0.5


def test_loss_scale_optimizer_variables_and_config_as_keras():
    weight = torch.nn.Parameter(torch.ones(2))
    ours = mixed_precision.LossScaleOptimizer(torchseq.optimizers.Adam(0.1), initial_scale=8.0)
    ours.build([weight])
    theirs = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.1), initial_scale=8.0)
    theirs.build([keras.Variable(np.ones(2, "float32"))])
    assert [(tuple(v.shape), str(v.dtype).removeprefix("torch.")) for v in ours.variables] == [
        (tuple(v.shape), v.dtype) for v in theirs.variables
    ]
    for gradient in ([8.0, 16.0], [np.inf, 1.0]):
        ours.apply([torch.tensor(gradient)], [weight])
        theirs.apply([keras.ops.convert_to_tensor(np.float32(gradient))])
    for mine, reference in zip(ours.keras_variables([weight]), theirs.variables):
        np.testing.assert_allclose(mine, keras.ops.convert_to_numpy(reference), rtol=1e-6)
    config = theirs.get_config()
    restored = mixed_precision.LossScaleOptimizer.from_config(config)
    assert (restored.initial_scale, restored.dynamic_growth_steps, restored.name) == (
        8.0,
        2000,
        config["name"],
    )
    assert keras.optimizers.LossScaleOptimizer.from_config(ours.get_config()).initial_scale == 8.0
    with pytest.raises(ValueError, match="expected 8 optimizer variables.*received 5"):
        ours.load_keras_variables(ours.keras_variables([weight])[:5], [weight])
    assert float(ours.dynamic_scale) == 4.0


def mixed_float16_regressor(lib, model_class=None):
    """A small Functional model made under "mixed_float16" (so ``compile`` wraps the
    optimizer in a LossScaleOptimizer, as Keras's does)."""
    lib.config.set_dtype_policy("mixed_float16")
    try:
        inputs = lib.Input((8,))
        outputs = lib.layers.Dense(2)(lib.layers.Dense(3, activation="relu")(inputs))
        return (model_class or lib.Model)(inputs, outputs)
    finally:
        lib.config.set_dtype_policy("float32")


def test_loss_scaling_state_travels_in_keras_files(tmp_path):
    x, _ = data(16)
    model = mixed_float16_regressor(torchseq)
    model.compile(torchseq.optimizers.Adam(0.01), "mse")
    model.fit(x, x[:, :2], epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / "model.keras")
    with warnings.catch_warnings():
        # Keras also reads the inner optimizer's variables apart, and warns if they are not.
        warnings.filterwarnings("error", "Skipping variable loading")
        loaded = [
            torchseq.saving.load_model(tmp_path / "model.keras"),
            keras.saving.load_model(tmp_path / "model.keras"),
        ]
    for optimizer in [model.optimizer] + [m.optimizer for m in loaded]:
        assert type(optimizer).__name__ == "LossScaleOptimizer"
        assert int(optimizer.iterations) == 4
        assert int(keras.ops.convert_to_numpy(optimizer.step_counter)) == 4
        assert float(keras.ops.convert_to_numpy(optimizer.dynamic_scale)) == 2.0**15


def test_loss_scaling_state_of_a_keras_file_loads(tmp_path):
    x, _ = data(16)
    theirs = mixed_float16_regressor(keras)
    theirs.compile(keras.optimizers.Adam(0.01), "mse")
    theirs.fit(x, x[:, :2], epochs=2, batch_size=8, verbose=0)
    theirs.save(tmp_path / "theirs.keras")
    # Keras stores the optimizer given to compile (Adam): a model loaded under
    # "mixed_float16" wraps it again, in Keras as here.
    mixed_precision.set_global_policy("mixed_float16")
    ours = torchseq.saving.load_model(tmp_path / "theirs.keras")
    assert isinstance(ours.optimizer, mixed_precision.LossScaleOptimizer)
    assert (int(ours.optimizer.iterations), int(ours.optimizer.step_counter)) == (4, 4)
    for mine, reference in zip(
        ours.optimizer.keras_variables(ours.trainable_weights), theirs.optimizer.variables
    ):
        np.testing.assert_allclose(mine, keras.ops.convert_to_numpy(reference), rtol=1e-6)


def test_custom_train_step_with_loss_scaling_matches_keras():
    def custom(lib):
        class Custom(lib.Model):
            def train_step(self, data):  # the keras.io guide's, with the loss scaled
                x, y = data
                self.zero_grad()
                loss = self.compute_loss(y=y, y_pred=self(x, training=True))
                self.optimizer.scale_loss(loss).backward()
                weights = list(self.trainable_weights)
                grads = [getattr(w, "value", w).grad for w in weights]
                with torch.no_grad():
                    self.optimizer.apply(grads, weights)
                return {"loss": loss}

        return mixed_float16_regressor(lib, Custom)

    theirs, ours = custom(keras), custom(torchseq)
    ours.set_weights(theirs.get_weights())
    x, _ = data(16)
    for model, lib in ((theirs, keras), (ours, torchseq)):
        model.compile(lib.optimizers.SGD(0.1), "mse")
        model.fit(x, x[:, :2], epochs=2, batch_size=8, verbose=0, shuffle=False)
    assert isinstance(ours.optimizer, mixed_precision.LossScaleOptimizer)
    assert int(ours.optimizer.iterations) == int(theirs.optimizer.iterations) == 4
    for mine, reference in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, reference, atol=1e-3)


def test_fit_skips_a_step_with_overflowing_gradients_as_keras():
    x, _ = data(4)
    results = []
    for lib in (keras, torchseq):
        model = mixed_float16_regressor(lib)
        model.compile(lib.optimizers.SGD(0.01), "mse")
        before = model.get_weights()
        model.fit(x, np.full((4, 2), 3e4, "float32"), batch_size=4, verbose=0)
        unchanged = all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
        scale = float(keras.ops.convert_to_numpy(model.optimizer.dynamic_scale))
        results.append((unchanged, scale, int(model.optimizer.iterations)))
    assert results[0] == results[1] == (True, 2.0**14, 0)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("LSTM", {}),
        ("GRU", {}),
        ("SimpleRNN", {}),
        ("LSTM", {"return_sequences": True}),
        ("GRU", {"reset_after": False}),  # no fused kernel: the step loop
    ],
    ids=["lstm", "gru", "simple_rnn", "lstm-sequences", "gru-loop"],
)
def test_recurrent_layers_compute_in_the_policy_dtype_on_the_cpu(policy, name, options):
    # torch's fused CPU kernels fail under autocast (nn.LSTM too): they run in the
    # policy's dtype outside it.
    keras.config.set_dtype_policy(policy)
    mixed_precision.set_global_policy(policy)
    try:
        theirs = getattr(keras.layers, name)(5, **options)
        ours = getattr(torchseq.layers, name)(5, **options)
    finally:
        keras.config.set_dtype_policy("float32")
    x = np.random.default_rng(0).random((4, 6, 3), dtype=np.float32)
    theirs.build(x.shape)
    ours.build(x.shape)
    ours.set_weights(theirs.get_weights())
    output, expected = ours(x), theirs(x)
    assert output.dtype == expected.dtype == getattr(torch, policy.removeprefix("mixed_"))
    torch.testing.assert_close(output.float(), expected.detach().float(), atol=5e-3, rtol=1e-2)
    model = torchseq.Sequential([torchseq.Input((6, 3)), ours, torchseq.layers.Flatten()])
    model.compile("adam", "mse")
    history = model.fit(x, np.zeros((4, model.output_shape[-1])), verbose=0, epochs=2)
    assert np.isfinite(history.history["loss"]).all()


def test_loss_scaling_follows_the_layers_and_compile_can_decline_it(tmp_path):
    mixed_precision.set_global_policy("mixed_float16")
    inputs = torchseq.Input((8,))
    model = torchseq.Model(inputs, torchseq.layers.Dense(3)(inputs))
    model.compile("adam", "mse", auto_scale_loss=False)
    assert type(model.optimizer).__name__ == "Adam"
    # Keras writes the optimizer given to compile, and a Functional model keeps no policy of
    # its own: loaded under "float32", Keras's model trains its float16 layers unscaled.
    # Here the loss is scaled all the same, with the file's scale and steps.
    keras.config.set_dtype_policy("mixed_float16")
    try:
        keras_inputs = keras.Input((8,))
        theirs = keras.Model(keras_inputs, keras.layers.Dense(3)(keras_inputs))
    finally:
        keras.config.set_dtype_policy("float32")
    theirs.compile(keras.optimizers.Adam(0.01), "mse")
    x, _ = data(16)
    theirs.fit(x, np.zeros((16, 3)), verbose=0, epochs=2)
    theirs.save(tmp_path / "theirs.keras")
    mixed_precision.set_global_policy("float32")
    loaded = torchseq.saving.load_model(tmp_path / "theirs.keras")
    assert loaded.layers[-1].dtype_policy.name == "mixed_float16"
    assert type(loaded.optimizer).__name__ == "LossScaleOptimizer"
    assert int(loaded.optimizer.iterations) == int(theirs.optimizer.iterations) == 2
    assert float(loaded.optimizer.dynamic_scale) == float(theirs.optimizer.dynamic_scale)


def test_a_torch_optimizer_under_mixed_float16_saves_uncompiled(tmp_path):
    mixed_precision.set_global_policy("mixed_float16")
    model = classifier()
    model.compile(torch.optim.SGD(model.parameters(), lr=0.1), "sparse_categorical_crossentropy")
    assert type(model.optimizer).__name__ == "LossScaleOptimizer"
    x, y = data(16)
    model.fit(x, y, verbose=0)
    with pytest.warns(UserWarning, match="saved uncompiled"):
        model.save(tmp_path / "model.keras")
    loaded = torchseq.saving.load_model(tmp_path / "model.keras")
    assert not loaded.compiled
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_layers_policy_can_be_set_as_in_keras():
    layer = torchseq.layers.Dense(2)
    layer.dtype_policy = "mixed_bfloat16"
    theirs = keras.layers.Dense(2)
    theirs.dtype_policy = "mixed_bfloat16"
    assert layer.compute_dtype == theirs.compute_dtype == "bfloat16"
    assert layer.variable_dtype == theirs.variable_dtype == "float32"
    assert layer(np.ones((1, 3), "float32")).dtype == torch.bfloat16
    with pytest.raises(ValueError, match="received: 'mixed_float64'"):
        layer.dtype_policy = "mixed_float64"
