"""Tests for torchseq.datasets.imdb, on a small imdb.npz served from 127.0.0.1, against Keras."""

from __future__ import annotations

import hashlib
import io
import pickle
import zipfile

import numpy as np
import pytest

from tests.datasets import assert_same_arrays, fake_files
from tests.datasets.serving import cached
from torchseq.datasets import imdb

OPTIONS = [
    {},
    {"num_words": 20},
    {"num_words": 25, "skip_top": 6},
    {"maxlen": 9},
    {"seed": 7},
    {"start_char": None},
    {"start_char": None, "index_from": 0},
    {"oov_char": None, "num_words": 18, "skip_top": 5},
    {"start_char": 4, "oov_char": 9, "index_from": 10},
]


@pytest.fixture
def arrays(serve):
    arrays = fake_files.imdb_arrays()
    serve(imdb, "imdb.npz", fake_files.npz_bytes(**arrays))
    return arrays


@pytest.fixture
def keras_imdb(arrays, keras_home, keras_dataset):
    return keras_dataset("imdb", {"imdb.npz": cached(keras_home, "imdb.npz")})


def test_origin_and_hashes_are_keras_s():
    base = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    assert imdb._ORIGIN == base + "imdb.npz"
    assert imdb._FILE_HASH == "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
    assert imdb._WORD_INDEX_ORIGIN == base + "imdb_word_index.json"
    assert imdb._WORD_INDEX_HASH == "bfafd718b763782e994055a2d397834f"


def test_defaults_shift_mark_and_shuffle(arrays, keras_home):
    (x_train, y_train), (x_test, _) = imdb.load_data()
    assert x_train.shape == (12,) and x_train.dtype == object and x_test.shape == (9,)
    order = np.arange(12)
    np.random.RandomState(113).shuffle(order)
    np.testing.assert_array_equal(y_train, arrays["y_train"][order])
    first = arrays["x_train"][order[0]]
    largest = max(
        max(sequence) for sequence in arrays["x_train"].tolist() + arrays["x_test"].tolist()
    )
    expected = [1] + [2 if word == largest else word + 3 for word in first]
    assert x_train[0] == expected


@pytest.mark.parametrize("options", OPTIONS, ids=lambda options: str(options) or "defaults")
def test_matches_keras(keras_imdb, options):
    assert_same_arrays(imdb.load_data(**options), keras_imdb.load_data(**options))


def test_a_maxlen_that_keeps_nothing_is_an_error(arrays, keras_home):
    with pytest.raises(ValueError, match="maxlen=2 leaves no review in the training set"):
        imdb.load_data(maxlen=2)


def test_get_word_index_checks_its_md5(server, keras_home, monkeypatch):
    content = fake_files.word_index()
    monkeypatch.setattr(imdb, "_WORD_INDEX_ORIGIN", server.add("imdb_word_index.json", content))
    monkeypatch.setattr(imdb, "_WORD_INDEX_HASH", hashlib.md5(content).hexdigest())
    index = imdb.get_word_index()
    assert index["word1"] == 1 and len(index) == 49
    assert index == imdb.get_word_index()  # from the cache
    monkeypatch.setattr(imdb, "_WORD_INDEX_HASH", "0" * 32)
    with pytest.raises(ValueError, match="has md5 hash"):
        imdb.get_word_index()


def test_a_tampered_npz_is_refused(serve, keras_home):
    class RunsCode:
        def __reduce__(self):
            return (print, ("ran",))

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "|O", "fortran_order": False, "shape": (1,)}
        )
        archive.writestr("x_train.npy", header.getvalue() + pickle.dumps(RunsCode()))
    serve(imdb, "imdb.npz", buffer.getvalue())
    with pytest.raises(pickle.UnpicklingError, match=r"x_train\.npy.*builtins\.print"):
        imdb.load_data()
