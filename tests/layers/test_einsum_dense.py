"""EinsumDense: Keras parity with the same weights, shapes, configs, fans and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import LayerCase, check_layer, keras_layer
from torchseq.layers.einsum_dense import EinsumDense
from torchseq.layers.input_layer import Input

CASES = [
    LayerCase(EinsumDense, {"equation": "ab,bc->ac", "output_shape": 5, "bias_axes": "c"}, (3, 4)),
    LayerCase(EinsumDense, {"equation": "ab,bc->ac", "output_shape": (5,)}, (3, 4)),
    LayerCase(
        EinsumDense,
        {"equation": "abc,cd->abd", "output_shape": (6, 5), "bias_axes": "d", "activation": "relu"},
        (2, 6, 4),
    ),
    LayerCase(
        EinsumDense, {"equation": "...b,bc->...c", "output_shape": 5, "bias_axes": "c"}, (2, 3, 4)
    ),
    LayerCase(
        EinsumDense,
        {"equation": "...ab,bcd->...acd", "output_shape": (3, 2, 5), "bias_axes": "ad"},
        (2, 7, 3, 4),
    ),
    LayerCase(
        EinsumDense,
        {"equation": "ab...,bc->ac...", "output_shape": 5, "bias_axes": "c"},
        (2, 4, 3, 2),
    ),
    LayerCase(
        EinsumDense,
        {
            "equation": "abc,cde->abde",
            "output_shape": (6, 3, 2),
            "bias_axes": "be",
            "activation": "tanh",
        },
        (2, 6, 4),
    ),
    LayerCase(
        EinsumDense,
        {"equation": "bqm,muh->bquh", "output_shape": (5, 2, 3), "bias_axes": "uh"},
        (2, 5, 4),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(case: LayerCase) -> None:
    check_layer(case)


@pytest.mark.parametrize(
    ("equation", "output_shape", "bias_axes", "input_shape"),
    [
        ("abc,cd->abd", (None, 64), "d", (None, 32, 128)),  # Keras keeps the None
        ("...b,bc->...c", 64, "c", (None, 32, 128)),
        ("ab...,bc->ac...", 64, None, (None, 32, 7, 5)),
        ("...ab,bc->...ac", (3, 5), "c", (None, 7, 3, 4)),
    ],
)
def test_symbolic_output_shape_matches_keras(
    equation: str, output_shape: object, bias_axes: str | None, input_shape: tuple
) -> None:
    keras = pytest.importorskip("keras")
    kwargs = {"equation": equation, "output_shape": output_shape, "bias_axes": bias_axes}
    expected = keras.layers.EinsumDense(**kwargs)(keras.Input(input_shape[1:])).shape
    ours = EinsumDense(**kwargs)
    assert tuple(ours(Input(input_shape[1:])).shape) == tuple(expected)
    assert tuple(ours.compute_output_shape(input_shape)) == tuple(expected)


def test_kernel_initializer_counts_fans_over_the_equation_axes() -> None:
    """Keras gives a variance-scaling initializer the contracted and produced kernel axes."""
    layer = EinsumDense(
        "abc,cde->abde", output_shape=(6, 300, 200), kernel_initializer="he_uniform"
    )
    layer(torch.zeros(1, 6, 4))
    limit = np.sqrt(6.0 / 4)  # fan_in is the contracted axis c (4), not 4 * 300
    kernel = layer.get_weights()[0]
    assert kernel.shape == (4, 300, 200)
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.9 * limit


def test_weights_names_and_order_match_keras() -> None:
    case = CASES[4]
    reference = keras_layer(case)
    reference.build(case.input_shape)
    layer = case.layer_cls(**case.kwargs)
    layer.build(case.input_shape)
    assert [w.path.split("/")[-1] for w in reference.weights] == ["kernel", "bias"]
    assert [tuple(w.shape) for w in layer.get_weights()] == [
        tuple(w.shape) for w in reference.weights
    ]
    assert [name for name, _ in layer.named_parameters()] == ["kernel", "bias"]


def test_training_step_updates_kernel() -> None:
    layer = EinsumDense("abc,cd->abd", output_shape=(3, 2), bias_axes="d")
    x = torch.randn(4, 3, 5)
    layer(x).square().mean().backward()
    assert layer.kernel.grad is not None and layer.kernel.grad.shape == (5, 2)
    assert layer.bias.grad is not None and layer.bias.grad.shape == (2,)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"equation": "ab->b", "output_shape": 3}, ValueError, "expected an equation of the form"),
        ({"equation": 3, "output_shape": 3}, TypeError, "equation must be a string"),
        ({"equation": "ab,bc->ac", "output_shape": "3"}, TypeError, "output_shape must be"),
        ({"equation": "ab,bc->ac", "output_shape": 0}, ValueError, "must be positive"),
        (
            {"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": "x"},
            ValueError,
            "bias_axes must name axes of the output 'ac'",
        ),
        (
            {"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": 1},
            TypeError,
            "bias_axes must be a string",
        ),
    ],
)
def test_constructor_errors(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        EinsumDense(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "shape", "match"),
    [
        ({"equation": "ab,bc->ac", "output_shape": 3}, (2, 3, 4), "expects an input of rank 2"),
        (
            {"equation": "abc,cd->abd", "output_shape": (5, 3)},
            (2, 4, 6),
            "disagree on the shared axis 'b'",
        ),
        ({"equation": "ab,bc->ad", "output_shape": 3}, (2, 4), "output axis 'd'"),
        ({"equation": "ab,bcx->ac", "output_shape": 3}, (2, 4), "kernel axis 'x'"),
        (
            {"equation": "abc,cd->abd", "output_shape": (None,), "bias_axes": "d"},
            (2, 4, 6),
            "one size per output axis",
        ),
        (
            {"equation": "abc,cd->abd", "output_shape": (None, None)},
            (2, 4, 6),
            "the kernel shape \\(6, None\\) has unknown sizes",
        ),
    ],
)
def test_build_errors(kwargs: dict, shape: tuple, match: str) -> None:
    layer = EinsumDense(**kwargs)
    with pytest.raises(ValueError, match=match):
        layer(torch.zeros(shape))
