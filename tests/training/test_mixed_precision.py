"""Mixed precision: dtype policies, autocast layers, float32 losses and outputs, loss scaling."""

from __future__ import annotations

import os

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


@pytest.mark.parametrize("bad", ["int8", "mixed_int8", "float8_e4m3fn_from_float32", "nope"])
def test_unknown_policies_are_refused(bad):
    with pytest.raises(ValueError, match=f"mixed_bfloat16'.*received: '{bad}'"):
        dtype_policies.DTypePolicy(bad)
    if bad != "int8":  # an integer dtype is a plain policy for layers such as lookups
        with pytest.raises(ValueError, match=f"received: dtype='{bad}'"):
            layers.Dense(2, dtype=bad)
    assert mixed_precision.global_policy().name == "float32"


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
    assert dense.get_config()["dtype"] == keras.layers.Dense(4, dtype="mixed_bfloat16").get_config()[
        "dtype"
    ]
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
        np.testing.assert_allclose(weight.detach().numpy(), keras.ops.convert_to_numpy(theirs_weight))
        assert float(optimizer.dynamic_scale) == float(theirs.dynamic_scale)


def test_loss_scale_optimizer_refuses_bad_arguments():
    with pytest.raises(TypeError, match="optimizer instance to wrap"):
        mixed_precision.LossScaleOptimizer("sgd")
    with pytest.raises(ValueError, match="initial_scale must be a positive number"):
        mixed_precision.LossScaleOptimizer(torchseq.optimizers.SGD(), initial_scale=0)
    with pytest.raises(ValueError, match="dynamic_growth_steps must be an int >= 1"):
        mixed_precision.LossScaleOptimizer(torchseq.optimizers.SGD(), dynamic_growth_steps=0.5)
