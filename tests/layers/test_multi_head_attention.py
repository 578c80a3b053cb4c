"""MultiHeadAttention: Keras parity with the same weights, masks, scores, graphs, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from tests.layers.harness import to_numpy
from torchseq.layers.input_layer import Input
from torchseq.layers.multi_head_attention import MultiHeadAttention
from torchseq.models.model import Model


def _random(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.standard_normal(shape).astype("float32")


def _torch(value: Any) -> Any:
    return torch.from_numpy(value) if isinstance(value, np.ndarray) else value


def _keras_and_ours(kwargs: dict, inputs: list[np.ndarray]) -> tuple:
    keras = pytest.importorskip("keras")
    reference = keras.layers.MultiHeadAttention(**kwargs)
    reference(*inputs)
    layer = MultiHeadAttention(**kwargs)
    layer(*[_torch(x) for x in inputs])
    assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in reference.weights]
    layer.set_weights([to_numpy(w) for w in reference.get_weights()])
    assert layer.count_params() == reference.count_params()
    return layer, reference


def _assert_same(actual: Any, expected: Any, atol: float = 1e-5) -> None:
    actual = actual if isinstance(actual, tuple) else (actual,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    assert len(actual) == len(expected)
    for ours, theirs in zip(actual, expected):
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs), atol=atol, rtol=1e-5)


# (constructor kwargs, query shape, value shape, key shape or None, call kwargs)
MASK = np.random.default_rng(7).random((2, 4, 5)) > 0.3
CAUSAL_MASK = np.random.default_rng(8).random((2, 4, 4)) > 0.3
CASES = [
    ({"num_heads": 1, "key_dim": 4}, (2, 4, 6), (2, 5, 6), None, {}),
    ({"num_heads": 2, "key_dim": 3}, (2, 4, 6), (2, 5, 6), None, {}),
    ({"num_heads": 3, "key_dim": 3, "value_dim": 5}, (2, 4, 6), (2, 5, 7), (2, 5, 8), {}),
    ({"num_heads": 2, "key_dim": 3, "use_bias": False}, (2, 4, 6), (2, 5, 6), None, {}),
    ({"num_heads": 2, "key_dim": 3, "output_shape": 5}, (2, 4, 6), (2, 5, 6), None, {}),
    ({"num_heads": 2, "key_dim": 3}, (2, 4, 6), (2, 5, 6), None, {"return_attention_scores": True}),
    ({"num_heads": 2, "key_dim": 3}, (2, 4, 6), (2, 5, 6), None, {"attention_mask": MASK}),
    (
        {"num_heads": 2, "key_dim": 3},
        (2, 4, 6),
        (2, 5, 6),
        None,
        {"attention_mask": MASK, "return_attention_scores": True},
    ),
    ({"num_heads": 2, "key_dim": 3}, (2, 4, 6), (2, 4, 6), None, {"use_causal_mask": True}),
    (
        {"num_heads": 2, "key_dim": 3},
        (2, 4, 6),
        (2, 4, 6),
        None,
        {"use_causal_mask": True, "attention_mask": CAUSAL_MASK, "return_attention_scores": True},
    ),
    (
        {"num_heads": 2, "key_dim": 3},
        (2, 4, 6),
        (2, 4, 6),
        None,
        {"attention_mask": np.zeros((2, 4, 4), dtype=bool)},  # fully masked: uniform, no NaN
    ),
    ({"num_heads": 2, "key_dim": 3, "sliding_window": 2}, (2, 4, 6), (2, 4, 6), None, {}),
    (
        {"num_heads": 2, "key_dim": 3, "attention_axes": (1, 2), "output_shape": (4, 3)},
        (2, 4, 3, 6),
        (2, 2, 3, 6),
        None,
        {"return_attention_scores": True},
    ),
    (
        {"num_heads": 2, "key_dim": 3, "attention_axes": 2},
        (2, 4, 3, 6),
        (2, 4, 5, 6),
        None,
        {"return_attention_scores": True},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case[0]}-{sorted(case[4])}")
def test_parity_with_keras(case: tuple) -> None:
    kwargs, query_shape, value_shape, key_shape, call_kwargs = case
    rng = np.random.default_rng(0)
    inputs = [_random(rng, query_shape), _random(rng, value_shape)]
    if key_shape is not None:
        inputs.append(_random(rng, key_shape))
    layer, reference = _keras_and_ours(kwargs, inputs)
    expected = reference(*inputs, **call_kwargs)
    actual = layer(*[_torch(x) for x in inputs], **{k: _torch(v) for k, v in call_kwargs.items()})
    _assert_same(actual, expected)
    assert not np.isnan(to_numpy(actual if isinstance(actual, torch.Tensor) else actual[0])).any()


@pytest.mark.parametrize("return_attention_scores", [False, True])
def test_value_and_key_masks_match_keras(return_attention_scores: bool) -> None:
    rng = np.random.default_rng(3)
    inputs = [_random(rng, (2, 4, 6)), _random(rng, (2, 5, 6)), _random(rng, (2, 5, 3))]
    value_mask = np.array([[True, True, True, False, False], [True, False, True, True, True]])
    key_mask = np.array([[True, False, True, True, True], [True, True, True, True, False]])
    masks = {"value_mask": value_mask, "key_mask": key_mask}
    layer, reference = _keras_and_ours({"num_heads": 2, "key_dim": 3}, inputs)
    options = {"return_attention_scores": return_attention_scores}
    expected = reference(
        *[_torch(x) for x in inputs], **{k: _torch(v) for k, v in masks.items()}, **options
    )
    actual = layer(
        *[_torch(x) for x in inputs], **{k: _torch(v) for k, v in masks.items()}, **options
    )
    _assert_same(actual, expected)


def test_query_mask_is_an_attention_mask_on_rows() -> None:
    query, value = torch.randn(2, 4, 6), torch.randn(2, 5, 6)
    query_mask = torch.tensor([[True, True, False, True], [True, False, True, True]])
    layer = MultiHeadAttention(2, 3)
    with_query_mask = layer(query, value, query_mask=query_mask, return_attention_scores=True)
    attention_mask = query_mask.unsqueeze(-1).expand(2, 4, 5)
    explicit = layer(query, value, attention_mask=attention_mask, return_attention_scores=True)
    torch.testing.assert_close(with_query_mask, explicit)
    assert (with_query_mask[1][0, :, 2] == 0).all()  # a masked query row attends nowhere


def test_self_attention_in_functional_model_matches_keras() -> None:
    keras = pytest.importorskip("keras")
    data = _random(np.random.default_rng(1), (3, 5, 8))
    inputs = keras.Input((5, 8))
    reference = keras.Model(inputs, keras.layers.MultiHeadAttention(2, 8)(inputs, inputs))
    x = Input((5, 8))
    y = MultiHeadAttention(2, 8)(x, x)
    assert y.shape == (None, 5, 8)
    model = Model(x, y)
    assert model.count_params() == reference.count_params()
    model.set_weights([to_numpy(w) for w in reference.get_weights()])
    _assert_same(model(torch.from_numpy(data)), reference(data))


def test_symbolic_call_with_scores_and_causal_mask() -> None:
    query, value = Input((4, 6)), Input((7, 5))
    output, scores = MultiHeadAttention(3, 2, output_shape=(2, 2))(
        query, value, return_attention_scores=True, use_causal_mask=True
    )
    assert output.shape == (None, 4, 2, 2)
    assert scores.shape == (None, 3, 4, 7)


def test_training_dropout_and_gradients() -> None:
    torch.manual_seed(0)
    layer = MultiHeadAttention(2, 4, dropout=0.5)
    x = torch.randn(2, 5, 8)
    inference = layer(x, x)
    torch.testing.assert_close(layer(x, x, training=False), inference)
    assert not torch.allclose(layer(x, x, training=True), inference)
    _, scores = layer(x, x, training=True, return_attention_scores=True)
    torch.testing.assert_close(scores.sum(-1), torch.ones(2, 2, 5))  # before dropout, as Keras
    layer(x, x, training=True).sum().backward()
    assert all(w.grad is not None for w in layer.trainable_weights)
    assert len(layer.trainable_weights) == 8


def test_numpy_inputs_and_state_dict_round_trip() -> None:
    data = _random(np.random.default_rng(2), (2, 3, 4))
    first, second = MultiHeadAttention(2, 3), MultiHeadAttention(2, 3)
    first(data, data)
    second(data, data)
    second.load_state_dict(first.state_dict())
    torch.testing.assert_close(first(data, data), second(data, data))


def test_config_round_trip() -> None:
    layer = MultiHeadAttention(
        2, 3, value_dim=4, dropout=0.1, output_shape=5, attention_axes=1, name="mha"
    )
    config = layer.get_config()
    assert config["output_shape"] == (5,) and config["attention_axes"] == (1,)
    assert MultiHeadAttention.from_config(config).get_config() == config


def test_kernel_initializer_uses_projection_fans() -> None:
    torch.manual_seed(0)
    layer = MultiHeadAttention(8, 16, kernel_initializer="glorot_uniform")
    x = torch.zeros(1, 2, 64)
    layer(x, x)
    limit = (6 / (64 + 8 * 16)) ** 0.5  # fan_in = 64, fan_out = heads * key_dim
    assert layer.query_kernel.abs().max() <= limit
    assert layer.query_kernel.abs().max() > 0.9 * limit


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"num_heads": 0, "key_dim": 2}, ValueError, "num_heads must be a positive integer"),
        ({"num_heads": 2, "key_dim": -1}, ValueError, "key_dim must be a positive integer"),
        ({"num_heads": 2, "key_dim": 2, "value_dim": 0}, ValueError, "value_dim"),
        (
            {"num_heads": 2, "key_dim": 2, "dropout": 1.0},
            ValueError,
            r"dropout must be in \[0, 1\)",
        ),
        ({"num_heads": 2, "key_dim": 2, "attention_axes": "1"}, TypeError, "attention_axes"),
        ({"num_heads": 2, "key_dim": 2, "output_shape": (0,)}, ValueError, "output_shape"),
        ({"num_heads": 2, "key_dim": 2, "use_gate": True}, ValueError, "use_gate"),
    ],
)
def test_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        MultiHeadAttention(**kwargs)


def test_mismatched_shapes_name_the_layer() -> None:
    layer = MultiHeadAttention(2, 3, name="mha")
    with pytest.raises(ValueError, match='"mha": value and key must agree'):
        layer(torch.randn(2, 4, 6), torch.randn(2, 5, 6), torch.randn(2, 3, 6))
    assert not layer.built
    with pytest.raises(ValueError, match='"mha" expects a query of rank >= 3'):
        layer(torch.randn(2, 6), torch.randn(2, 6))
    with pytest.raises(ValueError, match="attention_axes must be axes"):
        MultiHeadAttention(2, 3, attention_axes=3)(torch.randn(2, 4, 6), torch.randn(2, 4, 6))
    layer(torch.randn(2, 4, 6), torch.randn(2, 5, 6))
    with pytest.raises(ValueError, match='"mha": expected key with last dimension 6'):
        layer(torch.randn(2, 4, 6), torch.randn(2, 5, 7))
    with pytest.raises(ValueError, match='"mha"'):
        layer(torch.randn(2, 4, 5), torch.randn(2, 5, 6))
    with pytest.raises(TypeError, match="needs query and value"):
        layer(torch.randn(2, 4, 6))


def test_model_with_attention_layers_trains() -> None:
    from torchseq.layers.attention import Attention

    torch.manual_seed(0)
    x = Input((5, 8))
    y = MultiHeadAttention(2, 4, dropout=0.1)(x, x, use_causal_mask=True)
    model = Model(x, Attention()([y, x]))
    model.compile(optimizer="adam", loss="mse")
    data = np.random.default_rng(0).standard_normal((32, 5, 8)).astype("float32")
    history = model.fit(data, data * 0.5, epochs=4, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(data[:2], verbose=0).shape == (2, 5, 8)


@pytest.mark.parametrize("layer_class", ["MultiHeadAttention", "GroupQueryAttention"])
def test_building_takes_the_softmax_and_dropout_names_as_keras(layer_class: str) -> None:
    # Keras's attention layers build a Softmax and a Dropout sublayer: the next automatic
    # names are softmax_1 and dropout_1 (keras.io's vision transformer's summary shows them).
    keras = pytest.importorskip("keras")
    from torchseq import layers

    names = []
    for framework in (layers, keras.layers):
        if framework is keras.layers:
            keras.utils.clear_session()
        else:
            from torchseq.utils import naming

            naming.clear_session()
        make = getattr(framework, layer_class)
        layer = make(2, 4) if layer_class == "MultiHeadAttention" else make(4, 2, 2)
        x = np.zeros((1, 3, 8), "float32")
        layer(x, x)
        names.append((framework.Softmax().name, framework.Dropout(0.1).name))
    assert names[0] == names[1] == ("softmax_1", "dropout_1")
