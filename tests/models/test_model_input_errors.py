"""Wrong models and wrong model inputs are errors that say what was expected.

Also: numpy integer scalars are accepted wherever a Python int is, and leave plain ints
in the layer's config.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import torchseq
from torchseq import layers
from torchseq.utils.integers import int_or_none, is_int


def dense_model():
    return torchseq.Sequential([torchseq.Input((3,)), layers.Dense(2)])


def test_sequential_of_a_number_is_a_type_error():
    with pytest.raises(TypeError, match="Sequential expects a list of layers, received: layers=5"):
        torchseq.Sequential(5)


def test_a_negative_input_size_is_refused():
    with pytest.raises(ValueError, match=r"Input: sizes must be non-negative .* shape=\(-2,\)"):
        torchseq.Input(shape=(-2,))


def test_two_inputs_with_one_name_are_refused():
    first, second = torchseq.Input((2,), name="x"), torchseq.Input((2,), name="x")
    with pytest.raises(ValueError, match=r"unique names, received inputs named \['x', 'x'\]"):
        torchseq.Model([first, second], layers.Add()([first, second]))


def test_a_model_added_to_itself_is_refused_at_add():
    model = dense_model()
    stack = list(model.layers)
    with pytest.raises(ValueError, match="cannot be added to itself"):
        model.add(model)
    assert model.layers == stack
    assert model(np.ones((1, 3), "float32")).shape == (1, 2)


@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("abc", TypeError, r"expects 1 input\(s\) \['input_layer\w*'\] as arrays or tensors, received: 'abc' of type str"),
        (None, TypeError, r"received: None of type NoneType"),
        ([np.ones((2, 3)), np.ones((2, 3))], ValueError, r"received a list of 2 items"),
        (np.ones((2, 3), complex), TypeError, r"of real numbers, received: an array of dtype complex128"),
    ],
    ids=["string", "none", "list", "complex"],
)  # fmt: skip
def test_calling_a_model_on_the_wrong_input_says_what_it_expects(functional, value, error, message):
    if functional:
        inputs = torchseq.Input((3,))
        model = torchseq.Model(inputs, layers.Dense(2)(inputs))
    else:
        model = dense_model()
    with pytest.raises(error, match=rf"Model '\w+' .*{message}"):
        model(value)


def _image_model(functional: bool, shape: tuple) -> torchseq.Model:
    if functional:
        inputs = torchseq.Input(shape)
        return torchseq.Model(inputs, layers.Dense(2)(layers.BatchNormalization()(inputs)))
    return torchseq.Sequential([torchseq.Input(shape), layers.BatchNormalization(), layers.Dense(2)])


@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
@pytest.mark.parametrize(
    ("shape", "data_shape"),
    [((6, 6, 1), (4, 6, 6)), ((6, 6), (4, 6, 6, 1))],
    ids=["channel-added", "unit-axis-dropped"],
)
def test_a_unit_axis_off_the_input_rank_is_fitted_as_keras_does(functional, shape, data_shape):
    # keras.io's siamese_contrastive feeds (N, 28, 28) images to an Input((28, 28, 1)).
    model = _image_model(functional, shape)
    x = np.random.default_rng(0).random(data_shape).astype("float32")
    assert model(x).shape == (4, *shape[:-1], 2)
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((4, *shape[:-1], 2), "float32"), verbose=0)
    assert model.predict(x, verbose=0).shape == (4, *shape[:-1], 2)


def test_another_rank_for_a_functional_input_is_an_error_naming_the_input():
    model = _image_model(True, (6, 6, 2))
    with pytest.raises(
        ValueError,
        match=r"Model 'functional\w*': input 0 \('input_layer\w*'\) expects shape "
        r"\(None, 6, 6, 2\), received a tensor of incompatible shape \(4, 6, 6\)",
    ):
        model(np.ones((4, 6, 6), "float32"))


def test_a_layer_called_inside_a_model_with_a_wrong_size_names_the_layer():
    with pytest.raises(ValueError, match=r'layer "dense".*axis -1 .* value 3.*shape \(2, 4\)'):
        dense_model()(np.ones((2, 4), "float32"))


# ---------------------------------------------------------------------- numpy integers


def test_is_int_accepts_numpy_integers_and_refuses_bools():
    assert all(is_int(v) for v in (3, np.int64(3), np.int32(-1), np.uint8(2)))
    assert not any(is_int(v) for v in (True, np.bool_(True), 3.0, np.float32(3), "3", None))
    assert type(int_or_none(np.int64(3))) is int
    assert int_or_none(None) is None


I = np.int64

LAYER_CASES = [
    (lambda n: layers.Dense(n(4)), (2, 3)),
    (lambda n: layers.Embedding(n(10), n(4)), "labels"),
    (lambda n: layers.Conv2D(n(2), (n(3), n(3)), strides=n(1)), (1, 5, 5, 3)),
    (lambda n: layers.Conv1DTranspose(n(2), n(3)), (1, 5, 3)),
    (lambda n: layers.MaxPooling2D(n(2), strides=n(2)), (1, 4, 4, 3)),
    (lambda n: layers.AveragePooling1D(n(2)), (1, 4, 3)),
    (lambda n: layers.LSTM(n(4)), (2, 3, 3)),
    (lambda n: layers.GRU(n(4)), (2, 3, 3)),
    (lambda n: layers.RNN([layers.SimpleRNNCell(n(2)), layers.LSTMCell(n(3))]), (2, 3, 3)),
    (lambda n: layers.Dropout(0.5, seed=n(3), noise_shape=(None, n(1))), (2, 3)),
    (lambda n: layers.GaussianNoise(0.1, seed=n(3)), (2, 3)),
    (lambda n: layers.Reshape((n(3), n(-1))), (2, 3)),
    (lambda n: layers.RepeatVector(n(2)), (2, 3)),
    (lambda n: layers.Permute((n(2), n(1))), (2, 3, 4)),
    (lambda n: layers.ZeroPadding2D(n(1)), (1, 3, 3, 1)),
    (lambda n: layers.Cropping1D((n(1), n(0))), (1, 4, 1)),
    (lambda n: layers.UpSampling2D(n(2)), (1, 2, 2, 1)),
    (lambda n: layers.EinsumDense("ab,bc->ac", n(4)), (2, 3)),
    (lambda n: layers.MultiHeadAttention(n(2), n(4)), "attention"),
    (lambda n: layers.GroupQueryAttention(n(4), n(2), n(1)), "attention"),
    (lambda n: layers.SpectralNormalization(layers.Dense(2), power_iterations=n(1)), (2, 3)),
    (lambda n: layers.Hashing(n(4), salt=n(3)), "labels"),
    (lambda n: layers.RandomFlip(seed=n(3)), (1, 4, 4, 3)),
    (lambda n: layers.Dot(axes=n(1)), "pair"),
]


def _run(layer, kind):
    torch.manual_seed(0)
    if kind == "labels":
        return layer(np.array([[1, 2]]))
    if kind == "attention":
        x = torch.ones(1, 2, 4)
        return layer(x, x)
    if kind == "pair":
        return layer([torch.ones(2, 3), torch.ones(2, 3)])
    return layer(torch.linspace(0, 1, int(np.prod(kind))).reshape(kind))


@pytest.mark.parametrize(
    ("make", "kind"), LAYER_CASES, ids=[type(make(int)).__name__ for make, _ in LAYER_CASES]
)
def test_numpy_integers_are_python_ints_to_layers(make, kind):
    plain, numpy_ints = make(int), make(I)
    # Plain ints in the config: the same JSON as the layer made with Python ints.
    assert _json_without_names(numpy_ints) == _json_without_names(plain)
    expected = _run(plain, kind)
    _run(numpy_ints, kind)  # builds it
    numpy_ints.set_weights(plain.get_weights())
    torch.testing.assert_close(_run(numpy_ints, kind), expected)


def _json_without_names(layer):
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "name"}
        if isinstance(value, (list, tuple)):
            return [strip(v) for v in value]
        return value

    return json.dumps(strip(layer.get_config()), sort_keys=True)


def test_get_layer_takes_a_numpy_index():
    model = dense_model()
    assert model.get_layer(index=I(0)) is model.layers[0]
