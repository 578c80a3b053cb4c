"""Attention and AdditiveAttention: Keras parity with the same weights, masks, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import LayerCase, check_layer, keras_layer, to_numpy
from torchseq.layers.attention import AdditiveAttention, Attention
from torchseq.layers.input_layer import Input

CASES = [
    LayerCase(Attention, {}, [(2, 3, 4), (2, 5, 4)]),
    LayerCase(Attention, {}, [(2, 3, 4), (2, 5, 6), (2, 5, 4)]),
    LayerCase(Attention, {"use_scale": True}, [(2, 3, 4), (2, 5, 4)]),
    LayerCase(Attention, {"score_mode": "concat"}, [(2, 3, 4), (2, 5, 4)]),
    LayerCase(Attention, {"score_mode": "concat", "use_scale": True}, [(2, 3, 4), (2, 5, 4)]),
    LayerCase(Attention, {"dropout": 0.5}, [(2, 3, 4), (2, 5, 4)]),
    LayerCase(AdditiveAttention, {}, [(2, 3, 4), (2, 5, 4)]),
    LayerCase(AdditiveAttention, {"use_scale": False}, [(2, 3, 4), (2, 5, 6), (2, 5, 4)]),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer_cases(case: LayerCase) -> None:
    check_layer(case)


def _inputs(rng: np.random.Generator, with_key: bool = False) -> list[np.ndarray]:
    shapes = [(2, 3, 4), (2, 5, 4)] + ([(2, 5, 4)] if with_key else [])
    return [rng.standard_normal(shape).astype("float32") for shape in shapes]


def _pair(layer_cls: type, kwargs: dict, inputs: list[np.ndarray]) -> tuple:
    reference = keras_layer(LayerCase(layer_cls, kwargs, [x.shape for x in inputs]))
    reference(inputs)
    layer = layer_cls(**kwargs)
    layer([torch.from_numpy(x) for x in inputs])
    layer.set_weights([to_numpy(w) for w in reference.get_weights()])
    return layer, reference


@pytest.mark.parametrize("layer_cls", [Attention, AdditiveAttention])
@pytest.mark.parametrize("use_causal_mask", [False, True])
def test_masks_and_scores_match_keras(layer_cls: type, use_causal_mask: bool) -> None:
    rng = np.random.default_rng(1)
    inputs = _inputs(rng)
    query_mask = np.array([[True, True, False], [True, False, True]])
    value_mask = np.array([[True, True, True, False, False], [True, False, True, True, True]])
    layer, reference = _pair(layer_cls, {"use_scale": True}, inputs)
    expected = reference(
        inputs,
        mask=[query_mask, value_mask],
        return_attention_scores=True,
        use_causal_mask=use_causal_mask,
    )
    actual = layer(
        [torch.from_numpy(x) for x in inputs],
        mask=[torch.from_numpy(query_mask), torch.from_numpy(value_mask)],
        return_attention_scores=True,
        use_causal_mask=use_causal_mask,
    )
    for ours, theirs in zip(actual, expected):
        np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs), atol=1e-5, rtol=1e-5)


def test_fully_masked_row_attends_uniformly_like_keras() -> None:
    inputs = _inputs(np.random.default_rng(2))
    value_mask = np.zeros((2, 5), dtype=bool)
    layer, reference = _pair(Attention, {}, inputs)
    expected = reference(inputs, mask=[None, value_mask])
    actual = layer([torch.from_numpy(x) for x in inputs], mask=[None, torch.from_numpy(value_mask)])
    np.testing.assert_allclose(to_numpy(actual), to_numpy(expected), atol=1e-5)


def test_dropout_only_in_training() -> None:
    torch.manual_seed(0)
    layer = Attention(dropout=0.5)
    query, value = torch.randn(2, 3, 4), torch.randn(2, 6, 4)
    _, weights = layer([query, value], return_attention_scores=True)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3))
    inference = layer([query, value])
    torch.testing.assert_close(layer([query, value]), inference)
    assert not torch.allclose(layer([query, value], training=True), inference)


def test_symbolic_call_with_scores() -> None:
    query, value, key = Input((3, 4)), Input((5, 6)), Input((5, 4))
    output, scores = Attention()([query, value, key], return_attention_scores=True)
    assert output.shape == (None, 3, 6)
    assert scores.shape == (None, 3, 5)


def test_gradients_reach_weights() -> None:
    layer = Attention(use_scale=True, score_mode="concat")
    layer([torch.randn(2, 3, 4), torch.randn(2, 5, 4)]).sum().backward()
    assert layer.scale.grad is not None and layer.concat_score_weight.grad is not None


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"score_mode must be one of \['dot', 'concat'\]"):
        Attention(score_mode="add")
    with pytest.raises(ValueError, match="dropout must be in"):
        AdditiveAttention(dropout=1.5)
    with pytest.raises(TypeError, match="dropout must be a float"):
        Attention(dropout="0.1")


def test_bad_inputs_name_the_layer() -> None:
    layer = Attention(name="att")
    with pytest.raises(ValueError, match='"att" must be called on a list'):
        layer(torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match="list of 2 or 3 inputs"):
        layer([torch.randn(2, 3, 4)])
    with pytest.raises(ValueError, match="same last dimension"):
        layer([torch.randn(2, 3, 4), torch.randn(2, 5, 6)])
    with pytest.raises(ValueError, match="same number of steps"):
        layer([torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 6, 4)])
    with pytest.raises(ValueError, match="mask list of length 2 or 3"):
        layer([torch.randn(2, 3, 4), torch.randn(2, 5, 4)], mask=[None])
