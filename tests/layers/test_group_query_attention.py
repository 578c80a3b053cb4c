"""GroupQueryAttention: Keras parity with the same weights (heads, masks, causal, sliding
window, gate, scores), weight order and file paths, configs both ways, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from tests.layers.harness import check_exchange, to_numpy
from torchseq import layers
from torchseq.layers.group_query_attention import GroupQueryAttention
from torchseq.layers.input_layer import Input
from torchseq.models.model import Model
from torchseq.saving.object_tree import state_entries


def _random(shape: tuple, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _pair(kwargs: dict, inputs: list[np.ndarray]) -> tuple:
    keras = pytest.importorskip("keras")
    reference = keras.layers.GroupQueryAttention(**kwargs)
    reference(*inputs)
    layer = GroupQueryAttention(**kwargs)
    layer(*[torch.from_numpy(x) for x in inputs])
    assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in reference.weights]
    weights = [_random(w.shape, seed=i) * 0.5 for i, w in enumerate(reference.get_weights())]
    reference.set_weights(weights)
    layer.set_weights(weights)
    assert layer.count_params() == reference.count_params()
    return layer, reference


def _assert_same(actual: Any, expected: Any) -> None:
    actual = actual if isinstance(actual, tuple) else (actual,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    assert len(actual) == len(expected)
    for ours, theirs in zip(actual, expected):
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs), atol=1e-5, rtol=1e-5)


BASE = {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}
MASK = np.random.default_rng(7).random((2, 4, 5)) > 0.3
MASK[0, 1] = False  # a fully masked row: the fused and explicit paths differ there, as in Keras
CASES = [
    (BASE, {}),
    ({**BASE, "num_key_value_heads": 1}, {}),
    ({**BASE, "num_key_value_heads": 4}, {}),
    ({**BASE, "use_bias": False}, {}),
    ({**BASE, "use_gate": True}, {}),
    (BASE, {"return_attention_scores": True}),
    (BASE, {"attention_mask": MASK}),
    (BASE, {"attention_mask": MASK, "return_attention_scores": True}),
    (BASE, {"use_causal_mask": True}),
    (BASE, {"use_causal_mask": True, "return_attention_scores": True}),
    ({**BASE, "sliding_window": 2}, {}),
    ({**BASE, "sliding_window": 2}, {"use_causal_mask": True}),
    ({**BASE, "dropout": 0.5}, {}),  # inference: the explicit path, no dropout
    ({**BASE, "use_gate": True, "use_bias": False}, {"return_attention_scores": True}),
]


@pytest.mark.parametrize(("kwargs", "call_kwargs"), CASES, ids=str)
def test_matches_keras(kwargs: dict, call_kwargs: dict) -> None:
    inputs = [_random((2, 4, 6), 1), _random((2, 5, 6), 2)]
    layer, reference = _pair(kwargs, inputs)
    expected = reference(*inputs, **call_kwargs)
    torch_kwargs = {
        k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in call_kwargs.items()
    }
    _assert_same(layer(*[torch.from_numpy(x) for x in inputs], **torch_kwargs), expected)


def test_key_and_keras_masks_match_keras() -> None:
    query, value, key = _random((2, 4, 6), 1), _random((2, 5, 7), 2), _random((2, 5, 5), 3)
    layer, reference = _pair(BASE, [query, value, key])
    query_mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], dtype=bool)
    value_mask = np.array([[1, 1, 1, 1, 0], [1, 0, 1, 1, 1]], dtype=bool)
    expected = reference(query, value, key, query_mask=query_mask, value_mask=value_mask)
    actual = layer(
        torch.from_numpy(query),
        torch.from_numpy(value),
        torch.from_numpy(key),
        query_mask=torch.from_numpy(query_mask),
        value_mask=torch.from_numpy(value_mask),
    )
    _assert_same(actual, expected)


def test_weights_order_and_file_paths_match_keras() -> None:
    kwargs = {**BASE, "use_gate": True}
    inputs = [_random((2, 4, 6), 1), _random((2, 5, 6), 2)]
    layer, reference = _pair(kwargs, inputs)
    keras_paths = ["/".join(w.path.split("/")[1:]) for w in reference.weights]
    ours = []
    for sub in ("_query_dense", "_key_dense", "_gate_dense", "_value_dense", "_output_dense"):
        ours += [
            f"{getattr(layer, sub).name}/{n}" for n, _ in getattr(layer, sub).named_parameters()
        ]
    assert ours == keras_paths
    paths = {e.path: len(e.variables) for e in state_entries(layer, "gqa") if e.variables}
    assert paths == {
        f"gqa/{sub}": 2
        for sub in ("_gate_dense", "_key_dense", "_output_dense", "_query_dense", "_value_dense")
    }


@pytest.mark.parametrize(
    ("kwargs", "arity"), [(BASE, 2), ({**BASE, "use_gate": True, "use_bias": False}, 3)], ids=str
)
def test_config_and_weights_exchange_with_keras(kwargs: dict, arity: int) -> None:
    keras = pytest.importorskip("keras")
    inputs = [_random((2, 4, 6), 1), _random((2, 5, 6), 2), _random((2, 5, 4), 3)][:arity]
    reference = keras.layers.GroupQueryAttention(**kwargs)
    reference(*inputs)
    reference.set_weights([_random(w.shape, i) for i, w in enumerate(reference.get_weights())])
    check_exchange(reference, GroupQueryAttention, tuple(inputs))


def test_symbolic_shapes_match_keras() -> None:
    keras = pytest.importorskip("keras")
    reference = keras.layers.GroupQueryAttention(**BASE)
    q, v = keras.Input((4, 6)), keras.Input((None, 6))
    out, scores = reference(q, v, return_attention_scores=True)
    layer = GroupQueryAttention(**BASE)
    ours_out, ours_scores = layer(Input((4, 6)), Input((None, 6)), return_attention_scores=True)
    assert tuple(ours_out.shape) == tuple(out.shape)
    assert tuple(ours_scores.shape) == tuple(scores.shape)
    assert layer.get_build_config() == {
        "shapes_dict": {"query_shape": (None, 4, 6), "value_shape": (None, None, 6)}
    }


def test_functional_model_with_keras_masks() -> None:
    tokens = Input((5,), dtype="int64")
    embedded = layers.Embedding(10, 6, mask_zero=True)(tokens)
    attended = GroupQueryAttention(**BASE)(embedded, embedded)
    model = Model(tokens, attended)
    data = torch.tensor([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]])
    out = model(data)
    assert out.shape == (2, 5, 6)
    assert torch.isfinite(out).all()


def test_dropout_in_training_and_gradients() -> None:
    torch.manual_seed(0)
    layer = GroupQueryAttention(**{**BASE, "dropout": 0.5})
    x = torch.randn(2, 4, 6)
    assert not torch.equal(layer(x, x, training=True), layer(x, x, training=True))
    torch.testing.assert_close(layer(x, x), layer(x, x))
    layer(x, x, training=True).sum().backward()
    assert all(p.grad is not None for p in layer.parameters())


def test_state_dict_loads_into_an_unbuilt_layer() -> None:
    x = torch.randn(2, 4, 6)
    first = GroupQueryAttention(**BASE, use_gate=True)
    first(x, x)
    second = GroupQueryAttention(**BASE, use_gate=True)
    second.load_state_dict(first.state_dict())
    torch.testing.assert_close(second(x, x), first(x, x))


def test_config_round_trip() -> None:
    layer = GroupQueryAttention(**BASE, use_gate=True, sliding_window=3, name="gqa")
    config = layer.get_config()
    assert GroupQueryAttention.from_config(config).get_config() == config


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {**BASE, "num_key_value_heads": 3},
            ValueError,
            "num_query_heads must be divisible by num_key_value_heads",
        ),
        ({**BASE, "head_dim": 0}, ValueError, "head_dim must be a positive integer"),
        ({**BASE, "sliding_window": 0}, ValueError, "sliding_window must be a positive"),
        ({**BASE, "dropout": 1.0}, ValueError, r"dropout must be in \[0, 1\)"),
        ({**BASE, "dropout": "x"}, TypeError, "dropout must be a float"),
        (
            {**BASE, "dropout": 0.1, "flash_attention": True},
            ValueError,
            "flash_attention=True does not support dropout",
        ),
    ],
)
def test_constructor_errors(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        GroupQueryAttention(**kwargs)


def test_call_errors() -> None:
    layer = GroupQueryAttention(**BASE, flash_attention=True, name="gqa")
    x = torch.randn(2, 4, 6)
    with pytest.raises(ValueError, match='"gqa": flash_attention=True cannot return'):
        layer(x, x, return_attention_scores=True)
    with pytest.raises(TypeError, match="needs query and value"):
        GroupQueryAttention(**BASE)(x)
    with pytest.raises(ValueError, match="expects a query of rank 3"):
        GroupQueryAttention(**BASE)(torch.randn(2, 6), torch.randn(2, 6))
    with pytest.raises(ValueError, match="last dimensions of query and value must be equal"):
        GroupQueryAttention(**BASE).compute_output_shape((None, 4, 6), (None, 5, 7))


def test_default_name_follows_keras() -> None:
    keras = pytest.importorskip("keras")
    assert keras.layers.GroupQueryAttention(**BASE).name.startswith("grouped_query_attention")
    assert GroupQueryAttention(**BASE).name == "grouped_query_attention"
    assert GroupQueryAttention(**BASE).name == "grouped_query_attention_1"


def test_model_weights_files_move_both_ways(tmp_path: Any) -> None:
    keras = pytest.importorskip("keras")
    x = _random((2, 4, 6), 5)
    query = Input((4, 6))
    ours = Model(query, GroupQueryAttention(**BASE, use_gate=True)(query, query))
    keras_query = keras.Input((4, 6))
    theirs = keras.Model(
        keras_query,
        keras.layers.GroupQueryAttention(**BASE, use_gate=True)(keras_query, keras_query),
    )
    ours.save_weights(tmp_path / "ours.weights.h5")
    theirs.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(
        to_numpy(theirs(x)), to_numpy(ours(torch.from_numpy(x))), atol=1e-5, rtol=1e-5
    )
