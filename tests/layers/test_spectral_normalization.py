"""SpectralNormalization: Keras parity in inference and training (power-iteration state and the
normalised kernel), weight order, weights files both ways, configs, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from tests.layers.harness import _weights_from_keras, _weights_to_keras, check_exchange, to_numpy
from torchseq import layers
from torchseq.layers.convolutional import Conv2D
from torchseq.layers.core import Dense, Embedding
from torchseq.layers.input_layer import Input
from torchseq.layers.spectral_normalization import SpectralNormalization
from torchseq.models.sequential import Sequential
from torchseq.saving.object_tree import state_entries

# (inner layer name, constructor kwargs, input shape, wrapper kwargs)
CASES = [
    ("Dense", {"units": 4}, (3, 5), {}),
    ("Dense", {"units": 3, "use_bias": False}, (2, 6), {"power_iterations": 3}),
    ("Dense", {"units": 4, "activation": "relu"}, (2, 3, 5), {}),
    ("Conv2D", {"filters": 3, "kernel_size": 2}, (2, 5, 5, 2), {}),
    (
        "Conv2D",
        {"filters": 2, "kernel_size": (3, 2), "padding": "same"},
        (1, 4, 6, 3),
        {"power_iterations": 2},
    ),
]
OURS: dict[str, Callable[..., Any]] = {"Dense": Dense, "Conv2D": Conv2D}


def _pair(inner: str, kwargs: dict, shape: tuple, wrapper: dict) -> tuple:
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    reference = keras.layers.SpectralNormalization(
        getattr(keras.layers, inner)(**kwargs), **wrapper
    )
    reference(x)
    ours = SpectralNormalization(OURS[inner](**kwargs), **wrapper)
    ours(torch.from_numpy(x))
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in reference.weights]
    ours.set_weights(reference.get_weights())
    assert ours.count_params() == reference.count_params()
    return reference, ours, x


@pytest.mark.parametrize("case", CASES, ids=str)
def test_inference_matches_keras_and_changes_nothing(case: tuple) -> None:
    reference, ours, x = _pair(*case)
    before = ours.get_weights()
    expected = to_numpy(reference(x, training=False))
    np.testing.assert_allclose(to_numpy(ours(torch.from_numpy(x))), expected, atol=1e-5)
    for a, b in zip(before, ours.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_training_call_updates_vector_u_and_kernel_like_keras(case: tuple) -> None:
    reference, ours, x = _pair(*case)
    for _ in range(2):  # the second call starts from the updated vector_u
        expected = to_numpy(reference(x, training=True))
        actual = to_numpy(ours(torch.from_numpy(x), training=True))
        np.testing.assert_allclose(actual, expected, atol=1e-5, rtol=1e-5)
        for ours_w, theirs_w in zip(ours.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(ours_w, to_numpy(theirs_w), atol=1e-6, rtol=1e-5)
    for _ in range(30):  # power iteration converges: the kernel's spectral norm nears 1
        ours(torch.from_numpy(x), training=True)
    kernel = ours.get_weights()[0]
    matrix = kernel.reshape(-1, kernel.shape[-1])
    assert abs(np.linalg.norm(matrix, 2) - 1.0) < 0.05


def test_training_mode_from_the_model() -> None:
    layer = SpectralNormalization(Dense(3))
    x = torch.randn(4, 5)
    layer(x)
    u = layer.get_weights()[1].copy()
    layer.train()
    layer(x)
    assert not np.array_equal(u, layer.get_weights()[1])


def test_all_zero_kernel_is_left_alone() -> None:
    layer = SpectralNormalization(Dense(3, use_bias=False))
    x = torch.randn(2, 4)
    layer(x)
    zeros, u = np.zeros((4, 3), "float32"), np.full((1, 3), 0.5, "float32")
    layer.set_weights([zeros, u])
    layer(x, training=True)
    np.testing.assert_array_equal(layer.get_weights()[0], zeros)
    np.testing.assert_array_equal(layer.get_weights()[1], u)


def test_gradients_reach_the_kernel_through_the_wrapped_layer() -> None:
    layer = SpectralNormalization(Dense(3))
    x = torch.randn(2, 4)
    layer(x, training=True).sum().backward()
    dense = layer.layer
    torch.testing.assert_close(dense.kernel.grad, x.sum(0, keepdim=True).t().expand(4, 3))
    assert not layer.vector_u.requires_grad


def test_embedding_outputs_stay_float() -> None:
    """Keras casts the output to the input dtype, turning an Embedding's vectors into zeros
    for integer indices; the vectors are kept here."""
    layer = SpectralNormalization(Embedding(10, 4))
    out = layer(torch.tensor([[1, 2, 3]]), training=True)
    assert out.dtype == torch.float32
    assert [w.shape for w in layer.get_weights()] == [(10, 4), (1, 4)]
    assert out.abs().sum() > 0


@pytest.mark.parametrize("case", CASES[::3], ids=str)
def test_config_and_weights_exchange_with_keras(case: tuple) -> None:
    reference, _, x = _pair(*case)
    reference(x, training=True)  # weights away from their initial values
    check_exchange(reference, SpectralNormalization, (x,))


def test_weights_file_layout_matches_keras() -> None:
    """Keras stores the kernel among the wrapper's own variables and again under layer/."""
    reference, ours, x = _pair(*CASES[3])
    entries = [(e.path.rstrip("/"), len(e.variables)) for e in state_entries(ours, "sn")]
    assert entries == [("sn", 2), ("sn/layer", 2)]
    reference(x, training=True)
    _weights_from_keras(reference, ours)
    for a, b in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, to_numpy(b), atol=1e-7)
    ours(torch.from_numpy(x), training=True)
    _weights_to_keras(ours, reference)
    for a, b in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, to_numpy(b), atol=1e-7)


