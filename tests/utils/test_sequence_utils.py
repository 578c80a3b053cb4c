"""Tests for utils.pad_sequences (parity grid against keras.utils.pad_sequences) and
utils.pack_x_y_sample_weight / unpack_x_y_sample_weight."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from torchseq.utils import pack_x_y_sample_weight, pad_sequences, unpack_x_y_sample_weight

SEQUENCES = {
    "ints": [[1], [2, 3], [4, 5, 6], [7, 8, 9, 10, 11]],
    "with-empty": [[], [1, 2], [], [3, 4, 5, 6]],
    "arrays": [np.arange(3), np.arange(5) + 10, np.arange(1) + 20],
    "tuples": [(1.5, 2.5), (3.5,), (4.25, 5.75, 6.5)],
    "items-of-shape-2": [np.ones((2, 2)), np.arange(8).reshape(4, 2), np.zeros((1, 2))],
}
GRID = list(
    itertools.product(
        SEQUENCES,
        [None, 1, 2, 4, 7],  # maxlen
        ["pre", "post"],  # padding
        ["pre", "post"],  # truncating
        [{}, {"dtype": "float32", "value": -1.5}, {"dtype": "int64", "value": 9}],
    )
)


@pytest.fixture(scope="module")
def keras_pad():
    return pytest.importorskip("keras").utils.pad_sequences


@pytest.mark.parametrize(("name", "maxlen", "padding", "truncating", "options"), GRID)
def test_matches_keras(keras_pad, name, maxlen, padding, truncating, options):
    kwargs = {"maxlen": maxlen, "padding": padding, "truncating": truncating, **options}
    ours = pad_sequences(SEQUENCES[name], **kwargs)
    theirs = keras_pad(SEQUENCES[name], **kwargs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("padding", ["pre", "post"])
def test_strings_with_object_dtype_match_keras(keras_pad, padding):
    words = [["a", "bb"], ["ccc"], ["d", "e", "f"]]
    ours = pad_sequences(words, dtype=object, value="<pad>", padding=padding, maxlen=2)
    theirs = keras_pad(words, dtype=object, value="<pad>", padding=padding, maxlen=2)
    assert ours.tolist() == theirs.tolist()
    assert pad_sequences(words, dtype="<U5", value="-").tolist() == [
        ["-", "a", "bb"],
        ["-", "-", "ccc"],
        ["d", "e", "f"],
    ]


def test_docstring_examples():
    sequences = [[1], [2, 3], [4, 5, 6]]
    np.testing.assert_array_equal(pad_sequences(sequences), [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(
        pad_sequences(sequences, maxlen=2, padding="post"), [[1, 0], [2, 3], [5, 6]]
    )
    assert pad_sequences(sequences).dtype == np.int32


def test_edge_lengths():
    assert pad_sequences([[1, 2], [3]], maxlen=0).shape == (2, 0)  # Keras fails here
    assert pad_sequences([]).shape == (0, 0)  # Keras fails here too
    assert pad_sequences([[], []]).shape == (2, 0)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((iter([[1]]),), {}, ValueError, "expects a list of sequences, received an object"),
        (([[1], 5],), {}, ValueError, "item 1 has no length: 5"),
        (([[1]],), {"padding": "left"}, ValueError, 'padding must be "pre" or "post"'),
        (([[1]],), {"truncating": "end"}, ValueError, 'truncating must be "pre" or "post"'),
        (([[1]],), {"maxlen": -1}, ValueError, "maxlen must be None or an int >= 0"),
        (([["a"]],), {"value": "x"}, ValueError, "cannot fill dtype='int32' with a string"),
        (([np.ones((2, 2)), np.ones((2, 3))],), {}, ValueError, r"sequence 1 have shape \(3,\)"),
    ],
    ids=["not-sized", "not-a-sequence", "padding", "truncating", "maxlen", "string", "shapes"],
)
def test_errors(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        pad_sequences(*args, **kwargs)


# --- pack / unpack ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("x",), "x"),
        ((["x1", "x2"],), (["x1", "x2"],)),
        ((("x1", "x2"),), (("x1", "x2"),)),
        (("x", "y"), ("x", "y")),
        (("x", "y", "w"), ("x", "y", "w")),
        (("x", None, "w"), "x"),
    ],
)
def test_pack_matches_keras(args, expected):
    keras_utils = pytest.importorskip("keras").utils
    assert pack_x_y_sample_weight(*args) == expected == keras_utils.pack_x_y_sample_weight(*args)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("x", ("x", None, None)),
        (("x",), ("x", None, None)),
        (["x", "y"], ("x", "y", None)),
        (("x", "y", "w"), ("x", "y", "w")),
        ({"a": 1}, ({"a": 1}, None, None)),
    ],
)
def test_unpack_matches_keras(data, expected):
    keras_utils = pytest.importorskip("keras").utils
    assert unpack_x_y_sample_weight(data) == expected == keras_utils.unpack_x_y_sample_weight(data)


@pytest.mark.parametrize("data", [(), (1, 2, 3, 4)])
def test_unpack_refuses_other_lengths(data):
    with pytest.raises(ValueError, match=f"received a tuple of {len(data)} items"):
        unpack_x_y_sample_weight(data)


def test_pack_and_unpack_round_trip():
    for packed in [("x",), ("x", "y"), ("x", "y", "w")]:
        assert pack_x_y_sample_weight(*unpack_x_y_sample_weight(packed)) == (
            packed if len(packed) > 1 else "x"
        )
