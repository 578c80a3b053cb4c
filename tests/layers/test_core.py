"""Tests for torchseq.layers.core: Dense, Activation, Lambda, Embedding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import (
    LayerCase,
    check_layer,
    check_output_shape,
    check_parity,
    check_state_dict_round_trip,
)
from torchseq import activations
from torchseq.layers.core import Activation, Dense, Embedding, Lambda
from torchseq.layers.input_layer import Input

# Keras's own Variable.__array__ predates numpy 2's copy keyword; the warning is not ours.

def _square(x: torch.Tensor) -> torch.Tensor:
    return x**2


def _scale(x: torch.Tensor, factor: float = 1.0) -> torch.Tensor:
    return x * factor


CASES = [
    LayerCase(Dense, {"units": 3}, (2, 4)),
    LayerCase(Dense, {"units": 3, "activation": "relu"}, (2, 4)),
    LayerCase(Dense, {"units": 5, "activation": "softmax"}, (2, 4)),
    LayerCase(Dense, {"units": 3, "use_bias": False}, (2, 4)),
    LayerCase(Dense, {"units": 2}, (2, 3, 4)),
    LayerCase(Dense, {"units": 2, "bias_initializer": "ones"}, (2, 2, 3, 4)),
    LayerCase(Activation, {"activation": "relu"}, (2, 5)),
    LayerCase(Activation, {"activation": "softmax"}, (2, 3, 5)),
    LayerCase(Activation, {"activation": "gelu"}, (2, 5)),
    LayerCase(Activation, {"activation": "linear"}, (2, 5)),
    LayerCase(Embedding, {"input_dim": 10, "output_dim": 4}, (2, 5), input_dtype="int64"),
    LayerCase(Embedding, {"input_dim": 12, "output_dim": 3}, (2, 5), input_dtype="int32"),
    LayerCase(Embedding, {"input_dim": 10, "output_dim": 4}, (3,), input_dtype="int64"),
    LayerCase(Embedding, {"input_dim": 10, "output_dim": 2}, (2, 3, 4), input_dtype="int32"),
    LayerCase(
        Embedding,
        {"input_dim": 10, "output_dim": 4, "mask_zero": True},
        (2, 5),
        input_dtype="int64",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer(case: LayerCase) -> None:
    check_layer(case)


# ---------------------------------------------------------------------- Dense


@pytest.mark.parametrize(
    ("units", "shown"), [(0, "units=0"), (-1, "units=-1"), (2.5, "units=2.5"), ("3", "units='3'")]
)
def test_dense_rejects_bad_units(units: object, shown: str) -> None:
    with pytest.raises(ValueError, match=f"Dense: units must be a positive integer.*{shown}"):
        Dense(units)


def test_dense_weights_appear_on_first_call() -> None:
    layer = Dense(3)
    assert layer.weights == []
    assert not layer.built
    layer(torch.ones(1, 4))
    assert layer.built
    assert [tuple(w.shape) for w in layer.weights] == [(4, 3), (3,)]
    assert [w.path for w in layer.weights] == ["dense/kernel", "dense/bias"]
    assert layer.count_params() == 15


def test_dense_repr() -> None:
    assert repr(Dense(3)) == "<Dense name=dense, built=False>"


def test_dense_regularizer_losses_match_keras() -> None:
    keras = pytest.importorskip("keras")
    kwargs = {"units": 3, "kernel_regularizer": "l2", "bias_regularizer": "l1"}
    reference = keras.layers.Dense(**kwargs, bias_initializer="ones")
    reference.build((None, 4))
    layer = Dense(**kwargs)
    layer(torch.ones(1, 4))
    layer.set_weights(reference.get_weights())
    expected = [float(loss.detach()) for loss in reference.losses]
    actual = [float(loss.detach()) for loss in layer.losses]
    assert len(actual) == 2
    np.testing.assert_allclose(actual, expected, rtol=1e-6)


def test_dense_constraints_are_applied() -> None:
    layer = Dense(2, kernel_constraint="non_neg", bias_constraint="non_neg")
    layer(torch.ones(1, 3))
    layer.set_weights([-np.ones((3, 2), "float32"), np.array([-1.0, 2.0], "float32")])
    layer._apply_constraints()
    kernel, bias = layer.get_weights()
    np.testing.assert_array_equal(kernel, np.zeros((3, 2)))
    np.testing.assert_array_equal(bias, [0.0, 2.0])


def test_dense_not_trainable() -> None:
    layer = Dense(3, trainable=False)
    layer(torch.ones(1, 4))
    assert layer.trainable_weights == []
    assert len(layer.non_trainable_weights) == 2
    assert layer.get_config()["trainable"] is False


def test_dense_set_weights_wrong_count_changes_nothing() -> None:
    layer = Dense(3)
    layer(torch.ones(1, 4))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r'"dense" expects 2 weight arrays.*\(4, 3\), \(3,\)'):
        layer.set_weights([np.zeros((4, 3))])
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_dense_set_weights_wrong_shape_changes_nothing() -> None:
    layer = Dense(3)
    layer(torch.ones(1, 4))
    before = layer.get_weights()
    with pytest.raises(
        ValueError, match=r'"dense".*shape \(3,\), received an array of shape \(4,\)'
    ):
        layer.set_weights([np.ones((4, 3)), np.ones(4)])
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_dense_rejects_wrong_input_size() -> None:
    layer = Dense(3)
    layer(torch.ones(1, 4))
    with pytest.raises(ValueError, match=r'layer "dense".*axis -1.*value 4'):
        layer(torch.ones(1, 5))


# ---------------------------------------------------------------------- Activation


def test_activation_accepts_a_callable() -> None:
    layer = Activation(_square)
    torch.testing.assert_close(layer(torch.tensor([-2.0, 3.0])), torch.tensor([4.0, 9.0]))
    assert layer.get_config()["activation"] == {  # Keras's config of a function of yours
        "module": "builtins",
        "class_name": "function",
        "config": "_square",
        "registered_name": "function",
    }


def test_activation_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ValueError, match=r"Unknown activation.*'relu'.*received: 'rleu'"):
        Activation("rleu")


def test_activation_serializes_aliases_as_keras() -> None:
    assert Activation("swish").get_config()["activation"] == "silu"
    assert Activation("relu").activation is activations.relu


# ---------------------------------------------------------------------- Lambda

LAMBDA_CASES = [
    LayerCase(Lambda, {"function": lambda x: x**2}, (2, 3)),
    LayerCase(Lambda, {"function": lambda x: x[:, :2] * 2.0, "output_shape": (2,)}, (2, 3)),
    LayerCase(Lambda, {"function": _scale, "arguments": {"factor": 3.0}}, (2, 3, 4)),
    LayerCase(
        Lambda,
        {"function": lambda x: x.sum(-1), "output_shape": lambda shape: shape[:-1]},
        (2, 3, 4),
    ),
]


@pytest.mark.parametrize("case", LAMBDA_CASES, ids=str)
def test_lambda(case: LayerCase) -> None:
    check_output_shape(case)
    check_state_dict_round_trip(case)
    check_parity(case)


def test_lambda_output_shape_tuple_takes_the_batch_size() -> None:
    layer = Lambda(lambda x: x[:, :2], output_shape=(2,))
    assert layer.compute_output_shape((None, 5)) == (None, 2)
    assert layer.compute_output_shape((7, 5)) == (7, 2)


def test_lambda_symbolic_inference_keeps_dtypes() -> None:
    x = Input((3, 4))
    y = Lambda(lambda t: t.argmax(-1))(x)
    assert y.shape == (None, 3)
    assert y.dtype == "int64"
    z = Lambda(lambda t: t[:, 0], output_shape=(4,))(x)
    assert z.shape == (None, 4)


def test_lambda_passes_training_and_mask_when_asked() -> None:
    seen = {}

    def record(x: torch.Tensor, mask: object = None, training: object = None) -> torch.Tensor:
        seen.update(mask=mask, training=training)
        return x

    layer = Lambda(record)
    layer(torch.ones(2))
    assert seen == {"mask": None, "training": False}
    layer(torch.ones(2), training=True)
    assert seen["training"] is True


def test_lambda_compute_mask() -> None:
    inputs = torch.tensor([0.0, 1.0])
    assert Lambda(_square).compute_mask(inputs) is None
    layer = Lambda(_square, mask=lambda x, mask: x != 0)
    assert layer.supports_masking
    torch.testing.assert_close(layer.compute_mask(inputs), torch.tensor([False, True]))


def test_lambda_config_names_the_function_as_keras_does() -> None:
    layer = Lambda(_scale, output_shape=(3,), arguments={"factor": 2.0})
    config = layer.get_config()
    assert config["function"]["class_name"] == "function"
    assert config["function"]["config"] == "_scale"
    assert config["output_shape"] == (3,)
    assert config["arguments"] == {"factor": 2.0}
    # A function of the user's own is found only when registered or in custom_objects.
    with pytest.raises(ValueError, match=r"custom_objects=\{'_scale': _scale\}"):
        Lambda.from_config(config)
    clone = Lambda.from_config(config, custom_objects={"_scale": _scale})
    assert clone.function is _scale and clone.get_config() == config


def test_lambda_config_refuses_a_bare_function_name() -> None:
    config = {**Lambda(_scale).get_config(), "function": "_scale"}
    with pytest.raises(TypeError, match=r"Lambda.from_config.*function only as '_scale'"):
        Lambda.from_config(config)


def test_lambda_config_keeps_a_lambda_as_bytecode_loaded_only_outside_safe_mode() -> None:
    from torchseq.saving import serialization_lib

    config = Lambda(lambda x: x * 3.0).get_config()
    assert config["function"]["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match="Refused to load a Python lambda"):
        Lambda.from_config(config)
    with serialization_lib.SafeModeScope(False):
        clone = Lambda.from_config(config)
    torch.testing.assert_close(clone(torch.ones(2)), torch.full((2,), 3.0))


def test_lambda_from_config_with_a_callable() -> None:
    config = Lambda(_scale, arguments={"factor": 2.0}, name="scaled").get_config()
    clone = Lambda.from_config({**config, "function": _scale})
    assert clone.get_config() == config
    torch.testing.assert_close(clone(torch.ones(2)), torch.full((2,), 2.0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"function": 3}, "function must be callable, received: function=3"),
        ({"function": _square, "arguments": [1]}, "arguments must be a dict"),
        ({"function": _square, "output_shape": "abc"}, "output_shape must be a tuple"),
    ],
)
def test_lambda_rejects_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(TypeError, match=f"Lambda: {message}"):
        Lambda(**kwargs)


# ---------------------------------------------------------------------- Embedding


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_dim": 0, "output_dim": 2}, "input_dim must be a positive integer.*input_dim=0"),
        ({"input_dim": 3.0, "output_dim": 2}, "input_dim must be a positive integer.*=3.0"),
        ({"input_dim": 5, "output_dim": -2}, "output_dim must be a positive integer.*=-2"),
        ({"input_dim": 5, "output_dim": True}, "output_dim must be .*output_dim=True"),
    ],
)
def test_embedding_rejects_bad_sizes(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=f"Embedding: {message}"):
        Embedding(**kwargs)


def test_embedding_weight_and_output() -> None:
    layer = Embedding(6, 3)
    outputs = layer(torch.tensor([[0, 5], [2, 2]], dtype=torch.int32))
    assert outputs.dtype == torch.float32
    assert outputs.shape == (2, 2, 3)
    assert [w.path for w in layer.weights] == ["embedding/embeddings"]
    table = layer.get_weights()[0]
    assert table.shape == (6, 3)
    assert np.abs(table).max() <= 0.05  # Keras's "uniform": [-0.05, 0.05]
    np.testing.assert_array_equal(outputs[0, 1].detach().numpy(), table[5])


def test_embedding_mask() -> None:
    inputs = torch.tensor([[0, 3, 0]])
    assert Embedding(5, 2).compute_mask(inputs) is None
    layer = Embedding(5, 2, mask_zero=True)
    assert layer.supports_masking
    torch.testing.assert_close(layer.compute_mask(inputs), torch.tensor([[False, True, False]]))


def test_embedding_float_indices_are_truncated() -> None:
    layer = Embedding(5, 2)
    np.testing.assert_array_equal(
        layer(torch.tensor([1.7, 3.2])).detach().numpy(), layer.get_weights()[0][[1, 3]]
    )


def test_embedding_index_out_of_range_names_the_layer() -> None:
    with pytest.raises(IndexError, match=r'"embedding": indices must lie in \[0, 5\)'):
        Embedding(5, 2)(torch.tensor([5]))


def test_embedding_initial_weights_build_at_once() -> None:
    table = np.arange(8, dtype="float32").reshape(4, 2)
    layer = Embedding(4, 2, weights=[table], trainable=False)
    assert layer.built
    np.testing.assert_array_equal(layer.get_weights()[0], table)
    np.testing.assert_array_equal(layer(torch.tensor([3])).detach().numpy(), table[[3]])
    assert layer.trainable_weights == []
    with pytest.raises(ValueError, match=r'"embedding_1".*shape \(4, 2\).*\(2, 2\)'):
        Embedding(4, 2, weights=table[:2])


def test_embedding_input_length_sets_the_input_shape() -> None:
    layer = Embedding(10, 4, input_length=7)
    assert layer._batch_input_shape == (None, 7)
    assert Embedding.from_config(layer.get_config())._batch_input_shape == (None, 7)


def test_embedding_symbolic_output() -> None:
    y = Embedding(10, 4)(Input((5,), dtype="int32"))
    assert y.shape == (None, 5, 4)
    assert y.dtype == "float32"


def test_embedding_regularizer_loss() -> None:
    layer = Embedding(3, 2, embeddings_regularizer="l2")
    layer(torch.tensor([0]))
    layer.set_weights([np.ones((3, 2), "float32")])
    (loss,) = layer.losses
    assert float(loss.detach()) == pytest.approx(0.01 * 6)


def test_lambda_that_cannot_run_symbolically_asks_for_output_shape() -> None:
    def to_numpy(x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(x.numpy())

    with pytest.raises(ValueError, match=r'"lambda": could not infer .*to_numpy.*output_shape='):
        Lambda(to_numpy)(Input((3,)))
    y = Lambda(to_numpy, output_shape=(3,))(Input((3,)))
    assert y.shape == (None, 3)