def test_in_a_sequential_model() -> None:
    model = Sequential([Input((5,)), SpectralNormalization(Dense(2), name="sn")])
    assert tuple(model(torch.randn(3, 5)).shape) == (3, 2)
    assert [tuple(w.shape) for w in model.get_weights()] == [(5, 2), (1, 2), (2,)]
    assert len(model.trainable_weights) == 2


def test_config_round_trip() -> None:
    layer = SpectralNormalization(Dense(3, name="inner"), power_iterations=4, name="sn")
    config = layer.get_config()
    assert config["power_iterations"] == 4
    assert config["layer"]["class_name"] == "Dense"
    clone = SpectralNormalization.from_config(config)
    assert clone.get_config() == config


@pytest.mark.parametrize(
    ("power_iterations", "error", "match"),
    [
        (0, ValueError, "greater than zero, received: power_iterations=0"),
        (1.5, TypeError, "must be a positive integer"),
    ],
)
def test_power_iterations_errors(power_iterations: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        SpectralNormalization(Dense(2), power_iterations=power_iterations)


def test_layer_without_kernel() -> None:
    layer = SpectralNormalization(layers.Activation("relu"))
    with pytest.raises(ValueError, match="must have a 'kernel' or an 'embeddings' weight"):
        layer(torch.zeros(2, 3))


def test_wrapping_a_non_layer() -> None:
    with pytest.raises(TypeError, match="layer must be a torchseq Layer instance"):
        SpectralNormalization(torch.nn.Linear(2, 2))


def test_state_dict_loads_into_an_unbuilt_wrapper() -> None:
    x = torch.randn(3, 4)
    first = SpectralNormalization(Dense(2))
    first(x, training=True)
    second = SpectralNormalization(Dense(2))
    second.load_state_dict(first.state_dict())
    torch.testing.assert_close(second(x), first(x))
    assert second.kernel is second.layer.kernel


def test_model_weights_files_move_both_ways(tmp_path: Any) -> None:
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(3).standard_normal((4, 5)).astype("float32")
    ours = Sequential([Input((5,)), SpectralNormalization(Dense(3)), Dense(2)])
    theirs = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.SpectralNormalization(keras.layers.Dense(3)),
            keras.layers.Dense(2),
        ]
    )
    ours(torch.from_numpy(x), training=True)  # vector_u and the kernel away from their start
    ours.save_weights(tmp_path / "ours.weights.h5")
    theirs.load_weights(tmp_path / "ours.weights.h5")
    expected = to_numpy(ours(torch.from_numpy(x)))
    np.testing.assert_allclose(to_numpy(theirs(x)), expected, atol=1e-6)
    theirs(x, training=True)
    theirs.save_weights(tmp_path / "theirs.weights.h5")
    ours.load_weights(tmp_path / "theirs.weights.h5")
    np.testing.assert_allclose(to_numpy(ours(torch.from_numpy(x))), to_numpy(theirs(x)), atol=1e-6)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, to_numpy(b), atol=1e-7)
