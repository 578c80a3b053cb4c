"""Tests for torchseq.layers.activation_layers: Keras parity, masks, weights and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import LayerCase, check_layer, to_numpy
from torchseq.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from torchseq.layers.input_layer import Input


def _spread(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values on both sides of the thresholds and caps used below."""
    return (rng.standard_normal(shape) * 3).astype("float32")


CASES = [
    LayerCase(ReLU, {}, (2, 5), make_input=_spread),
    LayerCase(ReLU, {"max_value": 1.5}, (2, 5), make_input=_spread),
    LayerCase(ReLU, {"max_value": 6.0}, (2, 3, 4), make_input=_spread),
    LayerCase(ReLU, {"negative_slope": 0.1}, (2, 5), make_input=_spread),
    LayerCase(ReLU, {"threshold": 0.5}, (2, 5), make_input=_spread),
    LayerCase(
        ReLU,
        {"max_value": 2.0, "negative_slope": 0.2, "threshold": 0.5},
        (3, 6),
        make_input=_spread,
    ),
    LayerCase(LeakyReLU, {}, (2, 5), make_input=_spread),
    LayerCase(LeakyReLU, {"negative_slope": 0.05}, (2, 3, 4), make_input=_spread),
    LayerCase(ELU, {}, (2, 5), make_input=_spread),
    LayerCase(ELU, {"alpha": 0.5}, (2, 3, 4), make_input=_spread),
    LayerCase(Softmax, {}, (2, 5)),
    LayerCase(Softmax, {"axis": 1}, (2, 3, 4)),
    LayerCase(Softmax, {"axis": [1]}, (2, 3, 4)),
    LayerCase(Softmax, {"axis": [1, 2]}, (2, 3, 4)),
    LayerCase(Softmax, {"axis": [-2, -1]}, (2, 3, 4, 2)),
    LayerCase(PReLU, {}, (2, 5)),
    LayerCase(PReLU, {"alpha_initializer": "random_normal"}, (2, 3, 4)),
    LayerCase(PReLU, {"alpha_initializer": "random_normal", "shared_axes": [1, 2]}, (2, 3, 4, 5)),
    LayerCase(PReLU, {"alpha_initializer": "random_normal", "shared_axes": 1}, (2, 3, 4)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_activation_layers_match_keras(case):
    check_layer(case)


def test_relu_formula_on_known_values():
    x = torch.tensor([-2.0, 0.0, 0.5, 1.0, 3.0])
    out = ReLU(max_value=2.0, negative_slope=0.5, threshold=1.0)(x)
    torch.testing.assert_close(out, torch.tensor([-1.5, -0.5, -0.25, 0.0, 2.0]))


def test_leaky_relu_accepts_the_keras_2_alpha_name():
    layer = LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    assert LeakyReLU().negative_slope == 0.3


def test_elu_config_keeps_alpha():
    config = ELU(alpha=0.7).get_config()
    assert config["alpha"] == 0.7 and ELU.from_config(config).alpha == 0.7


@pytest.mark.parametrize(
    ("mask_shape", "axis"),
    [((3, 5), -1), ((2, 1, 5), -1), ((5,), -1), ((2, 3, 1), 1)],
)
def test_softmax_mask_matches_keras(mask_shape, axis):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5)).astype("float32")
    mask = rng.random(mask_shape) > 0.3
    expected = keras.layers.Softmax(axis=axis)(x, mask=mask)
    actual = Softmax(axis=axis)(torch.from_numpy(x), mask=torch.from_numpy(mask))
    np.testing.assert_allclose(to_numpy(actual), to_numpy(expected), atol=1e-6)
    float_mask = torch.from_numpy(mask.astype("float32"))
    np.testing.assert_allclose(
        to_numpy(Softmax(axis=axis)(torch.from_numpy(x), mask=float_mask)),
        to_numpy(expected),
        atol=1e-6,
    )


def test_softmax_rejects_a_mask_that_does_not_broadcast():
    with pytest.raises(ValueError, match=r'Softmax layer "softmax.*".*mask shape \(2, 4\)'):
        Softmax()(torch.zeros(2, 5), mask=torch.ones(2, 4, dtype=torch.bool))


def test_prelu_alpha_is_a_trainable_parameter_shared_along_axes():
    layer = PReLU(shared_axes=[1, 2])
    out = layer(torch.randn(2, 4, 4, 3))
    assert out.shape == (2, 4, 4, 3)
    assert [name for name, _ in layer.named_parameters()] == ["alpha"]
    assert tuple(layer.alpha.shape) == (1, 1, 3)
    assert layer.count_params() == 3
    layer(torch.randn(1, 4, 4, 3), training=True).sum().backward()
    assert layer.alpha.grad is not None


def test_prelu_shared_axes_accept_other_spatial_sizes():
    layer = PReLU(shared_axes=[1, 2])
    layer(torch.randn(2, 4, 4, 3))
    assert layer(torch.randn(2, 6, 5, 3)).shape == (2, 6, 5, 3)
    with pytest.raises(ValueError, match=r'layer "p_re_lu.*".*expected axis 3'):
        layer(torch.randn(2, 4, 4, 2))


def test_activation_layers_symbolic_call():
    x = Input((3, 4))
    for layer in (ReLU(), LeakyReLU(), ELU(), Softmax(axis=1), PReLU()):
        assert layer(x).shape == (None, 3, 4)


@pytest.mark.parametrize(
    ("factory", "error", "match"),
    [
        (
            lambda: ReLU(max_value=-1.0),
            ValueError,
            r"^ReLU: max_value must be >= 0, received: max_value=-1.0",
        ),
        (lambda: ReLU(negative_slope=-0.1), ValueError, r"^ReLU: negative_slope must be >= 0"),
        (
            lambda: ReLU(threshold=None),
            TypeError,
            r"^ReLU: threshold must be a number, received: threshold=None",
        ),
        (
            lambda: LeakyReLU(negative_slope=-1),
            ValueError,
            r"^LeakyReLU: negative_slope must be >= 0",
        ),
        (
            lambda: ELU(alpha="big"),
            TypeError,
            r"^ELU: alpha must be a number, received: alpha='big'",
        ),
        (
            lambda: Softmax(axis="last"),
            TypeError,
            r"^Softmax: axis must be an int or a non-empty list",
        ),
        (lambda: Softmax(axis=[]), TypeError, r"received: axis=\[\]"),
        (lambda: PReLU(shared_axes="h"), TypeError, r"^PReLU: shared_axes must be an int, a list"),
        (
            lambda: PReLU(shared_axes=[0, 1]),
            ValueError,
            r"^PReLU: shared_axes must not contain the batch axis",
        ),
    ],
)
def test_activation_layers_reject_bad_arguments(factory, error, match):
    with pytest.raises(error, match=match):
        factory()


def test_prelu_build_rejects_out_of_range_shared_axes():
    layer = PReLU(shared_axes=[3])
    with pytest.raises(
        ValueError, match=r'PReLU layer "p_re_lu.*": shared_axes=\[3\] is out of range'
    ):
        layer(torch.zeros(2, 3))
