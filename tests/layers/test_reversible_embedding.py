"""ReversibleEmbedding: Keras parity forwards and in reverse, tied and untied, masks, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import (
    LayerCase,
    _weights_from_keras,
    check_exchange,
    check_layer,
    to_numpy,
)
from torchseq.layers.input_layer import Input
from torchseq.layers.reversible_embedding import ReversibleEmbedding
from torchseq.models.model import Model

CASES = [
    LayerCase(ReversibleEmbedding, {"input_dim": 10, "output_dim": 4}, (2, 5), input_dtype="int64"),
    LayerCase(
        ReversibleEmbedding,
        {"input_dim": 10, "output_dim": 3, "tie_weights": False, "mask_zero": True},
        (2, 5),
        input_dtype="int64",
    ),
    LayerCase(
        ReversibleEmbedding,
        {"input_dim": 12, "output_dim": 6, "logit_soft_cap": 2.0, "reverse_dtype": "float32"},
        (3, 2, 4),
        input_dtype="int64",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_forward_matches_keras(case: LayerCase) -> None:
    check_layer(case)


def _pair(kwargs: dict) -> tuple:
    keras = pytest.importorskip("keras")
    reference = keras.layers.ReversibleEmbedding(**kwargs)
    reference.build(None)
    ours = ReversibleEmbedding(**kwargs)
    ours.build(None)
    weights = [
        np.random.default_rng(i).standard_normal(w.shape).astype("float32")
        for i, w in enumerate(reference.get_weights())
    ]
    reference.set_weights(weights)
    ours.set_weights(weights)
    return reference, ours


@pytest.mark.parametrize(
    "kwargs",
    [
        {"input_dim": 10, "output_dim": 4},
        {"input_dim": 10, "output_dim": 4, "tie_weights": False},
        {"input_dim": 7, "output_dim": 5, "logit_soft_cap": 1.5},
        {"input_dim": 7, "output_dim": 5, "tie_weights": False, "logit_soft_cap": 0.5},
    ],
    ids=str,
)
def test_reverse_matches_keras(kwargs: dict) -> None:
    reference, ours = _pair(kwargs)
    hidden = np.random.default_rng(9).standard_normal((2, 3, kwargs["output_dim"]))
    hidden = hidden.astype("float32")
    expected = to_numpy(reference(hidden, reverse=True))
    actual = to_numpy(ours(torch.from_numpy(hidden), reverse=True))
    assert actual.shape == (2, 3, kwargs["input_dim"])
    np.testing.assert_allclose(actual, expected, atol=1e-5, rtol=1e-5)
    assert tuple(ours.compute_output_shape((None, 3, kwargs["output_dim"]), reverse=True)) == tuple(
        reference.compute_output_shape((None, 3, kwargs["output_dim"]), reverse=True)
    )


def test_untied_weights_order_and_exchange() -> None:
    keras = pytest.importorskip("keras")
    tokens = np.array([[1, 2, 0]])
    reference = keras.layers.ReversibleEmbedding(6, 3, tie_weights=False)
    reference(tokens)
    assert [w.path.split("/")[-1] for w in reference.weights] == [
        "embeddings",
        "reverse_embeddings",
    ]
    ours = ReversibleEmbedding(6, 3, tie_weights=False)
    ours.build(None)
    assert [tuple(w.shape) for w in ours.get_weights()] == [(6, 3), (3, 6)]
    assert [name for name, _ in ours.named_parameters()] == ["embeddings", "reverse_embeddings"]
    check_exchange(reference, ReversibleEmbedding, (tokens,))
    # the reverse weight travels through the weights file too
    ours(torch.from_numpy(tokens))
    _weights_from_keras(reference, ours)
    hidden = np.ones((1, 3), dtype="float32")
    np.testing.assert_allclose(
        to_numpy(ours(torch.from_numpy(hidden), reverse=True)),
        to_numpy(reference(hidden, reverse=True)),
        atol=1e-6,
    )


def test_reverse_output_in_a_model_and_masks() -> None:
    tokens = Input((4,), dtype="int64")
    layer = ReversibleEmbedding(9, 5, mask_zero=True)
    hidden = layer(tokens)
    assert hidden._keras_mask is not None
    logits = layer(hidden, reverse=True)
    assert tuple(logits.shape) == (None, 4, 9)
    assert getattr(logits, "_keras_mask", None) is None
    model = Model(tokens, logits)
    data = torch.tensor([[1, 2, 0, 0], [3, 0, 0, 0]])
    out = model(data)
    assert out.shape == (2, 4, 9)
    eager_hidden = layer(data)
    torch.testing.assert_close(eager_hidden._keras_mask, data != 0)
    assert getattr(layer(eager_hidden, reverse=True), "_keras_mask", None) is None
    assert layer.supports_masking


def test_weights_argument_builds_both_weights() -> None:
    embeddings = np.arange(12, dtype="float32").reshape(4, 3)
    reverse = np.ones((3, 4), dtype="float32")
    layer = ReversibleEmbedding(4, 3, tie_weights=False, weights=[embeddings, reverse])
    assert layer.built
    np.testing.assert_array_equal(layer.get_weights()[0], embeddings)
    out = layer(torch.tensor([[1.0, 0.0, 0.0]]), reverse=True)
    torch.testing.assert_close(out, torch.ones(1, 4))


def test_gradients_reach_the_tied_embeddings_from_both_directions() -> None:
    layer = ReversibleEmbedding(6, 3)
    hidden = layer(torch.tensor([[1, 2]]))
    layer(hidden, reverse=True).sum().backward()
    assert layer.embeddings.grad is not None
    assert layer.embeddings.grad[0].abs().sum() > 0  # row 0 reached only by the reverse pass


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"logit_soft_cap": 0}, "logit_soft_cap must be None or a positive number"),
        ({"logit_soft_cap": "big"}, "logit_soft_cap must be None"),
        ({"reverse_dtype": "floaty"}, "reverse_dtype must be None or a dtype name"),
        ({"output_dim": 0}, "output_dim must be a positive integer"),
    ],
)
def test_constructor_errors(kwargs: dict, match: str) -> None:
    arguments = {"input_dim": 5, "output_dim": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        ReversibleEmbedding(**arguments)


def test_reverse_with_the_wrong_width() -> None:
    layer = ReversibleEmbedding(5, 3, name="tokens")
    with pytest.raises(ValueError, match='"tokens": reverse=True expects .*output_dim=3'):
        layer(torch.zeros(2, 4), reverse=True)
