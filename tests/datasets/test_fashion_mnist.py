"""Tests for torchseq.datasets.fashion_mnist, on small gzipped IDX files served from 127.0.0.1."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pytest

from tests.datasets import assert_same_arrays, fake_files
from tests.datasets.serving import cached
from torchseq.datasets import fashion_mnist

NAMES = {
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_train": "train-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
}


@pytest.fixture
def arrays(server, monkeypatch):
    arrays = fake_files.mnist_arrays(n_train=6, n_test=5, seed=1)
    for key, name in NAMES.items():
        server.add(name, fake_files.idx_gz(arrays[key]))
    monkeypatch.setattr(fashion_mnist, "_ORIGIN_FOLDER", server.url(""))
    return arrays


def local_files(keras_home) -> dict[str, str]:
    return {name: cached(keras_home, "fashion-mnist", name) for name in NAMES.values()}


def test_load_data(arrays, keras_home):
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    loaded = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    for key, value in loaded.items():
        assert value.dtype == np.uint8 and value.flags.writeable
        np.testing.assert_array_equal(value, arrays[key])
    assert all(os.path.isfile(path) for path in local_files(keras_home).values())


def test_matches_keras(arrays, keras_home, keras_dataset):
    ours = fashion_mnist.load_data()
    theirs = keras_dataset("fashion_mnist", local_files(keras_home)).load_data()
    assert_same_arrays(ours, theirs)


def test_a_file_of_the_wrong_kind_is_named(arrays, keras_home):
    fashion_mnist.load_data()
    labels = local_files(keras_home)["train-labels-idx1-ubyte.gz"]
    with open(labels, "wb") as file:
        file.write(fake_files.idx_gz(np.zeros((2, 2, 2))))
    with pytest.raises(ValueError, match="magic number is 2051, expected 2049"):
        fashion_mnist.load_data()


def test_a_truncated_file_is_named(arrays, keras_home):
    fashion_mnist.load_data()
    images = local_files(keras_home)["t10k-images-idx3-ubyte.gz"]
    with gzip.open(images, "rb") as file:
        content = file.read()
    with open(images, "wb") as file:
        file.write(gzip.compress(content[:-5]))
    with pytest.raises(ValueError, match="is truncated"):
        fashion_mnist.load_data()
