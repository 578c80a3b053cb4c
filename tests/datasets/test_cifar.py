"""Tests for torchseq.datasets.cifar10 and cifar100, on small archives in the real layout.

The batches are pickled as Python 2 wrote them, and served from 127.0.0.1.
"""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from tests.datasets import assert_same_arrays, fake_files
from tests.datasets.serving import cached, sha256
from torchseq import config
from torchseq.datasets import cifar10, cifar100


@pytest.fixture
def channels_first():
    config.set_image_data_format("channels_first")
    try:
        yield
    finally:
        config.set_image_data_format("channels_last")


@pytest.fixture
def cifar10_batches(serve):
    archive, batches = fake_files.cifar10_archive()
    serve(cifar10, "cifar-10-python.tar.gz", archive)
    return batches


@pytest.fixture
def cifar100_splits(serve):
    archive, splits = fake_files.cifar100_archive()
    serve(cifar100, "cifar-100-python.tar.gz", archive)
    return splits


def test_cifar10_origin_and_hash_are_keras_s():
    assert cifar10._ORIGIN == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert cifar10._FILE_HASH == "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
    assert cifar100._ORIGIN == "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    assert cifar100._FILE_HASH == "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def test_cifar10_load_data(cifar10_batches, keras_home):
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    train = [cifar10_batches[f"data_batch_{number}"] for number in range(1, 6)]
    expected_images = np.concatenate([images for images, _ in train]).transpose(0, 2, 3, 1)
    expected_labels = np.concatenate([labels for _, labels in train])
    assert x_train.shape == (15, 32, 32, 3) and y_train.shape == (15, 1)
    assert x_test.shape == (4, 32, 32, 3) and y_test.shape == (4, 1)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype("uint8")}
    np.testing.assert_array_equal(x_train, expected_images)
    np.testing.assert_array_equal(y_train[:, 0], expected_labels)
    np.testing.assert_array_equal(x_test, cifar10_batches["test_batch"][0].transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_test[:, 0], cifar10_batches["test_batch"][1])
    # Keras's cache layout: the archive beside the folder it was extracted into.
    assert os.path.isfile(cached(keras_home, "cifar-10-batches-py-target_archive"))
    assert os.path.isdir(cached(keras_home, "cifar-10-batches-py-target", "cifar-10-batches-py"))


def test_cifar10_batches_read_as_keras_reads_them(cifar10_batches, keras_home):
    keras_cifar = pytest.importorskip("keras.src.datasets.cifar")
    from torchseq.datasets._cifar import read_batch

    cifar10.load_data()
    path = cached(keras_home, "cifar-10-batches-py-target", "cifar-10-batches-py", "test_batch")
    ours, theirs = read_batch(path), keras_cifar.load_batch(path)
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert ours[1] == theirs[1]


def test_cifar10_channels_first(cifar10_batches, keras_home, channels_first):
    (x_train, _), (x_test, _) = cifar10.load_data()
    assert x_train.shape == (15, 3, 32, 32)
    np.testing.assert_array_equal(x_test, cifar10_batches["test_batch"][0])


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_matches_keras(cifar100_splits, keras_home, keras_dataset, label_mode):
    (x_train, y_train), (x_test, y_test) = ours = cifar100.load_data(label_mode=label_mode)
    assert x_train.shape == (6, 32, 32, 3) and y_train.shape == (6, 1)
    assert x_test.shape == (4, 32, 32, 3) and y_test.dtype == np.int64
    np.testing.assert_array_equal(y_test[:, 0], cifar100_splits["test"][f"{label_mode}_labels"])
    folder = cached(keras_home, "cifar-100-python-target")
    theirs = keras_dataset("cifar100", {"cifar-100-python.tar.gz": folder}).load_data(label_mode)
    assert_same_arrays(ours, theirs)


def test_cifar100_label_mode_is_checked():
    with pytest.raises(ValueError, match='label_mode must be "fine" or "coarse", received: .*fin'):
        cifar100.load_data(label_mode="fin")


def test_a_batch_whose_pickle_would_run_code_is_refused(serve, keras_home, tmp_path):
    marker = tmp_path / "created-by-the-pickle"

    class RunsCode:
        def __reduce__(self):
            return (os.mkdir, (str(marker),))

    members = {"cifar-100-python/train": pickle.dumps({b"data": RunsCode()}, protocol=4)}
    serve(cifar100, "cifar-100-python.tar.gz", fake_files.tar_gz(members))
    with pytest.raises(pickle.UnpicklingError, match=r"Refusing to load .*posix\.mkdir"):
        cifar100.load_data()
    assert not marker.exists()


def test_a_pickle_that_is_not_a_batch_is_named(serve, keras_home):
    members = {
        "cifar-100-python/train": fake_files.python2_pickle([1, 2]),
        "cifar-100-python/test": fake_files.python2_pickle({b"data": np.zeros((1, 3072))}),
    }
    serve(cifar100, "cifar-100-python.tar.gz", fake_files.tar_gz(members))
    with pytest.raises(ValueError, match="expected a pickled dict, found a list"):
        cifar100.load_data()


def test_the_archive_hash_is_checked(server, keras_home, monkeypatch):
    archive, _ = fake_files.cifar10_archive()
    monkeypatch.setattr(cifar10, "_ORIGIN", server.add("cifar-10-python.tar.gz", archive))
    with pytest.raises(ValueError, match=f"has sha256 hash {sha256(archive)}, expected"):
        cifar10.load_data()  # still Keras's hash of the real archive
    assert os.listdir(cached(keras_home)) == []
