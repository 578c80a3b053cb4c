"""Tests for utils.text_dataset_from_directory on tiny generated text files."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from keras.src.utils import dataset_utils as keras_dataset_utils

import torchseq as keras
from torchseq import preprocessing
from torchseq.utils import text_dataset_from_directory


@pytest.fixture
def text_dir(tmp_path):
    for name, count in (("neg", 6), ("pos", 5)):
        (tmp_path / name).mkdir()
        for i in range(count):
            (tmp_path / name / f"{i}.txt").write_text(f"{name} review number {i}", encoding="utf-8")
    (tmp_path / "pos" / "skip.md").write_text("ignored")
    return tmp_path


def test_texts_labels_and_class_names(text_dir):
    dataset = text_dataset_from_directory(text_dir, batch_size=4, shuffle=False, verbose=False)
    assert dataset.class_names == ["neg", "pos"] and len(dataset) == 3
    texts, labels = dataset[0]
    assert isinstance(texts, np.ndarray) and texts.dtype.kind == "U"
    assert texts[0] == "neg review number 0" and labels.dtype == torch.int32
    assert torch.cat([y for _, y in dataset]).tolist() == [0] * 6 + [1] * 5


def test_max_length_label_modes_and_no_labels(text_dir):
    one_hot = text_dataset_from_directory(
        text_dir, label_mode="categorical", max_length=3, batch_size=None, seed=0, verbose=False
    )
    text, label = one_hot[0]
    assert len(text) == 3 and tuple(label.shape) == (2,) and label.dtype == torch.float32
    binary = text_dataset_from_directory(text_dir, label_mode="binary", seed=0, verbose=False)
    assert tuple(binary[0][1].shape) == (11, 1)
    texts = text_dataset_from_directory(text_dir, labels=None, seed=0, verbose=False)[0]
    assert isinstance(texts, np.ndarray) and len(texts) == 11


def test_explicit_labels_in_sorted_path_order(text_dir):
    labels = list(range(11))
    dataset = text_dataset_from_directory(
        text_dir, labels=labels, shuffle=False, batch_size=None, verbose=False
    )
    assert dataset.class_names == [str(i) for i in range(11)]
    assert dataset[6] == ("pos review number 0", 6)
    assert labels == list(range(11))  # the caller's list is not shuffled in place


def test_same_files_in_each_subset_as_keras(text_dir):
    train, val = text_dataset_from_directory(
        text_dir, validation_split=0.25, subset="both", seed=7, verbose=False
    )
    paths, _, _ = keras_dataset_utils.index_directory(
        str(text_dir), "inferred", (".txt",), shuffle=True, seed=7, verbose=False
    )
    cut = len(paths) - int(0.25 * len(paths))
    assert train.file_paths == paths[:cut] and val.file_paths == paths[cut:]
    assert not val.shuffle


def test_bad_arguments_are_rejected(text_dir, tmp_path):
    with pytest.raises(ValueError, match="max_length"):
        text_dataset_from_directory(text_dir, max_length=-1)
    with pytest.raises(ValueError, match="labels"):
        text_dataset_from_directory(text_dir, labels="folders")
    empty = tmp_path / "empty" / "a"
    empty.mkdir(parents=True)
    with pytest.raises(ValueError, match="No text files found"):
        text_dataset_from_directory(tmp_path / "empty", verbose=False)


def test_map_feeds_fit_and_predict(text_dir):
    raw = text_dataset_from_directory(text_dir, batch_size=4, seed=1, verbose=False)

    def featurize(texts):
        return torch.tensor([[len(t), t.startswith("pos")] for t in texts], dtype=torch.float32)

    train = raw.map(lambda texts, labels: (featurize(texts), labels))
    assert train.class_names == ["neg", "pos"] and len(train) == 3
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(train, epochs=2, verbose=0)
    assert model.predict(raw.map(lambda texts, labels: featurize(texts)), verbose=0).shape == (
        11,
        2,
    )


def test_preprocessing_namespace_exposes_the_helpers():
    assert preprocessing.text_dataset_from_directory is text_dataset_from_directory
    assert preprocessing.text.__all__ == []
