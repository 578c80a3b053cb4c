"""Tests for torchseq.layers.identity_masking: Identity and Masking."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import LayerCase, check_layer, to_numpy
from torchseq.layers.identity_masking import Identity, Masking
from torchseq.layers.input_layer import Input


def _padded(value: float):
    """Sequences whose timesteps 1 and 3 of the first sample are all ``value``."""

    def make(rng: np.random.Generator, shape: tuple) -> np.ndarray:
        x = rng.standard_normal(shape).astype("float32")
        x[0, 1] = value
        x[0, 3] = value
        x[1, -1] = value
        x[1, 0, 0] = value  # one feature equal to the mask value does not mask the step
        return x

    return make


CASES = [
    LayerCase(Identity, {}, (2, 3)),
    LayerCase(Identity, {}, (2, 3, 4, 5)),
    LayerCase(Masking, {}, (2, 5, 3), make_input=_padded(0.0)),
    LayerCase(Masking, {"mask_value": -1.0}, (2, 5, 3), make_input=_padded(-1.0)),
    LayerCase(Masking, {"mask_value": 2}, (2, 4, 2, 3), make_input=_padded(2.0)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_identity_and_masking_match_keras(case):
    check_layer(case)


def test_identity_returns_its_input_and_passes_the_mask():
    x = torch.ones(2, 3)
    layer = Identity()
    assert layer(x) is x
    mask = torch.tensor([True, False])
    assert layer.compute_mask(x, mask) is mask
    assert layer(Input((3, 4))).shape == (None, 3, 4)


@pytest.mark.parametrize("mask_value", [0.0, -1.0])
def test_masking_compute_mask_matches_keras(mask_value):
    keras = pytest.importorskip("keras")
    x = _padded(mask_value)(np.random.default_rng(0), (2, 5, 3))
    expected = keras.layers.Masking(mask_value=mask_value).compute_mask(x)
    layer = Masking(mask_value=mask_value)
    actual = layer.compute_mask(torch.from_numpy(x))
    np.testing.assert_array_equal(to_numpy(actual), to_numpy(expected))
    assert actual.dtype == torch.bool and actual.shape == (2, 5)


def test_masking_zeroes_masked_steps_and_attaches_the_mask():
    x = torch.tensor([[[1.0, 2.0], [5.0, 5.0], [5.0, 0.0]]])
    out = Masking(mask_value=5.0)(x)
    torch.testing.assert_close(out, torch.tensor([[[1.0, 2.0], [0.0, 0.0], [5.0, 0.0]]]))
    assert out._keras_mask.tolist() == [[True, False, True]]


def test_masking_symbolic_call_and_config():
    layer = Masking(mask_value=-1.0)
    assert layer(Input((4, 2))).shape == (None, 4, 2)
    config = layer.get_config()
    assert config["mask_value"] == -1.0
    assert Masking.from_config(config).mask_value == -1.0


def test_masking_rejects_a_non_number_mask_value():
    with pytest.raises(
        TypeError, match=r"^Masking: mask_value must be a number, received: mask_value='0'"
    ):
        Masking(mask_value="0")
