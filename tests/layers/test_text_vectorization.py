"""Tests for TextVectorization (torchseq.layers.preprocessing).

Keras 3's TextVectorization runs on TensorFlow, which is not installed here, so parity is
checked against the outputs Keras documents and tests for the same inputs (its
``text_vectorization_test.py``), recorded below.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchseq as keras
from torchseq.layers.preprocessing import TextVectorization

INPUT = [["foo qux bar"], ["qux baz"]]


def test_adapt_then_int_sequences_match_keras():
    layer = TextVectorization(max_tokens=5000, output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    out = layer(INPUT)
    assert out.dtype == torch.int64
    assert out.tolist() == [[4, 1, 3, 0], [1, 2, 0, 0]]
    assert layer(np.array(INPUT)).tolist() == [[4, 1, 3, 0], [1, 2, 0, 0]]
    assert layer(["foo qux bar", "qux baz"]).tolist() == [[4, 1, 3, 0], [1, 2, 0, 0]]


@pytest.mark.parametrize("how", ["constructor", "set_vocabulary"])
def test_fixed_vocabulary_matches_keras(how):
    vocabulary = ["baz", "bar", "foo"]
    if how == "constructor":
        layer = TextVectorization(output_sequence_length=4, vocabulary=vocabulary)
    else:
        layer = TextVectorization(output_sequence_length=4)
        layer.set_vocabulary(vocabulary)
    assert layer(INPUT).tolist() == [[4, 1, 3, 0], [1, 2, 0, 0]]
    assert layer.vocabulary_size() == 5


def test_sequences_pad_to_the_longest_and_truncate():
    layer = TextVectorization(vocabulary=["a", "b"])
    assert layer(["a b c", "b", ""]).tolist() == [[2, 3, 1], [3, 0, 0], [0, 0, 0]]
    short = TextVectorization(vocabulary=["a", "b"], output_sequence_length=2)
    assert short(["a b c", "b"]).tolist() == [[2, 3], [3, 0]]
    assert TextVectorization(vocabulary=["a"])("a z").tolist() == [2, 1]


# (kwargs, inputs, Keras's output)
ENCODED_CASES = [
    (
        {"output_mode": "multi_hot", "vocabulary": ["foo", "bar", "baz"]},
        [["foo bar"], ["baz foo foo"]],
        [[0, 1, 1, 0], [0, 1, 0, 1]],
    ),
    (
        {"output_mode": "count", "vocabulary": ["foo", "bar", "baz"]},
        ["foo bar", "baz foo foo"],
        [[0, 1, 1, 0], [0, 2, 0, 1]],
    ),
    (
        {
            "output_mode": "tf_idf",
            "vocabulary": ["foo", "bar", "baz"],
            "idf_weights": [0.3, 0.5, 0.2],
        },
        ["foo bar", "baz foo foo"],
        [[0.0, 0.3, 0.5, 0.0], [0.0, 0.6, 0.0, 0.2]],
    ),
    (
        {"vocabulary": ["hello", "world", "this", "is", "nice", "test"]},
        ["Hello, World!. This is just a nice test!"],
        [[2, 3, 4, 5, 1, 1, 6, 7]],
    ),
    (
        {
            "standardize": "lower",
            "vocabulary": ["hello,", "hello", "world", "this", "is", "nice", "test"],
        },
        ["Hello, World!. This is just a nice test!"],
        [[2, 1, 5, 6, 1, 1, 7, 1]],
    ),
    (
        {"standardize": "strip_punctuation", "vocabulary": ["Hello", "hello", "world"]},
        ["Hello, world! hello"],
        [[2, 4, 3]],
    ),
    (
        {"standardize": None, "split": None, "vocabulary": ["A b", "c"]},
        [["A b"], ["c"], ["x"]],
        [[2], [3], [1]],
    ),
    ({"split": "character", "vocabulary": ["a", "b"]}, ["abz", "b"], [[2, 3, 1], [3, 0, 0]]),
    ({"ngrams": 2, "vocabulary": ["a", "b", "a b"]}, ["a b c"], [[2, 3, 1, 4, 1]]),
    ({"ngrams": (2,), "vocabulary": ["a b"]}, ["a b c"], [[2, 1]]),
]


@pytest.mark.parametrize("kwargs,inputs,expected", ENCODED_CASES)
def test_modes_and_steps_match_keras(kwargs, inputs, expected):
    out = TextVectorization(**kwargs)(inputs)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_standardization_is_ascii_only_as_in_tensorflow():
    # "ÉLAN" lowercases to "Élan" (Python's str.lower would give "élan").
    layer = TextVectorization(vocabulary=["élan", "Élan"])
    assert layer(["ÉLAN élan"]).tolist() == [[3, 2]]


def test_callables_for_standardize_and_split():
    layer = TextVectorization(
        standardize=lambda texts: np.char.upper(texts),
        split=lambda texts: [t.split("-") for t in texts],
        vocabulary=["A", "B"],
    )
    assert layer(["a-b-c"]).tolist() == [[2, 3, 1]]


def test_adapt_on_batches_and_tf_idf_weights():
    def batches():
        yield np.array(["the cat sat", "the dog"])
        yield ["the cat"]

    layer = TextVectorization(output_mode="tf_idf")
    layer.adapt(batches())
    assert layer.get_vocabulary() == ["[UNK]", "the", "cat", "sat", "dog"]
    documents = np.array([3, 2, 1, 1], dtype=np.float64)
    idf = np.log(1 + 3 / (1 + documents))
    expected = np.array([[0.0, 2 * idf[0], 2 * idf[1], 0.0, 0.0]])
    np.testing.assert_allclose(layer(["The cat, the CAT"]).numpy(), expected, rtol=1e-6)
    limited = TextVectorization(max_tokens=4)
    limited.adapt(torch.utils.data.DataLoader(["b a", "b c", "b"], batch_size=2))
    assert limited.get_vocabulary() == ["", "[UNK]", "b", "c"]


def test_config_round_trip_and_model_use(tmp_path):
    layer = TextVectorization(
        ngrams=(1, 2), output_mode="tf_idf", max_tokens=10, pad_to_max_tokens=True
    )
    layer.adapt(["a b c", "a c", "d"])
    config = layer.get_config()
    clone = TextVectorization.from_config(config)
    texts = ["a c d", "b"]
    torch.testing.assert_close(clone(texts), layer(texts))
    assert clone.get_config() == config
    assert layer(texts).shape == (2, 10)

    vectorizer = TextVectorization(vocabulary=["x", "y"], output_sequence_length=3)
    inputs = keras.Input(shape=(3,), dtype="int64")
    model = keras.Model(inputs, keras.layers.Embedding(4, 2)(inputs))
    assert model(vectorizer(["x y z"])).shape == (1, 3, 2)
    assert vectorizer.compute_output_shape((None,)) == (None, 3)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"standardize": "upper"}, r"standardize must be one of \['lower_and_strip_punctuation'"),
        ({"split": "comma"}, r"split must be one of \['whitespace', 'character'\]"),
        ({"ngrams": 1.5}, "ngrams must be None, an int or a tuple of ints"),
        (
            {"output_mode": "count", "output_sequence_length": 3},
            "output_sequence_length is only used",
        ),
        ({"output_sequence_length": "3"}, "output_sequence_length must be None or an int"),
        ({"ragged": True}, "expected sparse=False and ragged=False"),
        ({"output_mode": "tf_idf", "vocabulary": ["a"]}, "idf_weights must be given"),
    ],
)
def test_constructor_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TextVectorization(**kwargs)


def test_call_errors():
    with pytest.raises(ValueError, match="last axis of size 1, received shape"):
        TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="torch has no string tensors"):
        TextVectorization(vocabulary=["a"])(torch.tensor([1]))
    with pytest.raises(RuntimeError, match="vocabulary must be set before"):
        TextVectorization(output_mode="multi_hot")(["a"])
