"""Tests for torchseq.layers.regularization: Dropout."""

from __future__ import annotations

import pytest
import torch

from tests.layers.harness import LayerCase, check_layer
from torchseq.layers.input_layer import Input
from torchseq.layers.regularization import Dropout

CASES = [
    LayerCase(Dropout, {"rate": 0.5}, (2, 3)),
    LayerCase(Dropout, {"rate": 0.2, "noise_shape": (None, 1, 4)}, (2, 3, 4)),
    LayerCase(Dropout, {"rate": 0.3, "seed": 7}, (2, 3, 4)),
    LayerCase(Dropout, {"rate": 0}, (2, 3)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer(case: LayerCase) -> None:
    check_layer(case)


def test_inference_is_identity() -> None:
    x = torch.randn(4, 5)
    layer = Dropout(0.5)
    assert layer(x) is x
    assert layer(x, training=False) is x


@pytest.mark.parametrize("kwargs", [{}, {"seed": 3}], ids=["fused", "seeded"])
def test_training_statistics(kwargs: dict) -> None:
    rate = 0.3
    layer = Dropout(rate, **kwargs)
    y = layer(torch.ones(200, 500), training=True)
    dropped = (y == 0).float().mean().item()
    assert dropped == pytest.approx(rate, abs=0.01)
    survivors = y[y != 0]
    torch.testing.assert_close(survivors, torch.full_like(survivors, 1 / (1 - rate)))
    assert not layer.training  # the call switched to training mode and back


def test_training_mode_follows_train() -> None:
    layer = Dropout(0.5)
    layer.train()
    assert (layer(torch.ones(1000)) == 0).any()


def test_noise_shape_broadcasts_one_mask() -> None:
    layer = Dropout(0.5, noise_shape=(None, 1, 8), seed=0)
    y = layer(torch.ones(6, 5, 8), training=True)
    # Each (sample, feature) is dropped or kept at every time step alike.
    assert torch.equal(y, y[:, :1, :].expand_as(y))
    assert set(y.unique().tolist()) == {0.0, 2.0}
    assert 0 < (y[:, 0] == 0).sum() < 48


def test_seed_repeats_the_masks() -> None:
    x = torch.ones(10, 10)
    first = Dropout(0.5, seed=11)
    second = Dropout(0.5, seed=11)
    masks = [first(x, training=True), first(x, training=True)]
    assert torch.equal(masks[0], second(x, training=True))
    assert not torch.equal(masks[0], masks[1])


def test_gradient_flows_through_kept_units() -> None:
    x = torch.ones(50, 40, requires_grad=True)
    y = Dropout(0.5)(x, training=True)
    y.sum().backward()
    torch.testing.assert_close(x.grad, (y != 0).float() * 2.0)


def test_symbolic_shape() -> None:
    assert Dropout(0.5)(Input((3, 4))).shape == (None, 3, 4)


@pytest.mark.parametrize(
    ("rate", "error", "message"),
    [
        (1.0, ValueError, r"rate must be in \[0, 1\), received: rate=1.0"),
        (-0.1, ValueError, r"received: rate=-0.1"),
        (1.5, ValueError, r"received: rate=1.5"),
        ("0.5", TypeError, r"rate must be a float, received: rate='0.5'"),
        (True, TypeError, r"received: rate=True"),
    ],
)
def test_rate_validation(rate: object, error: type, message: str) -> None:
    with pytest.raises(error, match=f"Dropout: .*{message}"):
        Dropout(rate)


@pytest.mark.parametrize(
    ("noise_shape", "error", "message"),
    [
        ((None, 0), ValueError, r"positive ints or None, received: noise_shape=\(None, 0\)"),
        ((None, 1.0), TypeError, r"tuple of ints and None, received: noise_shape=\(None, 1.0\)"),
        ("abc", TypeError, r"received: noise_shape='abc'"),
    ],
)
def test_noise_shape_validation(noise_shape: object, error: type, message: str) -> None:
    with pytest.raises(error, match=f"Dropout: .*{message}"):
        Dropout(0.5, noise_shape=noise_shape)


@pytest.mark.parametrize("noise_shape", [(None, 1), (None, 2, 4), (None, 1, 4, 1)])
def test_noise_shape_must_fit_the_input(noise_shape: tuple) -> None:
    with pytest.raises(
        ValueError, match=r'"dropout": noise_shape=.*does not broadcast.*\(2, 3, 4\)'
    ):
        Dropout(0.5, noise_shape=noise_shape)(torch.ones(2, 3, 4))


def test_seed_validation() -> None:
    with pytest.raises(
        TypeError, match=r"Dropout: seed must be an int or None, received: seed=1.5"
    ):
        Dropout(0.5, seed=1.5)


def test_config_keeps_noise_shape() -> None:
    config = Dropout(0.25, noise_shape=[None, 1], seed=2).get_config()
    assert config["noise_shape"] == (None, 1)
    assert Dropout.from_config(config).get_config() == config
