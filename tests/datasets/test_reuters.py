"""Tests for torchseq.datasets.reuters, on a small reuters.npz served from 127.0.0.1, against Keras."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from tests.datasets import assert_same_arrays, fake_files
from tests.datasets.serving import cached
from torchseq.datasets import reuters

OPTIONS = [
    {},
    {"num_words": 30, "skip_top": 4},
    {"maxlen": 10},
    {"test_split": 0.5, "seed": 3},
    {"test_split": 0.0},
    {"start_char": None, "index_from": 0, "oov_char": None, "num_words": 40},
]


@pytest.fixture
def arrays(serve):
    arrays = fake_files.reuters_arrays()
    serve(reuters, "reuters.npz", fake_files.npz_bytes(**arrays))
    return arrays


def test_origin_and_hashes_are_keras_s():
    base = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    assert reuters._ORIGIN == base + "reuters.npz"
    assert reuters._FILE_HASH == "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
    assert reuters._WORD_INDEX_ORIGIN == base + "reuters_word_index.json"
    assert reuters._WORD_INDEX_HASH == "4d44cc38712099c9e383dc6e5f11a921"


def test_default_split(arrays, keras_home):
    (x_train, y_train), (x_test, y_test) = reuters.load_data()
    assert (x_train.shape, x_test.shape, y_train.shape, y_test.shape) == ((16,), (4,), (16,), (4,))
    assert x_train.dtype == object and all(sequence[0] == 1 for sequence in x_train)
    assert sorted(np.concatenate([y_train, y_test])) == sorted(arrays["y"])


@pytest.mark.parametrize("options", OPTIONS, ids=lambda options: str(options) or "defaults")
def test_matches_keras(arrays, keras_home, keras_dataset, options):
    keras_reuters = keras_dataset("reuters", {"reuters.npz": cached(keras_home, "reuters.npz")})
    assert_same_arrays(reuters.load_data(**options), keras_reuters.load_data(**options))


@pytest.mark.parametrize(("test_split", "error"), [(1.0, ValueError), ("0.2", TypeError)])
def test_test_split_is_checked(test_split, error):
    with pytest.raises(error, match="test_split must be"):
        reuters.load_data(test_split=test_split)


def test_label_names_match_keras():
    keras_reuters = pytest.importorskip("keras.src.datasets.reuters")
    names = reuters.get_label_names()
    assert len(names) == 46 and names[3] == "earn"
    assert tuple(names) == tuple(keras_reuters.get_label_names())


def test_get_word_index(server, keras_home, monkeypatch):
    content = fake_files.word_index(10)
    url = server.add("reuters_word_index.json", content)
    monkeypatch.setattr(reuters, "_WORD_INDEX_ORIGIN", url)
    monkeypatch.setattr(reuters, "_WORD_INDEX_HASH", hashlib.md5(content).hexdigest())
    assert reuters.get_word_index() == {f"word{rank}": rank for rank in range(1, 10)}
    assert cached(keras_home, "reuters_word_index.json")
