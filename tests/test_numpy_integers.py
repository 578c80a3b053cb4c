"""numpy integers where Python ints go (issue 13), and the last errors of the wrong kind.

Sizes computed with numpy are numpy integers (``np.int64(8)``): every op, constructor and
model method that takes an int takes one of those too, gives the result the Python int
gives, and keeps Python ints in configs (so they stay JSON). The second half pins the
wrong-kind errors the bad-input sweep left: each a TypeError/ValueError naming the argument.
"""

from __future__ import annotations

import json

import keras as ref
import numpy as np
import pytest
import torch

import torchseq as keras
from torchseq import ops
from torchseq.callbacks.csv_logger import CSVLogger
from torchseq.utils.sequence_utils import pad_sequences

L = keras.layers
RNG = np.random.default_rng(0)
X3 = RNG.normal(size=(2, 4, 6)).astype("float32")
X2 = RNG.normal(size=(4, 6)).astype("float32")
IMAGES = RNG.normal(size=(1, 4, 4, 4)).astype("float32")
LABELS = np.array([1, 0, 3, 2])


def _numpy_ints(value):
    """``value`` with every Python int (also inside tuples and lists) as ``np.int64``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return np.int64(value)
    if isinstance(value, (tuple, list)):
        return type(value)(_numpy_ints(item) for item in value)
    return value


def _op(path):
    function = ops
    for part in path.split("."):
        function = getattr(function, part)
    return function


def _arrays(result):
    if isinstance(result, (list, tuple)):
        return [_arrays(item) for item in result]
    return np.asarray(result.detach() if isinstance(result, torch.Tensor) else result)


def _assert_same(expected, actual):
    if isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected)
        for e, a in zip(expected, actual):
            _assert_same(e, a)
    else:
        assert actual.shape == expected.shape and actual.dtype == expected.dtype
        np.testing.assert_allclose(actual, expected, rtol=1e-6)


# (op, positional args, keyword args), written with Python ints.
OP_CASES = [
    ("sum", (X3,), {"axis": 1}),
    ("sum", (X3,), {"axis": (0, 2)}),
    ("mean", (X3,), {"axis": -1}),
    ("max", (X3,), {"axis": 1}),
    ("prod", (X3,), {"axis": 1}),
    ("std", (X3,), {"axis": 1}),
    ("all", (X3 > 0,), {"axis": 1}),
    ("count_nonzero", (X3 > 0,), {"axis": 1}),
    ("logsumexp", (X3,), {"axis": (1, 2)}),
    ("median", (X3,), {"axis": 1}),
    ("quantile", (X3, 0.5), {"axis": (1,)}),
    ("ptp", (X3,), {"axis": 1}),
    ("average", (X3,), {"axis": 1, "weights": np.arange(1.0, 5.0, dtype="float32")}),
    ("nansum", (X3,), {"axis": 1}),
    ("nanargmax", (X3,), {"axis": 1}),
    ("nanpercentile", (X3, 50.0), {"axis": 1}),
    ("norm", (X3,), {"axis": 1}),
    ("normalize", (X3,), {"axis": 1, "order": 1}),
    ("moments", (X3,), {"axes": 1}),
    ("softmax", (X3,), {"axis": 1}),
    ("softmax", (X3,), {"axis": (1, 2)}),
    ("log_softmax", (X3,), {"axis": 1}),
    ("layer_normalization", (X3,), {"axis": 1}),
    ("expand_dims", (X3, 0), {}),
    ("expand_dims", (X3, (0, 2)), {}),
    ("squeeze", (X3[:, :1], 1), {}),
    ("flip", (X3, 1), {}),
    ("split", (X3, 2), {"axis": 1}),
    ("split", (X3, [1, 3]), {"axis": 2}),
    ("array_split", (X3, 3), {"axis": 1}),
    ("hsplit", (X3, 2), {}),
    ("dsplit", (X3, 3), {}),
    ("repeat", (X3, 2), {"axis": 1}),
    ("tile", (X3, (1, 2, 1)), {}),
    ("reshape", (X3, (4, -1)), {}),
    ("tensordot", (X2, X2.T), {"axes": 1}),
    ("tensordot", (X2, X2.T), {"axes": ([1], [0])}),
    ("clip", (np.arange(6, dtype="int32"), 1, 3), {}),
    ("histogram", (X2.ravel(),), {"bins": 4}),
    ("one_hot", (LABELS, 4), {"axis": 0}),
    ("hamming", (5,), {}),
    ("space_to_depth", (np.arange(32.0, dtype="float32").reshape(1, 4, 4, 2), 2), {}),
    ("depth_to_space", (np.arange(32.0, dtype="float32").reshape(1, 2, 2, 8), 2), {}),
    ("image.extract_patches", (IMAGES, 2), {}),
    ("scan", (lambda c, x: (c + x, c), 0.0, np.arange(4.0, dtype="float32")), {"unroll": 2}),
]


@pytest.mark.parametrize(
    "name, args, kwargs", OP_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(OP_CASES)]
)
def test_op_takes_numpy_integers_as_python_ints(name, args, kwargs):
    expected = _arrays(_op(name)(*args, **kwargs))
    numpy_args = tuple(_numpy_ints(arg) for arg in args)
    numpy_kwargs = {key: _numpy_ints(value) for key, value in kwargs.items()}
    _assert_same(expected, _arrays(_op(name)(*numpy_args, **numpy_kwargs)))


# Calls with numpy integers that Keras 3 (torch backend) accepts: same numbers as Keras.
KERAS_ACCEPTS = [
    ("std", (X3,), {"axis": np.int64(1)}),
    ("moments", (X3,), {"axes": np.int64(2)}),
    ("norm", (X3,), {"axis": np.int64(1)}),
    ("softmax", (X3,), {"axis": np.int64(1)}),
    ("squeeze", (X3[:, :1], np.int64(1)), {}),
    ("vsplit", (X3, np.int64(2)), {}),
    ("space_to_depth", (np.arange(32.0, dtype="float32").reshape(1, 4, 4, 2), np.int64(2)), {}),
]


@pytest.mark.parametrize(
    "name, args, kwargs", KERAS_ACCEPTS, ids=[case[0] for case in KERAS_ACCEPTS]
)
def test_op_with_numpy_integers_matches_keras(name, args, kwargs):
    expected = _arrays(getattr(ref.ops, name)(*args, **kwargs))
    _assert_same(expected, _arrays(_op(name)(*args, **kwargs)))


def test_functional_config_keeps_python_ints_for_numpy_integer_op_arguments():
    inputs = keras.Input((4, 6))
    model = keras.Model(inputs, ops.sum(inputs, axis=np.int64(1)))

    config = model.get_config()

    operation = config["layers"][-1]["config"]
    assert operation["axis"] == 1 and type(operation["axis"]) is int
    restored = keras.Model.from_config(json.loads(json.dumps(config)))
    np.testing.assert_allclose(_arrays(restored(X3)), X3.sum(axis=1), rtol=1e-6)


@pytest.mark.parametrize(
    "make, config_key, expected",
    [
        (lambda n: L.Dense(3, input_shape=n(4)), "batch_input_shape", (None, 4)),
        (lambda n: L.Dense(3, input_shape=(n(4),)), "batch_input_shape", (None, 4)),
        (lambda n: L.Dense(3, input_dim=n(4), batch_size=n(2)), "batch_input_shape", (2, 4)),
        (lambda n: L.Dense(3, batch_input_shape=(None, n(4))), "batch_input_shape", (None, 4)),
        (lambda n: L.Equalization(bins=n(16)), "bins", 16),
    ],
    ids=["input_shape int", "input_shape tuple", "input_dim", "batch_input_shape", "bins"],
)
def test_constructor_takes_numpy_integers(make, config_key, expected):
    layer = make(np.int64)

    value = layer.get_config()[config_key]

    values = tuple(value) if isinstance(expected, tuple) else (value,)
    assert values == (expected if isinstance(expected, tuple) else (expected,))
    assert all(v is None or type(v) is int for v in values)
    json.dumps(layer.get_config())


def test_equalization_with_numpy_bins_equalizes_as_with_python_bins():
    images = np.random.default_rng(1).uniform(0, 255, (1, 6, 6, 3)).astype("float32")
    expected = L.Equalization(bins=16)(images)
    np.testing.assert_array_equal(_arrays(L.Equalization(bins=np.int64(16))(images)), _arrays(expected))


def test_get_layer_takes_a_numpy_index():
    model = keras.Sequential([keras.Input((3,)), L.Dense(2), L.Dense(1)])
    assert model.get_layer(index=np.int64(1)) is model.layers[1]


def test_summary_takes_a_numpy_line_length():
    model = keras.Sequential([keras.Input((3,)), L.Dense(2)])
    printed = []

    model.summary(line_length=np.int64(60), print_fn=printed.append)

    assert max(len(line) for line in printed[0].splitlines()) == 60


# ------------------------------------------------------------------- wrong-kind errors


def _adapted_normalization():
    layer = L.Normalization(name="norm")
    layer.adapt(np.arange(12.0, dtype="float32").reshape(4, 3))
    return layer


WRONG_KIND = {
    "get_layer name": (
        lambda: keras.Sequential([keras.Input((3,)), L.Dense(2)]).get_layer(name=5),
        TypeError,
        "get_layer: name must be a string, received: name=5 of type int",
    ),
    "summary line_length": (
        lambda: keras.Sequential([keras.Input((3,)), L.Dense(2)]).summary(line_length="a"),
        TypeError,
        "line_length must be an int or None, received: line_length='a' of type str",
    ),
    "pad_sequences maxlen": (
        lambda: pad_sequences([[1, 2], [3]], maxlen="2"),
        TypeError,
        "maxlen must be None or an int >= 0, received: maxlen='2' of type str",
    ),
    "CSVLogger separator": (
        lambda: CSVLogger("log.csv", separator=5),
        TypeError,
        "separator must be a single character, received: separator=5 of type int",
    ),
    "Normalization feature size": (
        lambda: _adapted_normalization()(np.ones((2, 5), "float32")),
        ValueError,
        (
            r'Normalization layer "norm" expected inputs of shape \(None, 3\), '
            r"received: input shape \(2, 5\)"
        ),
    ),
}


@pytest.mark.parametrize("case", list(WRONG_KIND))
def test_wrong_kind_raises_an_error_naming_the_argument(case):
    call, error, message = WRONG_KIND[case]
    with pytest.raises(error, match=message):
        call()


def test_bad_values_keep_raising_value_errors():
    with pytest.raises(ValueError, match="maxlen must be None or an int >= 0.*maxlen=-1"):
        pad_sequences([[1]], maxlen=-1)
    with pytest.raises(ValueError, match="separator must be a single character.*';;'"):
        CSVLogger("log.csv", separator=";;")


def test_normalization_after_a_failed_call_keeps_its_statistics():
    layer = _adapted_normalization()
    mean = _arrays(layer.mean).copy()

    with pytest.raises(ValueError):
        layer(np.ones((2, 5), "float32"))

    np.testing.assert_array_equal(_arrays(layer.mean), mean)
    column_means = np.array([[4.5, 5.5, 6.5]], "float32")
    np.testing.assert_allclose(_arrays(layer(column_means)), 0.0, atol=1e-6)
