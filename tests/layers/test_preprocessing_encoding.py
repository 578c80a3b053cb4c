"""Tests for CategoryEncoding, Discretization, Hashing and HashedCrossing, and the hash
functions behind them.

CategoryEncoding and Discretization are compared with Keras's layers on the same inputs.
Keras's Hashing and HashedCrossing need TensorFlow, which is not installed here, so their
outputs are checked against the values Keras documents and tests (recorded below), and the
FarmHash fingerprints against reference values of Google's FarmHash.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

import torchseq as keras
from torchseq.layers.preprocessing import CategoryEncoding, Discretization, HashedCrossing, Hashing
from torchseq.layers.preprocessing._hash_functions import (
    fingerprint64,
    fingerprint64_of_ints,
    siphash64,
    unsigned_mod,
)

os.environ.setdefault("KERAS_BACKEND", "torch")
keras_ref = pytest.importorskip("keras")


def _keras_numpy(value):
    return keras_ref.ops.convert_to_numpy(value)


# ---------------------------------------------------------------------- CategoryEncoding

ENCODING_CASES = [
    ({"num_tokens": 4, "output_mode": "one_hot"}, [3, 2, 0, 1]),
    ({"num_tokens": 4, "output_mode": "one_hot"}, [[3], [2], [0], [1]]),
    ({"num_tokens": 4, "output_mode": "multi_hot"}, [[0, 1], [0, 0], [1, 2], [3, 1]]),
    ({"num_tokens": 4, "output_mode": "multi_hot"}, [0, 1, 1, 3]),
    ({"num_tokens": 4, "output_mode": "count"}, [[0, 1], [0, 0], [1, 2], [3, 1]]),
    ({"num_tokens": 6, "output_mode": "count"}, [[5, 5, 5, 1]]),
    ({"num_tokens": 3, "output_mode": "binary"}, [[0, 2]]),
]


@pytest.mark.parametrize("kwargs,inputs", ENCODING_CASES)
def test_category_encoding_matches_keras(kwargs, inputs):
    expected = _keras_numpy(keras_ref.layers.CategoryEncoding(**kwargs)(np.array(inputs)))
    for data in (inputs, np.array(inputs), torch.tensor(inputs)):
        np.testing.assert_array_equal(CategoryEncoding(**kwargs)(data).numpy(), expected)
    symbolic = CategoryEncoding(**kwargs)(keras.Input(batch_shape=np.shape(inputs), dtype="int64"))
    assert symbolic.shape == expected.shape


def test_category_encoding_count_weights_match_keras():
    inputs = np.array([[1, 2, 2], [0, 3, 3]])
    weights = np.array([[0.5, 1.0, 2.0], [1.0, 0.25, 0.25]], dtype="float32")
    theirs = keras_ref.layers.CategoryEncoding(num_tokens=4, output_mode="count")
    ours = CategoryEncoding(num_tokens=4, output_mode="count")
    expected = _keras_numpy(theirs(inputs, count_weights=weights))
    np.testing.assert_allclose(ours(inputs, count_weights=weights).numpy(), expected)
    np.testing.assert_allclose(
        ours(torch.tensor(inputs), count_weights=torch.tensor(weights)).numpy(), expected
    )


def test_category_encoding_config_matches_keras():
    ours = CategoryEncoding(num_tokens=5, output_mode="count", name="enc")
    theirs = keras_ref.layers.CategoryEncoding(num_tokens=5, output_mode="count", name="enc")
    assert ours.get_config() == theirs.get_config()
    assert CategoryEncoding.from_config(theirs.get_config()).get_config() == ours.get_config()


def test_category_encoding_errors():
    with pytest.raises(ValueError, match="num_tokens must be set"):
        CategoryEncoding()
    with pytest.raises(ValueError, match="num_tokens must be >= 1, received: num_tokens=0"):
        CategoryEncoding(num_tokens=0)
    with pytest.raises(ValueError, match=r"output_mode must be one of \['one_hot'"):
        CategoryEncoding(num_tokens=2, output_mode="int")
    with pytest.raises(ValueError, match=r"must lie in \[0, num_tokens\) = \[0, 3\)"):
        CategoryEncoding(num_tokens=3)([[0, 3]])
    with pytest.raises(ValueError, match="count_weights are only used"):
        CategoryEncoding(num_tokens=3)([[0, 1]], count_weights=[[1.0, 1.0]])


# ---------------------------------------------------------------------- Discretization

DISCRETIZATION_CASES = [
    ({"bin_boundaries": [0.0, 1.0, 2.0]}, [[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.5, 2.0]]),
    ({"bin_boundaries": [0.0, 1.0], "output_mode": "one_hot"}, [-1.0, 0.5, 2.0]),
    ({"bin_boundaries": [0.0, 1.0], "output_mode": "multi_hot"}, [[-1.0, 0.5], [2.0, 2.0]]),
    ({"bin_boundaries": [0.0, 1.0], "output_mode": "count"}, [[-1.0, 0.5], [2.0, 2.0]]),
]


@pytest.mark.parametrize("kwargs,inputs", DISCRETIZATION_CASES)
def test_discretization_matches_keras(kwargs, inputs):
    data = np.array(inputs, dtype="float32")
    expected = _keras_numpy(keras_ref.layers.Discretization(**kwargs)(data))
    out = Discretization(**kwargs)(torch.from_numpy(data))
    assert out.dtype == (
        torch.int32 if kwargs.get("output_mode", "int") == "int" else torch.float32
    )
    np.testing.assert_array_equal(out.numpy(), expected)
    np.testing.assert_array_equal(Discretization(**kwargs)(inputs).numpy(), expected)


@pytest.mark.parametrize(
    "shape,num_bins,epsilon", [((100, 1), 4, 0.01), ((1000, 3), 5, 0.01), ((37,), 3, 0.1)]
)
def test_discretization_adapt_finds_keras_boundaries(shape, num_bins, epsilon):
    data = np.random.default_rng(0).exponential(size=shape)
    theirs = keras_ref.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    theirs.update_state(data)  # Keras's adapt() itself asks for TensorFlow
    theirs.finalize_state()
    ours = Discretization(num_bins=num_bins, epsilon=epsilon)
    ours.adapt(data)
    np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)


def test_discretization_adapt_on_batches_matches_keras():
    data = np.random.default_rng(1).standard_normal((300, 2))
    theirs = keras_ref.layers.Discretization(num_bins=4)
    for batch in np.split(data, 3):
        theirs.update_state(batch)
    theirs.finalize_state()
    ours = Discretization(num_bins=4)
    ours.adapt(torch.utils.data.DataLoader(torch.from_numpy(data), batch_size=100))
    np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)


def test_discretization_config_round_trip_keeps_adapted_boundaries():
    layer = Discretization(num_bins=3, name="disc")
    layer.adapt(np.arange(30.0))
    config = layer.get_config()
    clone = Discretization.from_config(config)
    assert clone.bin_boundaries == layer.bin_boundaries and clone.num_bins == 3
    theirs = keras_ref.layers.Discretization.from_config(config)
    assert theirs.bin_boundaries == layer.bin_boundaries


def test_discretization_errors():
    with pytest.raises(ValueError, match="expected bin_boundaries or num_bins"):
        Discretization()
    with pytest.raises(ValueError, match="give bin_boundaries or num_bins, not both"):
        Discretization(bin_boundaries=[0.0], num_bins=2)
    with pytest.raises(ValueError, match="num_bins must be >= 0, received: num_bins=-1"):
        Discretization(num_bins=-1)
    with pytest.raises(ValueError, match="adapt\\(\\) needs a layer made with num_bins"):
        Discretization(bin_boundaries=[0.0]).adapt([1.0])
    with pytest.raises(ValueError, match="call adapt\\(\\) before"):
        Discretization(num_bins=2)([1.0])


# ---------------------------------------------------------------------- hash functions

FARMHASH_REFERENCE = {
    b"": 11160318154034397263,
    b"A": 16915294056622060564,
    b"abc": 2640714258260161385,
    b"hello w": 1806291608031355033,
    b"0123456789abcdef": 6105018409752412263,
    b"x" * 20: 8233088228747857348,
    b"y" * 40: 276292113409495006,
    b"The quick brown fox jumps over the lazy dog, twice over: the quick brown fox jumps!!": (
        16691115341739523813
    ),
    bytes(range(200)): 525935771297148851,
}


@pytest.mark.parametrize("data", list(FARMHASH_REFERENCE), ids=lambda d: f"len{len(d)}")
def test_fingerprint64_matches_farmhash(data):
    assert fingerprint64(data) == FARMHASH_REFERENCE[data]


def test_integer_fingerprints_equal_fingerprints_of_their_decimal_text():
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [
            [0, 1, -1, 9, 10, -10, 2**63 - 1, -(2**63), 10**15, 10**16, -(10**18), 99],
            rng.integers(-(2**63), 2**63 - 1, size=200, dtype=np.int64),
            rng.integers(-1000, 1000, size=200),
        ]
    ).astype(np.int64)
    hashed = fingerprint64_of_ints(torch.from_numpy(values.reshape(2, -1))).reshape(-1)
    expected = [fingerprint64(str(v).encode()) for v in values.tolist()]
    assert [h % 2**64 for h in hashed.tolist()] == expected
    assert unsigned_mod(hashed, 7).tolist() == [h % 7 for h in expected]


def test_siphash_keys_change_the_hash():
    assert siphash64(b"A", [133, 137]) != siphash64(b"A", [133, 133])
    assert siphash64(b"A", [1, 2]) == siphash64(b"A", (1, 2))


# ---------------------------------------------------------------------- Hashing

# (kwargs, inputs, Keras's output), from Keras's documentation and hashing_test.py
HASHING_CASES = [
    ({"num_bins": 3}, [["A"], ["B"], ["C"], ["D"], ["E"]], [[1], [0], [1], [1], [2]]),
    (
        {"num_bins": 3, "mask_value": ""},
        [["A"], ["B"], [""], ["C"], ["D"]],
        [[1], [1], [0], [2], [2]],
    ),
    (
        {"num_bins": 3, "salt": [133, 137]},
        [["A"], ["B"], ["C"], ["D"], ["E"]],
        [[1], [2], [1], [0], [2]],
    ),
    ({"num_bins": 3, "salt": 133}, [["A"], ["B"], ["C"], ["D"], ["E"]], [[0], [0], [2], [1], [0]]),
    ({"num_bins": 3}, [[0], [1], [2], [3], [4]], [[1], [0], [1], [0], [2]]),
    ({"num_bins": 1}, [["A"], ["B"], ["C"], ["D"], ["E"]], [[0], [0], [0], [0], [0]]),
]


@pytest.mark.parametrize("kwargs,inputs,expected", HASHING_CASES)
def test_hashing_matches_keras(kwargs, inputs, expected):
    out = Hashing(**kwargs)(inputs)
    assert out.dtype == torch.int64
    assert out.tolist() == expected
    assert Hashing(**kwargs)(np.array(inputs)).tolist() == expected


def test_hashing_ints_on_tensors_equal_hashing_their_text():
    values = torch.tensor([[0, 7, -3], [123456789, -(2**63), 2**63 - 1]])
    as_text = np.array([[str(v) for v in row] for row in values.tolist()])
    for kwargs in (
        {"num_bins": 11},
        {"num_bins": 5, "salt": [3, 9]},
        {"num_bins": 4, "mask_value": 7},
    ):
        ints = Hashing(**kwargs)(values)
        text = Hashing(**{**kwargs, "mask_value": None if "mask_value" not in kwargs else "7"})(
            as_text
        )
        assert torch.equal(ints, text)
    floats = Hashing(num_bins=11)(torch.tensor([1.7, -2.2]))
    assert floats.tolist() == Hashing(num_bins=11)(torch.tensor([1, -2])).tolist()


def test_hashing_output_modes_and_model_round_trip(tmp_path):
    assert Hashing(num_bins=4, output_mode="one_hot")([["A"], ["B"]]).shape == (2, 4)
    counts = Hashing(num_bins=3, output_mode="count")([["A", "C", "E"]])
    assert counts.tolist() == [[0.0, 2.0, 1.0]]
    inputs = keras.Input(shape=(3,), dtype="int64")
    outputs = Hashing(num_bins=8, output_mode="multi_hot")(inputs)
    assert outputs.shape == (None, 8)
    model = keras.Model(inputs, outputs)
    data = np.array([[1, 2, 3], [40, 50, 60]])
    model.save(tmp_path / "hashing.keras")
    loaded = keras.models.load_model(tmp_path / "hashing.keras")
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), model.predict(data, verbose=0))
    config = Hashing(num_bins=3, salt=5, mask_value="", name="h").get_config()
    assert config["salt"] == [5, 5] and Hashing.from_config(config).get_config() == config


def test_hashing_errors():
    with pytest.raises(ValueError, match="num_bins must be a positive int, received: num_bins=0"):
        Hashing(num_bins=0)
    with pytest.raises(ValueError, match=r"output_mode must be one of \['int'"):
        Hashing(num_bins=2, output_mode="tf_idf")
    with pytest.raises(ValueError, match="salt must be an int or a pair of ints"):
        Hashing(num_bins=2, salt=[1, 2, 3])
    with pytest.raises(ValueError, match="needs dtype 'int32' or 'int64'"):
        Hashing(num_bins=2, dtype="float32")


# ---------------------------------------------------------------------- HashedCrossing


def test_hashed_crossing_matches_keras():
    strings = np.array(["A", "B", "A", "B", "A"])
    ints = np.array([101, 101, 101, 102, 102])
    assert HashedCrossing(num_bins=5)((strings, ints)).tolist() == [1, 4, 1, 1, 3]
    one_hot = HashedCrossing(num_bins=5, output_mode="one_hot")((strings, torch.from_numpy(ints)))
    np.testing.assert_array_equal(one_hot.numpy(), np.eye(5)[[1, 4, 1, 1, 3]])
    column = HashedCrossing(num_bins=5)((strings.reshape(-1, 1), ints.reshape(-1, 1)))
    assert column.tolist() == [[1], [4], [1], [1], [3]]


def test_hashed_crossing_in_a_model_and_errors():
    a = keras.Input(shape=(1,), dtype="int64")
    b = keras.Input(shape=(1,), dtype="int64")
    crossed = HashedCrossing(num_bins=7, output_mode="one_hot")([a, b])
    assert crossed.shape == (None, 7)
    model = keras.Model([a, b], crossed)
    out = model([torch.tensor([[1], [2]]), torch.tensor([[3], [4]])])
    assert out.shape == (2, 7) and out.sum().item() == 2
    with pytest.raises(TypeError, match="expected a list or tuple of features"):
        HashedCrossing(num_bins=2)(np.array([1, 2]))
    with pytest.raises(ValueError, match="at least 2 features"):
        HashedCrossing(num_bins=2)([np.array([1])])
    with pytest.raises(ValueError, match="must have equal shapes"):
        HashedCrossing(num_bins=2)([np.array([1]), np.array([1, 2])])
    with pytest.raises(ValueError, match=r"shape \(\), \(batch,\) or \(batch, 1\)"):
        HashedCrossing(num_bins=2)([np.ones((2, 2), int), np.ones((2, 2), int)])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_numeric_layers_run_on_the_inputs_device():
    device = torch.device("cuda")
    from torchseq.layers.preprocessing import IntegerLookup

    ints = torch.tensor([[12, 7, 42], [1000, 36, 36]])
    cases = [
        (IntegerLookup(vocabulary=[12, 36, 1138, 42], output_mode="count"), ints),
        (IntegerLookup(vocabulary=[12, 36], num_oov_indices=3, oov_method="farmhash"), ints),
        (IntegerLookup(vocabulary=[12, 36], invert=True), torch.tensor([[0, 1, 2, 9]])),
        (CategoryEncoding(num_tokens=5, output_mode="multi_hot"), torch.tensor([[0, 4], [1, 1]])),
        (Hashing(num_bins=7, mask_value=42), ints),
        (Discretization(bin_boundaries=[0.0, 1.0]), torch.tensor([[-1.0, 0.5, 2.0]])),
    ]
    for layer, data in cases:
        on_device = layer(data.to(device))
        assert on_device.device.type == "cuda"
        torch.testing.assert_close(on_device.cpu(), layer(data))
    crossed = HashedCrossing(num_bins=9)((ints[:, :1].to(device), np.array([["a"], ["b"]])))
    assert crossed.device.type == "cuda"
    assert (
        crossed.cpu().tolist()
        == HashedCrossing(num_bins=9)((ints[:, :1], np.array([["a"], ["b"]]))).tolist()
    )
