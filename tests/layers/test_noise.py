"""Tests for torchseq.layers.noise and torchseq.layers.activity_regularization."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tests.layers.harness import LayerCase, check_layer, make_inputs
from torchseq.layers.activity_regularization import ActivityRegularization
from torchseq.layers.input_layer import Input
from torchseq.layers.noise import (
    AlphaDropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)

CF = {"data_format": "channels_first"}

# Inference mode: every noise layer is the identity, as in Keras.
CASES = [
    LayerCase(GaussianNoise, {"stddev": 0.5}, (2, 3)),
    LayerCase(GaussianNoise, {"stddev": 0.1, "seed": 3}, (2, 3, 4)),
    LayerCase(GaussianDropout, {"rate": 0.3}, (2, 3)),
    LayerCase(GaussianDropout, {"rate": 0.2, "seed": 1}, (2, 3, 4)),
    LayerCase(AlphaDropout, {"rate": 0.2}, (2, 3)),
    LayerCase(AlphaDropout, {"rate": 0.1, "noise_shape": (None, 1, 4), "seed": 5}, (2, 3, 4)),
    LayerCase(SpatialDropout1D, {"rate": 0.5}, (2, 3, 4)),
    LayerCase(SpatialDropout2D, {"rate": 0.5}, (2, 3, 4, 2)),
    LayerCase(SpatialDropout2D, {"rate": 0.5, **CF}, (2, 2, 3, 4)),
    LayerCase(SpatialDropout3D, {"rate": 0.5}, (1, 2, 3, 2, 2)),
    LayerCase(SpatialDropout3D, {"rate": 0.5, **CF}, (1, 2, 3, 2, 2)),
    LayerCase(ActivityRegularization, {"l1": 0.01, "l2": 0.1}, (2, 3)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer(case: LayerCase) -> None:
    check_layer(case)


@pytest.mark.parametrize("case", CASES[:-1], ids=str)
def test_inference_is_identity(case: LayerCase) -> None:
    x = torch.from_numpy(make_inputs(case))
    layer = case.layer_cls(**case.kwargs)
    assert layer(x) is x
    assert layer(x, training=False) is x
    assert layer(Input(case.input_shape[1:])).shape == (None, *case.input_shape[1:])


def test_gaussian_noise_moments() -> None:
    x = torch.full((400, 500), 3.0)
    noise = GaussianNoise(0.5)(x, training=True) - x
    assert noise.mean().item() == pytest.approx(0.0, abs=0.01)
    assert noise.std().item() == pytest.approx(0.5, rel=0.01)


def test_gaussian_dropout_moments() -> None:
    rate = 0.3
    y = GaussianDropout(rate)(torch.full((400, 500), 2.0), training=True)
    assert y.mean().item() == pytest.approx(2.0, rel=0.01)
    assert y.std().item() == pytest.approx(2.0 * math.sqrt(rate / (1 - rate)), rel=0.01)


@pytest.mark.parametrize("noise_shape", [None, (None, 1)])
def test_alpha_dropout_keeps_mean_and_variance(noise_shape) -> None:
    torch.manual_seed(0)
    rate = 0.2
    layer = AlphaDropout(rate, noise_shape=noise_shape)
    x = torch.randn(100_000, 8 if noise_shape is None else 1)
    y = layer(x, training=True)
    assert y.mean().item() == pytest.approx(0.0, abs=0.02)
    assert y.var().item() == pytest.approx(1.0, abs=0.02)
    # Keras's formula: dropped units take a*alpha' + b, kept ones a*x + b.
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    dropped = torch.isclose(y, torch.tensor(a * alpha_p + b))
    assert dropped.float().mean().item() == pytest.approx(rate, abs=0.01)
    torch.testing.assert_close(y[~dropped], a * x[~dropped] + b)


def test_alpha_dropout_noise_shape_broadcasts() -> None:
    y = AlphaDropout(0.5, noise_shape=(None, 1, 6), seed=0)(torch.zeros(8, 5, 6), training=True)
    assert torch.equal(y, y[:, :1].expand_as(y))


@pytest.mark.parametrize(
    ("layer_cls", "kwargs", "shape", "channel_axis"),
    [
        (SpatialDropout1D, {}, (64, 5, 32), -1),
        (SpatialDropout2D, {}, (64, 3, 4, 32), -1),
        (SpatialDropout2D, CF, (64, 32, 3, 4), 1),
        (SpatialDropout3D, {}, (64, 2, 3, 2, 32), -1),
        (SpatialDropout3D, CF, (64, 32, 2, 3, 2), 1),
    ],
)
def test_spatial_dropout_drops_whole_channels(layer_cls, kwargs, shape, channel_axis) -> None:
    rate = 0.4
    y = layer_cls(rate, **kwargs)(torch.ones(shape), training=True)
    per_channel = y.movedim(channel_axis, 1).flatten(2)  # (batch, channels, positions)
    # Each (sample, channel) is dropped or kept at every position alike.
    assert torch.equal(per_channel, per_channel[:, :, :1].expand_as(per_channel))
    values = per_channel[:, :, 0].unique()
    torch.testing.assert_close(values, torch.tensor([0.0, 1 / (1 - rate)]))
    assert (per_channel[:, :, 0] == 0).float().mean().item() == pytest.approx(rate, abs=0.07)


def test_spatial_dropout_keeps_channels_last_memory() -> None:
    x = torch.ones(2, 4, 3, 3).permute(0, 2, 3, 1)  # channels_last memory, NHWC logical
    y = SpatialDropout2D(0.5, seed=0)(x, training=True)
    assert y.stride() == x.stride()


@pytest.mark.parametrize(
    "make",
    [
        lambda: GaussianNoise(0.3, seed=4),
        lambda: GaussianDropout(0.3, seed=4),
        lambda: AlphaDropout(0.3, seed=4),
        lambda: SpatialDropout2D(0.3, seed=4),
    ],
)
def test_seed_repeats_the_noise(make) -> None:
    x = torch.randn(4, 3, 3, 8)
    first, second = make(), make()
    outputs = [first(x, training=True), first(x, training=True)]
    torch.testing.assert_close(outputs[0], second(x, training=True))
    assert not torch.equal(outputs[0], outputs[1])


def test_training_mode_follows_train() -> None:
    layer = GaussianNoise(1.0)
    layer.train()
    x = torch.zeros(10)
    assert not torch.equal(layer(x), x)
    layer.eval()
    assert layer(x) is x


def test_zero_rate_is_identity_in_training() -> None:
    x = torch.randn(3, 4, 5)
    for layer in (GaussianNoise(0), GaussianDropout(0), AlphaDropout(0), SpatialDropout1D(0)):
        assert layer(x, training=True) is x


def test_gradient_flows_through_gaussian_dropout() -> None:
    x = torch.ones(20, 30, requires_grad=True)
    y = GaussianDropout(0.5)(x, training=True)
    y.sum().backward()
    torch.testing.assert_close(x.grad, y.detach())


def test_activity_regularization_loss_matches_keras() -> None:
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    reference = keras.layers.ActivityRegularization(l1=0.01, l2=0.1)
    reference(x)
    layer = ActivityRegularization(l1=0.01, l2=0.1)
    y = layer(torch.from_numpy(x))
    assert torch.equal(y, torch.from_numpy(x))
    assert len(layer.losses) == len(reference.losses) == 1
    np.testing.assert_allclose(layer.losses[0].item(), float(reference.losses[0]), rtol=1e-5)


def test_activity_regularization_config_has_no_regularizer() -> None:
    config = ActivityRegularization(l2=0.5).get_config()
    assert config["l1"] == 0.0 and config["l2"] == 0.5
    assert "activity_regularizer" not in config


def test_activity_regularization_penalises_training() -> None:
    from torchseq.layers.core import Dense
    from torchseq.models.sequential import Sequential

    torch.manual_seed(0)
    x = np.ones((8, 4), dtype="float32")
    model = Sequential([Input((4,)), Dense(3), ActivityRegularization(l2=10.0)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((8, 3), dtype="float32"), epochs=2, batch_size=8, verbose=0)
    assert len(model.losses) == 1


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: GaussianNoise(-0.1),
            ValueError,
            r"GaussianNoise: stddev must be a finite non-negative float, received: stddev=-0.1",
        ),
        (lambda: GaussianNoise("1"), TypeError, r"GaussianNoise: stddev must be a float"),
        (
            lambda: GaussianDropout(1.0),
            ValueError,
            r"GaussianDropout: rate must be in \[0, 1\), received: rate=1.0",
        ),
        (lambda: AlphaDropout(-0.5), ValueError, r"AlphaDropout: rate must be in \[0, 1\)"),
        (
            lambda: AlphaDropout(0.1, noise_shape=(None, 0)),
            ValueError,
            r"AlphaDropout: noise_shape entries",
        ),
        (
            lambda: AlphaDropout(0.1, noise_shape="x"),
            TypeError,
            r"AlphaDropout: noise_shape must be a tuple",
        ),
        (lambda: SpatialDropout1D(True), TypeError, r"SpatialDropout1D: rate must be a float"),
        (
            lambda: SpatialDropout2D(0.1, seed=1.5),
            TypeError,
            r"SpatialDropout2D: seed must be an int",
        ),
        (
            lambda: SpatialDropout3D(0.1, data_format="NCHW"),
            ValueError,
            r"SpatialDropout3D: data_format must be one of \['channels_last', 'channels_first'\]",
        ),
        (
            lambda: ActivityRegularization(l1=-1.0),
            ValueError,
            r"ActivityRegularization: l1 must be",
        ),
        (lambda: ActivityRegularization(l2="a"), TypeError, r"ActivityRegularization: l2 must be"),
    ],
)
def test_bad_arguments(make, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make()


def test_bad_input_rank_names_the_layer() -> None:
    layer = SpatialDropout2D(0.5)
    with pytest.raises(ValueError, match=rf'layer "{layer.name}".*expected ndim=4, found ndim=3'):
        layer(torch.zeros(2, 3, 4))
    layer(torch.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"expected ndim=4, found ndim=3"):
        layer(torch.zeros(2, 3, 4), training=True)
    with pytest.raises(ValueError, match=r"noise_shape=\(None, 1\) does not broadcast"):
        AlphaDropout(0.5, noise_shape=(None, 1))(torch.zeros(2, 3, 4))
