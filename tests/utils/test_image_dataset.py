"""Tests for utils.image_dataset_from_directory on tiny generated images."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("PIL")
from keras.src.utils import dataset_utils as keras_dataset_utils

import torchseq as keras
from torchseq.utils import image_dataset_from_directory, save_img
from torchseq.utils.image_dataset import IMAGE_FORMATS


@pytest.fixture
def image_dir(tmp_path):
    rng = np.random.default_rng(0)
    for name, count, suffix in (("cats", 7, "png"), ("dogs", 5, "jpg"), ("owls", 3, "png")):
        folder = tmp_path / name
        (folder / "nested").mkdir(parents=True)
        for i in range(count):
            where = folder / "nested" if i == 0 else folder
            shape = (10 + i, 14, 3)
            save_img(where / f"{name}_{i}.{suffix}", rng.integers(0, 256, size=shape), scale=False)
    (tmp_path / "cats" / "notes.txt").write_text("not an image")
    return tmp_path


def test_classes_labels_shapes_and_dtypes(image_dir):
    dataset = image_dataset_from_directory(
        image_dir, image_size=(8, 6), batch_size=4, shuffle=False, verbose=False
    )
    assert dataset.class_names == ["cats", "dogs", "owls"]
    assert len(dataset.file_paths) == 15 and len(dataset) == 4
    x, y = dataset[0]
    assert x.shape == (4, 8, 6, 3) and x.dtype == torch.float32
    assert y.dtype == torch.int32
    labels = torch.cat([y for _, y in dataset]).tolist()
    assert labels == [0] * 7 + [1] * 5 + [2] * 3
    assert float(x.max()) <= 255.0


@pytest.mark.parametrize(
    ("label_mode", "color_mode", "shape", "label_shape"),
    [("categorical", "grayscale", (5, 5, 1), (3,)), ("int", "rgba", (5, 5, 4), ())],
)
def test_label_and_color_modes(image_dir, label_mode, color_mode, shape, label_shape):
    dataset = image_dataset_from_directory(
        image_dir,
        label_mode=label_mode,
        color_mode=color_mode,
        image_size=5,
        batch_size=None,
        seed=1,
        verbose=False,
    )
    x, y = dataset[0]
    assert tuple(x.shape) == shape and tuple(y.shape) == label_shape


def test_binary_labels_channels_first_and_no_labels(image_dir):
    dataset = image_dataset_from_directory(
        image_dir,
        class_names=["owls", "dogs"],
        label_mode="binary",
        image_size=(4, 4),
        data_format="channels_first",
        shuffle=False,
        verbose=False,
    )
    x, y = dataset[0]
    assert tuple(x.shape) == (8, 3, 4, 4) and tuple(y.shape) == (8, 1) and y.dtype == torch.float32
    assert y[:, 0].tolist() == [0.0] * 3 + [1.0] * 5
    unlabelled = image_dataset_from_directory(image_dir, labels=None, image_size=4, verbose=False)
    assert unlabelled.class_names is None and isinstance(unlabelled[0], torch.Tensor)


def test_same_files_in_each_subset_as_keras(image_dir):
    train, val = image_dataset_from_directory(
        image_dir, validation_split=0.3, subset="both", seed=42, image_size=4, verbose=False
    )
    paths, labels, _ = keras_dataset_utils.index_directory(
        str(image_dir), "inferred", IMAGE_FORMATS, shuffle=True, seed=42, verbose=False
    )
    cut = len(paths) - int(0.3 * len(paths))
    assert train.file_paths == paths[:cut] and val.file_paths == paths[cut:]
    assert torch.cat([y for _, y in train]).tolist() == labels[:cut].tolist()
    alone = image_dataset_from_directory(
        image_dir, validation_split=0.3, subset="validation", seed=42, image_size=4, verbose=False
    )
    assert alone.file_paths == val.file_paths


def test_shuffle_reorders_between_epochs_with_crop_and_pad(image_dir):
    for flag in ("crop_to_aspect_ratio", "pad_to_aspect_ratio"):
        dataset = image_dataset_from_directory(
            image_dir, image_size=(6, 6), batch_size=15, seed=3, verbose=False, **{flag: True}
        )
        first = dataset[0][1].tolist()
        dataset.on_epoch_end()
        assert sorted(dataset[0][1].tolist()) == sorted(first)
        assert dataset[0][0].shape == (15, 6, 6, 3)


def test_workers_decode_the_same_images(image_dir):
    plain = image_dataset_from_directory(image_dir, image_size=5, shuffle=False, verbose=False)
    threaded = image_dataset_from_directory(
        image_dir, image_size=5, shuffle=False, verbose=False, workers=3
    )
    torch.testing.assert_close(plain[0][0], threaded[0][0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"label_mode": "sparse"}, "label_mode"),
        ({"color_mode": "cmyk"}, "color_mode"),
        ({"image_size": (1, 2, 3)}, "image_size"),
        ({"interpolation": "area"}, "interpolation"),
        ({"validation_split": 0.2}, "together"),
        ({"validation_split": 0.2, "subset": "training"}, "seed"),
        ({"label_mode": "binary"}, "exactly 2"),
        ({"class_names": ["cats", "lions"]}, "lions"),
        ({"labels": [0, 1]}, "one label per file"),
        ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, "at most one"),
    ],
)
def test_bad_arguments_are_rejected(image_dir, kwargs, match):
    with pytest.raises(ValueError, match=match):
        image_dataset_from_directory(image_dir, verbose=False, **kwargs)


def test_fit_evaluate_predict_accept_it(image_dir):
    train, val = image_dataset_from_directory(
        image_dir,
        image_size=(8, 8),
        batch_size=4,
        validation_split=0.2,
        subset="both",
        seed=0,
        verbose=False,
    )
    model = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert "val_accuracy" in history.history
    model.evaluate(val, verbose=0)
    assert model.predict(val, verbose=0).shape == (3, 3)
