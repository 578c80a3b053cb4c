"""Tests for StringLookup and IntegerLookup (torchseq.layers.preprocessing).

Keras 3 runs these layers through TensorFlow, which is not installed here (and never will
be), so parity is checked against the outputs Keras documents and tests for the same
inputs (its docstrings and ``*_lookup_test.py``), recorded below.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchseq as keras
from torchseq.layers.preprocessing import IntegerLookup, StringLookup

VOCAB = ["a", "b", "c", "d"]
INT_VOCAB = [12, 36, 1138, 42]

# (kwargs, inputs, Keras's output)
STRING_CASES = [
    ({"vocabulary": VOCAB}, [["a", "c", "d"], ["d", "z", "b"]], [[1, 3, 4], [4, 0, 2]]),
    (
        {"vocabulary": VOCAB, "num_oov_indices": 2},
        [["a", "c", "d"], ["m", "z", "b"]],
        [[2, 4, 5], [0, 1, 3]],
    ),
    (
        {"vocabulary": VOCAB, "output_mode": "one_hot"},
        ["a", "b", "c", "d", "z"],
        np.eye(5)[[1, 2, 3, 4, 0]].tolist(),
    ),
    (
        {"vocabulary": VOCAB, "output_mode": "multi_hot"},
        [["a", "c", "d", "d"], ["d", "z", "b", "z"]],
        [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]],
    ),
    (
        {"vocabulary": VOCAB, "output_mode": "count"},
        [["a", "c", "d", "d"], ["d", "z", "b", "z"]],
        [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]],
    ),
    (
        {"vocabulary": VOCAB, "output_mode": "tf_idf", "idf_weights": [0.25, 0.75, 0.6, 0.4]},
        [["a", "c", "d", "d"], ["d", "z", "b", "z"]],
        [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]],
    ),
    (
        {
            "vocabulary": ["[UNK]", *VOCAB],
            "output_mode": "tf_idf",
            "idf_weights": [0.9, 0.25, 0.75, 0.6, 0.4],
        },
        [["a", "c", "d", "d"], ["d", "z", "b", "z"]],
        [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]],
    ),
    ({"vocabulary": ["a"], "mask_token": "[MASK]"}, ["[MASK]", "a", "q"], [0, 2, 1]),
]

INT_CASES = [
    ({"vocabulary": INT_VOCAB}, [[12, 1138, 42], [42, 1000, 36]], [[1, 3, 4], [4, 0, 2]]),
    (
        {"vocabulary": INT_VOCAB, "num_oov_indices": 2},
        [[12, 1138, 42], [37, 1000, 36]],
        [[2, 4, 5], [1, 0, 3]],
    ),
    (
        {"vocabulary": [10, 20, 30], "num_oov_indices": 4, "oov_method": "farmhash"},
        [100, 300, 700, 1100, 1700, 2000],
        [3, 3, 2, 2, 0, 1],
    ),
    (
        {"vocabulary": INT_VOCAB, "output_mode": "one_hot"},
        [12, 36, 1138, 42, 7],
        np.eye(5)[[1, 2, 3, 4, 0]].tolist(),
    ),
    (
        {"vocabulary": INT_VOCAB, "output_mode": "multi_hot"},
        [[12, 1138, 42, 42], [42, 7, 36, 7]],
        [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]],
    ),
    (
        {"vocabulary": INT_VOCAB, "output_mode": "count"},
        [[12, 1138, 42, 42], [42, 7, 36, 7]],
        [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]],
    ),
    (
        {"vocabulary": INT_VOCAB, "output_mode": "tf_idf", "idf_weights": [0.25, 0.75, 0.6, 0.4]},
        [[12, 1138, 42, 42], [42, 7, 36, 7]],
        [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]],
    ),
    ({"vocabulary": [1, 2, 3], "mask_token": 0}, [0, 1, 2, 3], [0, 2, 3, 4]),
    ({"vocabulary": [10, 20, 30], "invert": True}, [1, 2, 3, 0], [10, 20, 30, -1]),
    (
        {
            "vocabulary": [1, 2],
            "output_mode": "multi_hot",
            "max_tokens": 5,
            "pad_to_max_tokens": True,
        },
        [[1, 2]],
        [[0, 1, 1, 0, 0]],
    ),
]


@pytest.mark.parametrize("kwargs,inputs,expected", STRING_CASES)
def test_string_lookup_matches_keras(kwargs, inputs, expected):
    for data in (inputs, np.array(inputs), np.array(inputs, dtype=object), np.char.encode(inputs)):
        out = StringLookup(**kwargs)(data)
        assert isinstance(out, torch.Tensor)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kwargs,inputs,expected", INT_CASES)
def test_integer_lookup_matches_keras(kwargs, inputs, expected):
    for data in (inputs, np.array(inputs), torch.tensor(inputs)):
        out = IntegerLookup(**kwargs)(data)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-6)


def test_string_output_dtypes():
    assert StringLookup(vocabulary=VOCAB)(["a"]).dtype == torch.int64
    assert StringLookup(vocabulary=VOCAB, output_mode="count")(["a"]).dtype == torch.float32


def test_string_invert_returns_numpy_strings():
    layer = StringLookup(vocabulary=VOCAB, invert=True)
    out = layer(torch.tensor([[1, 3, 4], [4, 0, 2]]))
    assert isinstance(out, np.ndarray) and out.dtype.kind == "U"
    assert out.tolist() == [["a", "c", "d"], ["d", "[UNK]", "b"]]
    forward = StringLookup(vocabulary=VOCAB)
    inverse = StringLookup(vocabulary=forward.get_vocabulary(), invert=True)
    assert inverse(forward([["a", "z"]])).tolist() == [["a", "[UNK]"]]


def test_adapt_orders_by_count_then_reverse_token():
    data = [["a", "c", "d"], ["d", "z", "b"]]
    layer = StringLookup()
    layer.adapt(data)
    assert layer.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    assert layer(data).tolist() == [[5, 3, 1], [1, 2, 4]]
    assert layer.vocabulary_size() == 6
    assert layer.get_vocabulary(include_special_tokens=False) == ["d", "z", "c", "b", "a"]
    ints = IntegerLookup()
    ints.adapt(np.array([[12, 1138, 42], [42, 1000, 36]]))
    assert ints.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    assert ints(np.array([[12, 1138, 42], [42, 1000, 36]])).tolist() == [[5, 2, 1], [1, 3, 4]]


def test_adapt_accepts_batches_max_tokens_and_drops_special_tokens():
    def batches():
        yield np.array(["x", "y", "y", "[UNK]"])
        yield ["y", "z", "", "", ""]

    layer = StringLookup(max_tokens=3, mask_token="")
    layer.adapt(batches())
    assert layer.get_vocabulary() == ["", "[UNK]", "y"]
    loader = torch.utils.data.DataLoader(torch.tensor([5, 5, 6, 7, 7, 7]), batch_size=2)
    ints = IntegerLookup()
    ints.adapt(loader)
    assert ints.get_vocabulary() == [-1, 7, 5, 6]
    limited = IntegerLookup()
    limited.adapt(iter([np.array([1]), np.array([2, 2]), np.array([3, 3, 3])]), steps=2)
    assert limited.get_vocabulary() == [-1, 2, 1]


def test_adapt_tf_idf_weights():
    # Each row is a document: idf = log(1 + documents / (1 + documents with the token)),
    # the OOV weight is their mean.
    layer = StringLookup(output_mode="tf_idf")
    layer.adapt([["a", "a", "b"], ["a", "c", "c"]])
    assert layer.get_vocabulary() == ["[UNK]", "a", "c", "b"]
    idf = np.log(1 + 2 / (1 + np.array([2.0, 1.0, 1.0])))
    expected = np.array([[0, 2 * idf[0], 0, idf[2]]])
    np.testing.assert_allclose(layer([["a", "a", "b"]]).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(layer.get_config()["idf_weights"][0], idf.mean(), rtol=1e-6)


def test_multiple_oov_strings_hash_with_farmhash_or_siphash():
    oov = ["x", "y", "z", "w", "v", "u"]
    farm = StringLookup(vocabulary=["a", "b", "c"], num_oov_indices=4)(oov)
    sip = StringLookup(vocabulary=["a", "b", "c"], num_oov_indices=4, salt=[137, 42])(oov)
    assert farm.max() < 4 and sip.max() < 4
    assert not torch.equal(farm, sip)
    assert torch.equal(farm, StringLookup(vocabulary=["a", "b", "c"], num_oov_indices=4)(oov))


def test_set_vocabulary_strips_leading_special_tokens_and_reads_files(tmp_path):
    layer = StringLookup(mask_token="")
    layer.set_vocabulary(["", "[UNK]", "x", "y"])
    assert layer.get_vocabulary() == ["", "[UNK]", "x", "y"]
    path = tmp_path / "vocab.txt"
    path.write_text("x\ny\n\n")
    from_file = StringLookup(vocabulary=str(path))
    assert from_file.get_vocabulary() == ["[UNK]", "x", "y"]
    assert from_file(["y", "q"]).tolist() == [2, 0]


def test_lookup_config_round_trip_keeps_vocabulary():
    layer = StringLookup(output_mode="tf_idf", max_tokens=6, pad_to_max_tokens=True)
    layer.adapt([["a", "b"], ["a", "c"], ["d"]])
    config = layer.get_config()
    assert config["vocabulary"] == layer.get_vocabulary()
    clone = StringLookup.from_config(config)
    data = [["a", "d", "q"]]
    torch.testing.assert_close(clone(data), layer(data))
    assert clone.get_config() == config
    given = IntegerLookup(vocabulary=INT_VOCAB, mask_token=0, num_oov_indices=2)
    config = given.get_config()
    assert config["vocabulary"] == INT_VOCAB and config["vocabulary_dtype"] == "int64"
    assert IntegerLookup.from_config(config).get_config() == config


def test_integer_lookup_in_a_model_saves_and_loads(tmp_path):
    inputs = keras.Input(shape=(3,), dtype="int64")
    lookup = IntegerLookup(output_mode="multi_hot")
    lookup.adapt(np.array([[12, 1138, 42], [42, 1000, 36]]))
    outputs = keras.layers.Dense(2)(lookup(inputs))
    model = keras.Model(inputs, outputs)
    assert lookup(inputs).shape == (None, 6)
    data = np.array([[12, 7, 42], [42, 1000, 36]])
    expected = model.predict(data, verbose=0)
    model.save(tmp_path / "lookup.keras")
    loaded = keras.models.load_model(tmp_path / "lookup.keras")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), expected, rtol=1e-6)
    assert loaded.layers[1].get_vocabulary() == lookup.get_vocabulary()


def test_integer_lookup_symbolic_output_spec():
    x = keras.Input(shape=(4,), dtype="int64")
    assert IntegerLookup(vocabulary=INT_VOCAB)(x).dtype == "int64"
    y = IntegerLookup(vocabulary=INT_VOCAB, output_mode="one_hot")(
        keras.Input(shape=(1,), dtype="int64")
    )
    assert y.shape == (None, 5) and y.dtype == "float32"


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"max_tokens": 1}, ValueError, "max_tokens must be greater than 1"),
        ({"num_oov_indices": -1}, ValueError, "num_oov_indices must be >= 0"),
        ({"pad_to_max_tokens": True}, ValueError, "pad_to_max_tokens=True needs max_tokens"),
        ({"output_mode": "bogus"}, ValueError, r"one of \['int', 'one_hot'"),
        (
            {"invert": True, "output_mode": "count"},
            ValueError,
            "invert=True needs output_mode='int'",
        ),
        ({"sparse": True, "output_mode": "count"}, ValueError, "expected sparse=False"),
        ({"idf_weights": [1.0]}, ValueError, "idf_weights are only used"),
        ({"vocabulary": ["a"], "output_mode": "tf_idf"}, ValueError, "idf_weights must be"),
        ({"vocabulary": ["a", "a"]}, ValueError, r"repeats tokens \['a'\]"),
        ({"vocabulary": ["a", "[M]"], "mask_token": "[M]"}, ValueError, "reserved mask_token"),
        ({"vocabulary": ["a", "b", "c"], "max_tokens": 3}, ValueError, "more than max_tokens=3"),
        ({"vocabulary": []}, ValueError, "cannot set an empty vocabulary"),
        ({"salt": "x"}, ValueError, "salt must be an int or a pair"),
    ],
)
def test_string_lookup_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        StringLookup(**kwargs)


def test_lookup_call_errors():
    with pytest.raises(ValueError, match="found out-of-vocabulary values"):
        StringLookup(vocabulary=["a"], num_oov_indices=0)(["a", "b"])
    with pytest.raises(ValueError, match=r"found out-of-vocabulary values \['5'\]"):
        IntegerLookup(vocabulary=[1], num_oov_indices=0)(torch.tensor([1, 5]))
    with pytest.raises(RuntimeError, match="vocabulary must be set before"):
        StringLookup(output_mode="multi_hot")(["a"])
    with pytest.raises(ValueError, match="cannot adapt a layer whose vocabulary"):
        StringLookup(vocabulary=["a"]).adapt(["a"])
    with pytest.raises(TypeError, match="torch has no string tensors"):
        StringLookup(vocabulary=["a"])(torch.tensor([1]))
    with pytest.raises(TypeError, match="expected integer inputs"):
        IntegerLookup(vocabulary=[1])(["a"])
    with pytest.raises(ValueError, match="vocabulary_dtype='int64'"):
        IntegerLookup(vocabulary_dtype="int32")
    with pytest.raises(ValueError, match="salt is only used with oov_method='farmhash'"):
        IntegerLookup(salt=3)
    layer = StringLookup(output_mode="count")
    layer.set_vocabulary(["a"])
    with pytest.raises(RuntimeError, match="cannot change once set"):
        layer.set_vocabulary(["a", "b"])
