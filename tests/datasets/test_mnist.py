"""Tests for torchseq.datasets.mnist, on a small mnist.npz served from 127.0.0.1."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tests.datasets import assert_same_arrays, fake_files
from tests.datasets.serving import cached, sha256
from torchseq.datasets import mnist

REAL_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
REAL_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


@pytest.fixture
def arrays(serve):
    arrays = fake_files.mnist_arrays()
    serve(mnist, "mnist.npz", fake_files.npz_bytes(**arrays))
    return arrays


def test_origin_and_hash_are_keras_s():
    assert (mnist._ORIGIN, mnist._FILE_HASH) == (REAL_URL, REAL_HASH)


def test_load_data_returns_the_file_s_arrays(arrays, keras_home):
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    for key, value in zip(
        ["x_train", "y_train", "x_test", "y_test"], [x_train, y_train, x_test, y_test]
    ):
        assert value.dtype == np.uint8
        np.testing.assert_array_equal(value, arrays[key])
    assert x_train.shape == (7, 28, 28) and y_test.shape == (4,)
    assert os.path.isfile(cached(keras_home, "mnist.npz"))


def test_the_second_load_comes_from_the_cache(arrays, server, keras_home):
    first = mnist.load_data()
    server.stop()
    assert_same_arrays(mnist.load_data(), first)
    assert server.requests == ["/mnist.npz"]


def test_path_names_the_cached_file(arrays, keras_home):
    mnist.load_data(path="digits-28.npz")
    assert os.path.isfile(cached(keras_home, "digits-28.npz"))


def test_matches_keras(arrays, keras_home, keras_dataset):
    ours = mnist.load_data()
    theirs = keras_dataset("mnist", {"mnist.npz": cached(keras_home, "mnist.npz")}).load_data()
    assert_same_arrays(ours, theirs)


def test_offline_the_error_says_where_to_put_the_real_file(keras_home, monkeypatch):
    with pytest.raises(OSError, match="Could not download") as caught:
        mnist.load_data()
    target = cached(keras_home, "mnist.npz")
    for part in (REAL_URL, target, REAL_HASH):
        assert part in str(caught.value)
    # A copy put there by hand is read without a network (here, a small one with its hash).
    content = fake_files.npz_bytes(**fake_files.mnist_arrays())
    with open(target, "wb") as file:
        file.write(content)
    monkeypatch.setattr(mnist, "_FILE_HASH", sha256(content))
    (x_train, _), _ = mnist.load_data()
    assert x_train.shape == (7, 28, 28)
