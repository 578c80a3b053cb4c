"""Tests for torchseq.layers.merging: Keras parity, shape rules, functional forms, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import LayerCase, check_layer
from torchseq.layers import merging
from torchseq.layers.input_layer import Input
from torchseq.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
)
from torchseq.layers.symbolic import KerasTensor

ELEMENTWISE = [Add, Multiply, Average, Maximum, Minimum]

PARITY_CASES = [
    *(LayerCase(cls, {}, [(2, 3), (2, 3)]) for cls in ELEMENTWISE),
    *(LayerCase(cls, {}, [(2, 4, 3), (2, 4, 3), (2, 4, 3)]) for cls in ELEMENTWISE),
    # Broadcasting: size-1 axes, and a lower rank gaining axes after the batch axis.
    *(LayerCase(cls, {}, [(2, 1, 3), (2, 4, 3)]) for cls in ELEMENTWISE),
    *(LayerCase(cls, {}, [(2, 3), (2, 4, 3), (2, 4, 1)]) for cls in ELEMENTWISE),
    LayerCase(Subtract, {}, [(2, 3), (2, 3)]),
    LayerCase(Subtract, {}, [(2, 5, 3), (2, 3)]),
    LayerCase(Concatenate, {}, [(2, 3), (2, 4)]),
    LayerCase(Concatenate, {}, [(2, 4, 3), (2, 4, 1), (2, 4, 2)]),
    LayerCase(Concatenate, {"axis": 1}, [(2, 3, 4), (2, 2, 4)]),
    LayerCase(Concatenate, {"axis": -2}, [(2, 3, 4), (2, 1, 4), (2, 2, 4)]),
    LayerCase(Dot, {"axes": 1}, [(2, 3), (2, 3)]),
    LayerCase(Dot, {"axes": -1}, [(2, 4, 3), (2, 5, 3)]),
    LayerCase(Dot, {"axes": (1, 2)}, [(2, 3, 5), (2, 4, 3)]),
    LayerCase(Dot, {"axes": [2, 1]}, [(2, 4, 3), (2, 3)]),
    LayerCase(Dot, {"axes": (3, 1)}, [(2, 3, 4, 5), (2, 5, 6, 2)]),
    LayerCase(Dot, {"axes": 1, "normalize": True}, [(2, 3), (2, 3)]),
    LayerCase(Dot, {"axes": (1, 2), "normalize": True}, [(2, 3, 5), (2, 4, 3)]),
]


@pytest.mark.parametrize("case", PARITY_CASES, ids=str)
def test_merge_layers_match_keras(case):
    check_layer(case)


@pytest.mark.parametrize(
    ("cls", "shapes"),
    [
        (Add, [(None, 3), (None, 4, 3)]),
        (Multiply, [(5, 1, 3), (None, 2, 1)]),
        (Concatenate, [(None, 4, None), (None, 4, 2)]),
        (Dot, [(None, 3, 5), (None, 4, 3)]),
    ],
)
def test_compute_output_shape_with_unknown_sizes(cls, shapes):
    keras = pytest.importorskip("keras")
    kwargs = {"axes": (1, 2)} if cls is Dot else {}
    expected = getattr(keras.layers, cls.__name__)(**kwargs).compute_output_shape(shapes)
    assert cls(**kwargs).compute_output_shape(shapes) == tuple(expected)


def test_output_shape_takes_known_sizes_from_any_input():
    # Keras answers None for these axes; the known size is the only one that can run.
    assert Concatenate().compute_output_shape([(None, None, 3), (None, 4, 2)]) == (None, 4, 5)
    assert Add().compute_output_shape([(None, 1, None), (None, 4, 3)]) == (None, 4, 3)


def test_dot_of_vectors_has_a_trailing_axis_of_one():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = Dot(axes=1)([x, x])
    torch.testing.assert_close(out, torch.tensor([[5.0], [25.0]]))


def test_merges_build_a_functional_graph_on_symbolic_inputs():
    a, b, c = Input((4, 3)), Input((4, 3)), Input((3,))
    assert Add()([a, b, c]).shape == (None, 4, 3)
    assert Concatenate(axis=1)([a, b]).shape == (None, 8, 3)
    assert Dot(axes=(1, 1))([a, b]).shape == (None, 3, 3)
    out = Subtract()([a, c])
    assert isinstance(out, KerasTensor) and out.shape == (None, 4, 3)


FUNCTIONAL_FORMS = [
    (merging.add, Add, {}, lambda x, y: x + y),
    (merging.subtract, Subtract, {}, lambda x, y: x - y),
    (merging.multiply, Multiply, {}, lambda x, y: x * y),
    (merging.average, Average, {}, lambda x, y: (x + y) / 2),
    (merging.maximum, Maximum, {}, torch.maximum),
    (merging.minimum, Minimum, {}, torch.minimum),
    (merging.concatenate, Concatenate, {"axis": 1}, lambda x, y: torch.cat([x, y], 1)),
    (merging.dot, Dot, {"axes": 2}, lambda x, y: torch.bmm(x, y.transpose(1, 2))),
]


@pytest.mark.parametrize(("function", "cls", "kwargs", "expected"), FUNCTIONAL_FORMS)
def test_functional_forms_create_and_call_the_layer(function, cls, kwargs, expected):
    x, y = torch.randn(2, 4, 3), torch.randn(2, 4, 3)
    torch.testing.assert_close(function([x, y], **kwargs), expected(x, y))
    symbolic = function([Input((4, 3)), Input((4, 3))], name="merged", **kwargs)
    assert isinstance(symbolic.layer, cls) and symbolic.layer.name == "merged"
    assert symbolic.shape == (None, *expected(x, y).shape[1:])


def test_dot_functional_form_normalizes():
    x = torch.tensor([[3.0, 4.0]])
    out = merging.dot([x, 2 * x], axes=1, normalize=True)
    torch.testing.assert_close(out, torch.tensor([[1.0]]))


def test_merge_gradients_flow_to_every_input():
    xs = [torch.randn(2, 3, requires_grad=True) for _ in range(3)]
    Average()(xs).sum().backward()
    for x in xs:
        torch.testing.assert_close(x.grad, torch.full((2, 3), 1 / 3))


@pytest.mark.parametrize(
    ("layer", "shapes", "match"),
    [
        (Add(), [(2, 3), (2, 4)], r'Add layer "add": the input shapes cannot be broadcast'),
        (Maximum(), [(2, 3), (3, 3)], r"must share one batch size, received input shapes"),
        (Subtract(), [(2, 3)] * 3, r"expects exactly 2 inputs, received 3 inputs"),
        (Add(), [], r"expects at least 1 input, received 0 inputs with shapes \[\]"),
        (Concatenate(), [(2, 3, 4), (2, 5, 4)], r"matching shapes except for the concatenation"),
        (Concatenate(), [(2, 3), (2, 3, 4)], r"requires inputs of one rank"),
        (Concatenate(axis=3), [(2, 3), (2, 3)], r"axis=3 is out of range for inputs of rank 2"),
        (Dot(axes=1), [(2, 3), (2, 4)], r"the dot-product axes differ in size, 3 \(axis 1"),
        (Dot(axes=0), [(2, 3), (2, 3)], r"must name a non-batch axis"),
        (Dot(axes=1), [(2,), (2,)], r"must name a non-batch axis"),
        (Dot(axes=1), [(2, 3)] * 3, r"expects exactly 2 inputs"),
    ],
)
def test_build_rejects_incompatible_shapes(layer, shapes, match):
    with pytest.raises(ValueError, match=match):
        layer.build(shapes)


def test_errors_list_the_shapes_received():
    with pytest.raises(ValueError, match=r"received input shapes \[\(None, 3\), \(None, 4\)\]"):
        Add()([Input((3,)), Input((4,))])


def test_merge_rejects_a_single_tensor():
    with pytest.raises(TypeError, match=r'Add layer "add" must be called on a list of tensors'):
        Add()(torch.zeros(2, 3))
    layer = Add()
    layer([torch.zeros(2, 3), torch.zeros(2, 3)])
    with pytest.raises(TypeError, match=r"must be called on a list of tensors, received: Tensor"):
        layer(torch.zeros(2, 3))


def test_built_subtract_rejects_a_third_input_at_call_time():
    layer = Subtract()
    x = torch.zeros(2, 3)
    layer([x, x])
    with pytest.raises(ValueError, match=r"expects exactly 2 inputs, received 3"):
        layer([x, x, x])


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Concatenate(axis="last"), TypeError, r"Concatenate: axis must be an int"),
        (lambda: Dot(axes="1"), TypeError, r"Dot: axes must be an int or a pair of ints"),
        (lambda: Dot(axes=(1, 2.0)), TypeError, r"received: axes=\(1, 2.0\)"),
        (lambda: Dot(axes=(1, 2, 3)), ValueError, r"pair of two ints, received: axes=\(1, 2, 3\)"),
    ],
)
def test_constructors_reject_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_configs_round_trip_with_options():
    for layer in (Concatenate(axis=1), Dot(axes=(1, 2), normalize=True), Dot(axes=[2, 1])):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    assert Dot(axes=(1, 2)).get_config()["axes"] == (1, 2)


def test_a_single_input_passes_through():
    x = torch.randn(2, 3)
    assert Add()([x]) is x
    np.testing.assert_array_equal(Concatenate()([x]).numpy(), x.numpy())
